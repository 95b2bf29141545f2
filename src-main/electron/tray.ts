/**
 * The tray menu as a pure function of the tunnels' statuses, so it is unit-tested without
 * Electron: a summary line, one submenu per profile with its state and Start/Stop, then Open and
 * Quit. The TrayController in main.ts turns the template into Electron's Menu.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { TunnelStatus } from '../../shared/ipc/contract.ts';

/** What the tray's menu items do. */
export interface TrayActions {
  start(profile: string): void;
  stop(profile: string): void;
  open(): void;
  quit(): void;
}

/** Overall health shown by the tray icon: no tunnel, all well, or at least one failing. */
export type TrayHealth = 'idle' | 'running' | 'failing';

const stateLabels: Record<TunnelStatus['state'], string> = {
  stopped: 'stopped',
  starting: 'starting…',
  running: 'running',
  failing: 'failing',
  stopping: 'stopping…',
};

const stateMarks: Record<TunnelStatus['state'], string> = {
  stopped: '○',
  starting: '◔',
  running: '●',
  failing: '▲',
  stopping: '◔',
};

/** The tray's health from the statuses. */
export function trayHealth(statuses: readonly TunnelStatus[]): TrayHealth {
  if (statuses.some((status) => status.state === 'failing')) return 'failing';
  return statuses.some((status) => status.state === 'running' || status.state === 'starting') ? 'running' : 'idle';
}

/** The tooltip: how many tunnels run and how many fail. */
export function trayTooltip(statuses: readonly TunnelStatus[]): string {
  const running = statuses.filter((status) => status.state === 'running' || status.state === 'failing').length;
  const failing = statuses.filter((status) => status.state === 'failing').length;
  if (running === 0) return 'pulsar-tunnel: no tunnel running';
  const tunnels = `${running} tunnel${running === 1 ? '' : 's'} running`;
  return failing === 0 ? `pulsar-tunnel: ${tunnels}` : `pulsar-tunnel: ${tunnels}, ${failing} failing`;
}

/**
 * Builds the tray menu template.
 * @param profiles every profile name, in display order
 * @param statuses the statuses of tunnels that are not stopped (missing names count as stopped)
 */
export function buildTrayMenu(profiles: readonly string[], statuses: readonly TunnelStatus[], actions: TrayActions): MenuItemConstructorOptions[] {
  const byName = new Map(statuses.map((status) => [status.profile, status]));
  const items: MenuItemConstructorOptions[] = [{ label: trayTooltip(statuses).replace(/^pulsar-tunnel: /, ''), enabled: false }, { type: 'separator' }];
  if (profiles.length === 0) items.push({ label: 'No profiles yet', enabled: false });
  for (const profile of profiles) {
    const status = byName.get(profile);
    const state = status?.state ?? 'stopped';
    const active = state === 'running' || state === 'failing';
    const details: MenuItemConstructorOptions[] = [];
    if (status?.listen) details.push({ label: `pulsar://${status.listen.pulsar}`, enabled: false });
    if (active) details.push({ label: `${status?.openConnections ?? 0} open, ${status?.totalConnections ?? 0} total connections`, enabled: false });
    if (state === 'failing' && status?.lastError) details.push({ label: `${status.lastError.code}: ${truncate(status.lastError.message, 80)}`, enabled: false });
    if (details.length > 0) details.push({ type: 'separator' });
    details.push(
      { label: 'Start', enabled: state === 'stopped', click: () => actions.start(profile) },
      { label: 'Stop', enabled: active, click: () => actions.stop(profile) },
    );
    items.push({ label: `${stateMarks[state]} ${profile} — ${stateLabels[state]}`, submenu: details });
  }
  items.push({ type: 'separator' }, { label: 'Open pulsar-tunnel', click: () => actions.open() }, { label: 'Quit (stops all tunnels)', click: () => actions.quit() });
  return items;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
