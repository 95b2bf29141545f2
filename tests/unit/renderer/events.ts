/** Builders of log events for the renderer tests. */
import type { LogBatch, LogEvent } from '../../../shared/ipc/contract.ts';

let seq = 0;

export function opened(id: number, profile = 'prod', sni = 'broker-1.test', time = '2026-11-27T00:00:00.000Z'): LogEvent {
  return { event: 'connection.opened', id, time, profile, listener: 'pulsar', local: `127.0.0.1:${50000 + id}`, sni, proxy: 'proxy.test:4443', seq: ++seq };
}

export function secured(id: number, profile = 'prod'): LogEvent {
  return {
    event: 'connection.secured', id, profile, seq: ++seq, handshakeMs: 12,
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=broker-1.test', peerValidTo: '2027-01-01T00:00:00.000Z' },
  };
}

export function closed(id: number, profile = 'prod', extra: Partial<Extract<LogEvent, { event: 'connection.closed' }>> = {}): LogEvent {
  return { event: 'connection.closed', id, profile, seq: ++seq, bytesUp: 100, bytesDown: 2000, durationMs: 1500, ...extra };
}

export function batch(events: LogEvent[], dropped = 0): LogBatch {
  return { events, dropped };
}

/**
 * A lookup the broker answered with Failed, as the engine reports it (tests/unit/core/routing/lookupFailure.test.ts
 * checks the engine emits exactly this for the same answer).
 */
export function failedLookup(id: number, topic: string, reason: string, profile = 'prod'): LogEvent {
  return {
    event: 'pulsar.lookup', id, profile, seq: ++seq, topic, response: 'Failed',
    error: { code: 'PULSAR_LOOKUP_FAILED', message: `The broker could not look up ${topic}: ${reason}.` },
  };
}
