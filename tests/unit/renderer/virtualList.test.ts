// @vitest-environment happy-dom
import { fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it } from 'vitest';
import VirtualList from '../../../src-renderer/components/VirtualList.svelte';

interface Item {
  id: string;
}

const items = (from: number, to: number): Item[] => Array.from({ length: to - from }, (_, i) => ({ id: `item-${from + i}` }));
const row = createRawSnippet((item: () => Item) => ({ render: () => `<span data-testid="row">${item().id}</span>` }));

function renderList(list: Item[], keepAnchor = false) {
  return render(VirtualList<Item>, { props: { items: list, rowHeight: 20, key: (item: Item) => item.id, row, label: 'Rows', fallbackHeight: 200, overscan: 5, testid: 'viewport', keepAnchor } });
}

const shown = () => screen.getAllByTestId('row').map((element) => element.textContent);

describe('VirtualList', () => {
  it('renders only the rows in view plus the overscan', () => {
    renderList(items(0, 10_000));
    // 200 px / 20 px = 10 rows in view, 5 below; none above at the top.
    expect(shown()).toEqual(items(0, 15).map((item) => item.id));
    expect((screen.getByTestId('viewport').firstElementChild as HTMLElement).style.height).toBe('200000px');
  });

  it('renders the rows at the scroll position', async () => {
    renderList(items(0, 10_000));
    const viewport = screen.getByTestId('viewport');
    viewport.scrollTop = 1000;
    await fireEvent.scroll(viewport);
    expect(shown()).toEqual(items(45, 65).map((item) => item.id));
  });

  it('keeps the top row in place when rows are inserted above it', async () => {
    const { rerender } = renderList(items(0, 1000), true);
    const viewport = screen.getByTestId('viewport');
    viewport.scrollTop = 1000;
    await fireEvent.scroll(viewport);
    await rerender({ items: [...items(5000, 5003), ...items(0, 1000)] });
    expect(viewport.scrollTop).toBe(1060);
    expect(shown()).toContain('item-50');
  });

  it('stays at the top (showing new rows) when scrolled to the top', async () => {
    const { rerender } = renderList(items(0, 1000), true);
    const viewport = screen.getByTestId('viewport');
    await rerender({ items: [...items(5000, 5003), ...items(0, 1000)] });
    expect(viewport.scrollTop).toBe(0);
    expect(shown()[0]).toBe('item-5000');
  });
});
