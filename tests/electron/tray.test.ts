import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { TunnelStatus } from '../../shared/ipc/contract.ts';
import { buildTrayMenu, trayHealth, trayTooltip } from '../../src-main/electron/tray.ts';

function status(profile: string, state: TunnelStatus['state'], extra: Partial<TunnelStatus> = {}): TunnelStatus {
  return { profile, state, brokers: [], openConnections: 0, totalConnections: 0, ...extra };
}

function actions() {
  return { start: vi.fn(), stop: vi.fn(), open: vi.fn(), quit: vi.fn() };
}

function find(items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  const item = items.find((candidate) => candidate.label?.includes(label));
  if (!item) throw new Error(`no item "${label}" in ${items.map((candidate) => candidate.label).join(', ')}`);
  return item;
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('tray menu', () => {
  it('summarises how many tunnels run and how many fail', () => {
    expect(trayTooltip([])).toBe('pulsar-tunnel: no tunnel running');
    expect(trayTooltip([status('a', 'running')])).toBe('pulsar-tunnel: 1 tunnel running');
    expect(trayTooltip([status('a', 'running'), status('b', 'failing')])).toBe('pulsar-tunnel: 2 tunnels running, 1 failing');
    const menu = buildTrayMenu(['a', 'b'], [status('a', 'running'), status('b', 'failing')], actions());
    expect(menu[0]).toEqual({ label: '2 tunnels running, 1 failing', enabled: false });
  });

  it('shows the icon health: idle, running, or failing when any tunnel fails', () => {
    expect(trayHealth([])).toBe('idle');
    expect(trayHealth([status('a', 'stopped')])).toBe('idle');
    expect(trayHealth([status('a', 'running')])).toBe('running');
    expect(trayHealth([status('a', 'running'), status('b', 'failing')])).toBe('failing');
  });

  it('lists every profile with its state and offers Start only when stopped, Stop only when running', () => {
    const act = actions();
    const menu = buildTrayMenu(
      ['alpha', 'beta'],
      [status('beta', 'running', { listen: { pulsar: '127.0.0.1:6650' }, openConnections: 2, totalConnections: 5 })],
      act,
    );
    const alpha = find(menu, 'alpha');
    expect(alpha.label).toBe('○ alpha — stopped');
    const alphaItems = alpha.submenu as MenuItemConstructorOptions[];
    expect(find(alphaItems, 'Start').enabled).toBe(true);
    expect(find(alphaItems, 'Stop').enabled).toBe(false);
    click(find(alphaItems, 'Start'));
    expect(act.start).toHaveBeenCalledWith('alpha');

    const beta = find(menu, 'beta');
    expect(beta.label).toBe('● beta — running');
    const betaItems = beta.submenu as MenuItemConstructorOptions[];
    expect(betaItems.map((item) => item.label)).toContain('pulsar://127.0.0.1:6650');
    expect(betaItems.map((item) => item.label)).toContain('2 open, 5 total connections');
    expect(find(betaItems, 'Start').enabled).toBe(false);
    click(find(betaItems, 'Stop'));
    expect(act.stop).toHaveBeenCalledWith('beta');
  });

  it('shows why a failing tunnel fails', () => {
    const menu = buildTrayMenu(['gamma'], [status('gamma', 'failing', { lastError: { code: 'PROXY_NO_ROUTE', message: 'no route for broker-1.test', time: '' } })], actions());
    const gamma = find(menu, 'gamma');
    expect(gamma.label).toBe('▲ gamma — failing');
    expect((gamma.submenu as MenuItemConstructorOptions[]).map((item) => item.label)).toContain('PROXY_NO_ROUTE: no route for broker-1.test');
  });

  it('ends with Open and Quit, and says when there are no profiles', () => {
    const act = actions();
    const menu = buildTrayMenu([], [], act);
    expect(menu.map((item) => item.label)).toContain('No profiles yet');
    click(find(menu, 'Open'));
    click(find(menu, 'Quit'));
    expect(act.open).toHaveBeenCalledOnce();
    expect(act.quit).toHaveBeenCalledOnce();
  });
});
