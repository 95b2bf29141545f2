// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.ts';
import { FakeTunnelApi } from '../../../src-renderer/lib/fakeApi.ts';
import { ProfilesState } from '../../../src-renderer/lib/state/profiles.svelte.ts';

const base = { serviceUrl: 'pulsar+ssl://pulsar.test:6651' };

describe('ProfilesState', () => {
  it('loads the profiles sorted by name and selects the first', async () => {
    const state = new ProfilesState(new FakeTunnelApi([{ name: 'zeta', ...base }, { name: 'alpha', ...base }]));
    await state.load();
    expect(state.views.map((view) => view.profile.name)).toEqual(['alpha', 'zeta']);
    expect(state.selectedName).toBe('alpha');
    expect(state.loaded).toBe(true);
  });

  it('renames a profile through saveProfile with previousName and keeps it selected', async () => {
    const api = new FakeTunnelApi([{ name: 'old', ...base }]);
    const state = new ProfilesState(api);
    await state.load();
    await state.save({ name: 'new', ...base }, 'old');
    expect(state.views.map((view) => view.profile.name)).toEqual(['new']);
    expect(state.selectedName).toBe('new');
    expect(api.calls.at(-1)).toMatchObject({ method: 'saveProfile', args: [{ name: 'new' }, { previousName: 'old' }] });
  });

  it('duplicates and removes profiles, moving the selection off a deleted one', async () => {
    const state = new ProfilesState(new FakeTunnelApi([{ name: 'a', ...base }]));
    await state.load();
    await state.duplicate('a', 'b');
    expect(state.selectedName).toBe('b');
    await state.remove('b');
    expect(state.views.map((view) => view.profile.name)).toEqual(['a']);
    expect(state.selectedName).toBe('a');
  });

  it('starts and stops a tunnel and marks it busy meanwhile', async () => {
    const state = new ProfilesState(new FakeTunnelApi([{ name: 'a', ...base, listen: { port: 0 } }]));
    await state.load();
    const starting = state.toggleTunnel('a');
    expect(state.isBusy('a')).toBe(true);
    await starting;
    expect(state.isBusy('a')).toBe(false);
    expect(state.selected?.tunnel.state).toBe('running');
    expect(state.runningCount).toBe(1);
    await state.toggleTunnel('a');
    expect(state.selected?.tunnel.state).toBe('stopped');
  });

  it('rejects with the engine error and clears busy when a start fails', async () => {
    const api = new FakeTunnelApi([{ name: 'a', ...base }]);
    const state = new ProfilesState(api);
    await state.load();
    api.failNext('startTunnel', new AppError('TUNNEL_LISTEN_IN_USE'));
    await expect(state.start('a')).rejects.toMatchObject({ code: 'TUNNEL_LISTEN_IN_USE' });
    expect(state.isBusy('a')).toBe(false);
  });

  it('merges polled tunnel states into the list', async () => {
    const api = new FakeTunnelApi([{ name: 'a', ...base }]);
    const state = new ProfilesState(api);
    await state.load();
    api.setStatus({ profile: 'a', state: 'failing', brokers: [], openConnections: 0, totalConnections: 3, lastError: { code: 'PROXY_NO_ROUTE', message: 'no route', time: '2026-11-27T00:00:00Z' } });
    await state.refreshStatus();
    expect(state.selected?.tunnel).toMatchObject({ state: 'failing', lastError: { code: 'PROXY_NO_ROUTE' } });
  });

  it('records which secrets are set without ever holding their values', async () => {
    const api = new FakeTunnelApi([{ name: 'a', ...base, auth: 'token' }]);
    const state = new ProfilesState(api);
    await state.load();
    await state.setSecret('a', 'token', 'eyJhbGciOi.secret');
    expect(state.selected?.secrets.token).toBe(true);
    expect(JSON.stringify(state.views)).not.toContain('eyJhbGciOi');
  });
});
