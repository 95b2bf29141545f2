// @vitest-environment happy-dom
// The notices after deleting or duplicating a profile name it: the dialog closes (and its props go
// away) before the notice is written, so the name must be taken before that.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderApp, type } from './renderApp.ts';

describe('notices name the profile they are about', () => {
  it('says "Deleted profile prod."', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('profile-delete'));
    await fireEvent.click(screen.getByTestId('delete-confirm'));
    await waitFor(() => expect(screen.getByTestId('notice-info').textContent).toContain('Deleted profile prod.'));
    expect(screen.getByTestId('notices').textContent).not.toContain('undefined');
  });

  it('says "Duplicated prod as prod-copy."', async () => {
    await renderApp();
    await fireEvent.click(screen.getByTestId('profile-duplicate'));
    await type(screen.getByTestId('duplicate-name'), 'prod-copy');
    await fireEvent.click(screen.getByTestId('duplicate-confirm'));
    await waitFor(() => expect(screen.getByTestId('notice-info').textContent).toContain('Duplicated prod as prod-copy.'));
    expect(screen.getByTestId('notices').textContent).not.toContain('undefined');
  });
});
