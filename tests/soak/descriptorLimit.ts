/**
 * Scenario: the raw tunnel's process runs out of file descriptors. Its soft limit is lowered with
 * `prlimit` to a little above what it has open, then more echo connections are opened than fit.
 * The tunnel must stay up, say so in its log with a code (not one that blames the proxy, which was
 * fine all along), close (not hang) the clients it cannot
 * serve, give back every descriptor once they leave, and serve new connections again at the same
 * limit. The limit is restored afterwards.
 */
import net from 'node:net';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import type { TunnelProcess } from '../bench/processes.ts';
import { alive, fdCount, fdLimit, setSoftFdLimit } from './procfs.ts';
import { histogram, type ScenarioResult } from './report.ts';
import { closeCode, LogWindow } from './tunnelLog.ts';

export interface DescriptorLimitOptions {
  /** Descriptors left free above what the tunnel holds when the limit is lowered. */
  headroom: number;
  /** Connections attempted at the lowered limit (more than the headroom can carry). */
  attempts: number;
  /** Connections that must work after the others left, at the same limit. */
  afterwards: number;
}

/** 'reset': closed at once with an RST (a refused connection whose bytes were never read). */
type Outcome = 'echoed' | 'closed' | 'reset' | 'hung';

/** Opens an echo connection; 'echoed' leaves it open (holding its descriptors in the tunnel). */
async function attempt(tunnel: TunnelProcess, sockets: net.Socket[]): Promise<Outcome> {
  const socket = net.connect({ host: '127.0.0.1', port: tunnel.port });
  sockets.push(socket);
  let reset = false;
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
  });
  // A reset is a close too: 'hung' is only a client that gets neither an echo nor a close in 5 s
  // (once() below rejects on 'error', so the reset must not be read as a timeout).
  const closed = new Promise<Outcome>((resolve) => socket.once('close', () => resolve(reset ? 'reset' : 'closed')));
  try {
    await once(socket, 'connect', 5_000);
  } catch {
    return socket.destroyed ? closed : 'hung';
  }
  socket.write('Eping');
  const echoed = new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve('hung'), 5_000);
    socket.once('data', () => {
      clearTimeout(timer);
      resolve('echoed');
    });
    socket.once('close', () => clearTimeout(timer));
  });
  return Promise.race([echoed, closed]);
}

export async function descriptorLimit(tunnel: TunnelProcess, options: DescriptorLimitOptions): Promise<Omit<ScenarioResult, 'seconds'>> {
  const log = new LogWindow(tunnel.cli);
  const original = await fdLimit(tunnel.pid);
  const fdsBefore = await fdCount(tunnel.pid);
  const lowered = fdsBefore + options.headroom;
  const sockets: net.Socket[] = [];
  await setSoftFdLimit(tunnel.pid, lowered);
  try {
    const outcomes: Outcome[] = [];
    for (let batch = 0; batch < options.attempts; batch += 20) {
      outcomes.push(...(await Promise.all(Array.from({ length: Math.min(20, options.attempts - batch) }, () => attempt(tunnel, sockets)))));
    }
    const peakFds = await fdCount(tunnel.pid);
    const counts = histogram(outcomes);
    const listenerErrors = log.events('listener.error');
    const listenerCodes = histogram(listenerErrors.map((event) => String((event.error as { code?: string } | undefined)?.code ?? 'none')));
    const listenerMessages = [...new Set(listenerErrors.map((event) => String((event.error as { message?: string } | undefined)?.message ?? '')))].slice(0, 2);

    // Everyone leaves; the descriptors must come back, and the listener must work at the same limit.
    for (const socket of sockets.splice(0)) socket.destroy();
    await eventually(async () => (await fdCount(tunnel.pid)) <= fdsBefore || undefined, { timeoutMs: 10_000, what: 'the tunnel\'s descriptors to come back' }).catch(() => undefined);
    const fdsAfterRelease = await fdCount(tunnel.pid);
    const closedCodes = histogram([...log.closedById().values()].map((event) => closeCode(event)));
    let recovered = 0;
    for (let index = 0; index < options.afterwards; index++) if ((await attempt(tunnel, sockets)) === 'echoed') recovered++;
    for (const socket of sockets.splice(0)) socket.destroy();
    const stillUp = alive(tunnel.pid);

    const served = counts.echoed ?? 0;
    const hit = served < options.attempts;
    // The proxy was fine all along: a refusal blamed on it (PROXY_*) sends the user the wrong way.
    const blamedOnProxy = Object.entries(closedCodes).filter(([code]) => code.startsWith('PROXY_')).reduce((sum, [, count]) => sum + count, 0);
    const reported = listenerErrors.length > 0 || Object.keys(closedCodes).some((code) => code !== 'none' && !code.startsWith('no ') && !code.startsWith('PROXY_'));
    const pass = hit && reported && blamedOnProxy === 0 && (counts.hung ?? 0) === 0 && stillUp && recovered === options.afterwards && fdsAfterRelease <= fdsBefore;
    return {
      name: 'file-descriptor limit hit and recovered',
      pass,
      measured: `soft limit ${original.soft} → ${lowered} (tunnel held ${fdsBefore}, peak ${peakFds}); of ${options.attempts} clients ${served} served, ${counts.closed ?? 0} closed, ${counts.reset ?? 0} reset at once, ${counts.hung ?? 0} left hanging; logged: ${listenerErrors.length} listener.error ${JSON.stringify(listenerCodes)}, connection.closed ${JSON.stringify(closedCodes)} (${blamedOnProxy} blamed on the proxy); fds after release ${fdsAfterRelease}; then ${recovered}/${options.afterwards} served at the same limit; tunnel ${stillUp ? 'still up' : 'DIED'}`,
      target: 'limit reached and reported with a code that does not blame the proxy, no client left hanging, fds given back, new connections served at the same limit, tunnel up',
      figures: {
        softLimitOriginal: original.soft,
        softLimitLowered: lowered,
        fdsBefore,
        peakFds,
        attempts: options.attempts,
        outcomes: counts,
        listenerErrors: listenerErrors.length,
        listenerErrorCodes: listenerCodes,
        listenerErrorMessages: listenerMessages,
        closeCodes: closedCodes,
        blamedOnProxy,
        fdsAfterRelease,
        recovered,
        afterwards: options.afterwards,
        tunnelUp: stillUp,
      },
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    if (alive(tunnel.pid)) await withDeadline(setSoftFdLimit(tunnel.pid, original.soft), 5_000, 'prlimit to restore the limit').catch(() => undefined);
  }
}
