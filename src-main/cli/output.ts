/**
 * How the CLI prints engine events: `json` writes one JSON object per line on stdout and nothing
 * else (scripts read it); `text` writes short human lines.
 */
import type { TunnelEvent } from '../../shared/model/events.ts';
import { printable } from './printable.ts';

export type LogFormat = 'json' | 'text';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * One human-readable line for an event, or undefined when text mode shows nothing for it. Fields
 * come from local clients and the cluster (versions, topics, paths, error messages), so the line is
 * escaped as a whole: whatever they hold, it stays one line with no terminal control in it.
 */
export function formatEventText(event: TunnelEvent): string | undefined {
  const line = describeEvent(event);
  return line === undefined ? undefined : printable(line);
}

function describeEvent(event: TunnelEvent): string | undefined {
  const time = new Date().toISOString().slice(11, 23);
  switch (event.event) {
    case 'ready':
      return `${time} ready: pulsar://${event.listen.pulsar}${event.listen.http ? `, http://${event.listen.http}` : ''}`;
    case 'connection.opened':
      return `${time} #${event.id} opened from ${event.local} to ${event.sni || '(no SNI)'} via ${event.proxy}`;
    case 'connection.secured':
      return `${time} #${event.id} ${event.tls.version} ${event.tls.cipher}, broker certificate ${event.tls.peerSubject} (valid to ${event.tls.peerValidTo.slice(0, 10)}), ${event.handshakeMs} ms`;
    case 'connection.closed':
      return event.error
        ? `${time} #${event.id} failed after ${event.durationMs} ms: ${event.error.code}: ${event.error.message}`
        : `${time} #${event.id} closed after ${event.durationMs} ms, ${size(event.bytesUp)} up, ${size(event.bytesDown)} down`;
    case 'listener.error':
      return `${time} ${event.listener} listener: ${event.error.code}: ${event.error.message}`;
    case 'listener.full':
      return `${time} ${event.listener} listener ${event.address}: ${event.error.code}: ${event.error.message}`;
    case 'connection.progress':
      return undefined;
    case 'warning':
    case 'secret.read':
      // `run` writes risky settings and secret reads to stderr itself; stdout keeps the connection log.
      return undefined;
    case 'pulsar.connect':
      return `${time} #${event.id} CONNECT from ${event.clientVersion} (protocol ${event.protocolVersion}), auth ${event.authMethod}${event.authInjected ? ' (added by the tunnel)' : ''}, broker ${event.broker}`;
    case 'pulsar.connected':
      return `${time} #${event.id} CONNECTED to ${event.serverVersion} (protocol ${event.protocolVersion})`;
    case 'pulsar.lookup':
      return event.broker
        ? `${time} #${event.id} lookup ${event.topic}: ${event.response} ${event.broker}, served locally on ${event.local}`
        : `${time} #${event.id} lookup ${event.topic}: ${event.response}${event.error ? `: ${event.error.code}: ${event.error.message}` : ''}`;
    case 'pulsar.producer':
      return `${time} #${event.id} producer on ${event.topic}`;
    case 'pulsar.consumer':
      return `${time} #${event.id} consumer ${event.subscription} on ${event.topic}`;
    case 'pulsar.moved':
      return `${time} #${event.id} ${event.resource} moved to ${event.broker}, served locally on ${event.local}`;
    case 'pulsar.authRefresh':
      return `${time} #${event.id} token refreshed for the broker`;
    case 'http.request':
      return `${time} #${event.id} ${event.method} ${event.path} → ${event.status} from ${event.broker || '(no answer)'} in ${event.durationMs} ms${event.redirectsFollowed ? `, ${event.redirectsFollowed} redirect(s) followed` : ''}${event.error ? `: ${event.error.code}: ${event.error.message}` : ''}`;
    case 'pulsar.brokerPort':
      return `${time} broker ${event.broker} now on ${event.local} (SNI ${event.sni || 'none'})`;
    default: {
      // Every kind has its line above: a new kind fails the type check here (and tests/cli/textLog.test.ts).
      const unknown: never = event;
      const { event: name, ...rest } = unknown as { event: string };
      return `${time} ${name} ${JSON.stringify(rest)}`;
    }
  }
}

/** Returns a printer for the chosen format. */
export function eventPrinter(format: LogFormat, out: NodeJS.WritableStream = process.stdout): (event: TunnelEvent) => void {
  if (format === 'json') return (event) => void out.write(`${JSON.stringify(event)}\n`);
  return (event) => {
    const line = formatEventText(event);
    if (line !== undefined) out.write(`${line}\n`);
  };
}
