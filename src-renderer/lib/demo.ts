/**
 * Demo mode: the UI over the in-memory fake with a synthetic connection log, for trying the UI
 * without an engine and for measuring the log view in a real browser (`index.html?demo=1000` streams
 * about 1,000 events per second). Loaded only when the page has neither a preload nor a token.
 */
import type { LogEvent, TunnelApi } from '../../shared/ipc/contract.ts';
import { FakeTunnelApi } from './fakeApi.ts';

const brokers = ['broker-0.pulsar.test', 'broker-1.pulsar.test', 'broker-2.pulsar.test'];
const failures = [
  { code: 'PROXY_NO_ROUTE', message: 'The proxy rejected the TLS handshake for broker-2.pulsar.test (TLS alert 40): it has no route for it.' },
  { code: 'TUNNEL_PEER_RESET', message: 'The connection was reset by the broker.' },
] as const;

/**
 * An API whose log emits `eventsPerSecond` synthetic events (in 20 batches a second), after a first
 * batch of `prefillRows` finished connections (to measure the view when it is already full).
 */
export function createDemoApi(eventsPerSecond: number, prefillRows = 0): TunnelApi {
  const api = new FakeTunnelApi([
    { name: 'prod-eu', serviceUrl: 'pulsar+ssl://pulsar.eu.example.com:6651', proxyServiceUrl: 'pulsar+ssl://ats.eu.example.com:4443', proxyProtocol: 'SNI', auth: 'token', listen: { port: 0 } },
    { name: 'staging', serviceUrl: 'pulsar+ssl://pulsar.staging.example.com:6651', listen: { port: 0 } },
  ]);
  void api.startTunnel('prod-eu');
  api.setStatus({
    profile: 'prod-eu', state: 'running', listen: { pulsar: '127.0.0.1:6650', http: '127.0.0.1:8080' }, openConnections: 0, totalConnections: 0, startedAt: new Date().toISOString(),
    brokers: brokers.map((host, index) => ({ broker: `${host}:6651`, sni: host, local: `127.0.0.1:${41000 + index}`, health: 'unknown' as const })),
  });
  if (eventsPerSecond <= 0 && prefillRows <= 0) return api;

  let seq = 0;
  let nextId = 1;
  const open = new Map<number, { up: number; down: number; started: number }>();
  const perTick = Math.max(1, Math.round(eventsPerSecond / 20));

  const next = (): LogEvent => {
    seq += 1;
    const now = Date.now();
    const pick = seq % 10;
    if (open.size < 20 || (pick < 2 && open.size < 300)) {
      const id = nextId++;
      open.set(id, { up: 0, down: 0, started: now });
      const sni = brokers[id % brokers.length] as string;
      return { event: 'connection.opened', id, time: new Date(now).toISOString(), profile: 'prod-eu', listener: 'broker', local: `127.0.0.1:${50000 + (id % 10000)}`, sni, proxy: 'ats.eu.example.com:4443', seq };
    }
    const ids = [...open.keys()];
    const id = ids[seq % ids.length] as number;
    const state = open.get(id) as { up: number; down: number; started: number };
    if (pick < 7) {
      state.up += 120;
      state.down += 4096;
      if (state.up === 120) {
        return { event: 'connection.secured', id, profile: 'prod-eu', seq, handshakeMs: 14, tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: `CN=${brokers[id % brokers.length]}`, peerValidTo: '2027-06-01T00:00:00.000Z' } };
      }
      return { event: 'connection.progress', id, profile: 'prod-eu', seq, bytesUp: state.up, bytesDown: state.down };
    }
    open.delete(id);
    const error = id % 17 === 0 ? failures[id % 2] : undefined;
    return { event: 'connection.closed', id, profile: 'prod-eu', seq, bytesUp: state.up, bytesDown: state.down, durationMs: now - state.started, ...(error ? { error: { ...error } } : {}) };
  };

  const prefill = (count: number): LogEvent[] => {
    const events: LogEvent[] = [];
    const start = Date.now() - count * 10;
    for (let i = 0; i < count; i += 1) {
      const id = nextId++;
      seq += 2;
      const sni = brokers[id % brokers.length] as string;
      events.push({ event: 'connection.opened', id, time: new Date(start + i * 10).toISOString(), profile: 'staging', listener: 'broker', local: `127.0.0.1:${40000 + (id % 20000)}`, sni, proxy: sni, seq: seq - 1 });
      events.push({ event: 'connection.closed', id, profile: 'staging', seq, bytesUp: 512 * (i % 7), bytesDown: 8192 * (i % 5), durationMs: 40 + (i % 900) });
    }
    return events;
  };

  // Emits only while someone listens, like the engine.
  const subscribe = api.subscribeLog.bind(api);
  api.subscribeLog = (listener) => {
    const unsubscribe = subscribe(listener);
    if (prefillRows > 0) listener({ events: prefill(prefillRows), dropped: 0 });
    const timer = eventsPerSecond <= 0 ? undefined : setInterval(() => api.emit({ events: Array.from({ length: perTick }, next), dropped: 0 }), 50);
    return () => {
      if (timer !== undefined) clearInterval(timer);
      unsubscribe();
    };
  };
  return api;
}
