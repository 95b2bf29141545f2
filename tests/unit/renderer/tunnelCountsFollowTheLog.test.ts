// @vitest-environment happy-dom
// The header counts every tunnel that listens (a failing one too), and the Tunnel panel's counts
// and broker ports follow connection events at once instead of waiting for the 2 s status poll.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { batch, opened, secured } from './events.ts';
import { prod, renderApp } from './renderApp.ts';

describe('tunnel counts', () => {
  it('counts a failing tunnel that still listens as running, and says it is failing', async () => {
    const { api } = await renderApp([prod], 20);
    api.setStatus({ profile: 'prod', state: 'failing', listen: { pulsar: '127.0.0.1:6650' }, brokers: [], openConnections: 0, totalConnections: 1 });
    await waitFor(() => expect(screen.getByTestId('running-count').textContent?.replace(/\s+/g, ' ').trim()).toBe('1 running · 1 failing'));
  });

  it('updates open connections and broker ports when connection events arrive, without the poll', async () => {
    // statusPollMs 0: no poll at all; only the log can bring the new status.
    const { api, flush } = await renderApp([prod], 0);
    await fireEvent.click(screen.getByTestId('tunnel-toggle'));
    await waitFor(() => expect(screen.getByTestId('tunnel-state').textContent).toBe('running'));
    expect(screen.getByTestId('open-connections').textContent).toBe('0');
    expect(screen.getByTestId('brokers-none')).toBeTruthy();
    api.setStatus({
      profile: 'prod', state: 'running', listen: { pulsar: '127.0.0.1:16650' }, openConnections: 6, totalConnections: 6,
      brokers: [{ broker: 'broker-1.test:6651', sni: 'broker-1.test', local: '127.0.0.1:41001', health: 'unknown' }],
    });
    api.emit(batch([1, 2, 3, 4, 5, 6].flatMap((id) => [opened(id), secured(id)])));
    flush();
    await waitFor(() => expect(screen.getByTestId('open-connections').textContent).toBe('6'));
    expect(screen.getAllByTestId('broker-row')).toHaveLength(1);
  });
});
