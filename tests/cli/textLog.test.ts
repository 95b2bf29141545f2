/**
 * `--log-format text` gives every event kind its own readable line (only progress ticks print
 * nothing, and warnings and secret reads, which `run` writes to stderr instead). Driven from the list of kinds in shared/model/events.ts: a kind added there without a
 * sample and an expected line here fails this test.
 */
import { describe, expect, it } from 'vitest';
import { formatEventText } from '../../src-main/cli/output.ts';
import { tunnelEventKinds, type TunnelEvent, type TunnelEventKind } from '../../shared/model/events.ts';

const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=b1.test', peerValidTo: '2027-03-01T12:00:00.000Z' };

/** One sample per kind and what its line must say (undefined: the kind prints nothing). */
const expected: { [K in TunnelEventKind]: Array<{ event: Extract<TunnelEvent, { event: K }>; line: RegExp | undefined }> } = {
  ready: [
    { event: { event: 'ready', listen: { pulsar: '127.0.0.1:6650', http: '127.0.0.1:8080' } }, line: /ready: pulsar:\/\/127\.0\.0\.1:6650, http:\/\/127\.0\.0\.1:8080$/ },
    { event: { event: 'ready', listen: { pulsar: '127.0.0.1:6650' } }, line: /ready: pulsar:\/\/127\.0\.0\.1:6650$/ },
  ],
  'connection.opened': [
    { event: { event: 'connection.opened', id: 1, time: '', profile: 'p', listener: 'pulsar', local: '127.0.0.1:5000', sni: 'b1.test', proxy: 'ats:443' }, line: /#1 opened from 127\.0\.0\.1:5000 to b1\.test via ats:443$/ },
    { event: { event: 'connection.opened', id: 2, time: '', profile: 'p', listener: 'broker', local: '127.0.0.1:5001', sni: '', proxy: '10.0.0.5:6651' }, line: /#2 opened from 127\.0\.0\.1:5001 to \(no SNI\) via 10\.0\.0\.5:6651$/ },
  ],
  'connection.secured': [
    { event: { event: 'connection.secured', id: 1, tls, handshakeMs: 12 }, line: /#1 TLSv1\.3 TLS_AES_256_GCM_SHA384, broker certificate CN=b1\.test \(valid to 2027-03-01\), 12 ms$/ },
  ],
  'connection.progress': [{ event: { event: 'connection.progress', id: 1, bytesUp: 1, bytesDown: 1 }, line: undefined }],
  warning: [{ event: { event: 'warning', code: 'TLS_INSECURE_CONNECTION', field: 'tlsAllowInsecureConnection', message: 'any certificate' }, line: undefined }],
  'secret.read': [{ event: { event: 'secret.read', secret: 'token', from: 'env', name: 'MY_TOKEN', field: 'authParams', sentTo: 'pulsar+ssl://b1.test:6651', message: 'reading the token' }, line: undefined }],
  'connection.closed': [
    { event: { event: 'connection.closed', id: 1, bytesUp: 2048, bytesDown: 10, durationMs: 5, error: { code: 'PROXY_NO_ROUTE', message: 'no route' } }, line: /#1 failed after 5 ms: PROXY_NO_ROUTE: no route$/ },
    { event: { event: 'connection.closed', id: 3, bytesUp: 2048, bytesDown: 3 * 1024 * 1024, durationMs: 40, tls }, line: /#3 closed after 40 ms, 2\.0 KiB up, 3\.0 MiB down$/ },
  ],
  'listener.error': [
    { event: { event: 'listener.error', listener: 'broker', error: { code: 'TUNNEL_LISTEN_FAILED', message: 'EMFILE' } }, line: /broker listener: TUNNEL_LISTEN_FAILED: EMFILE$/ },
  ],
  'listener.full': [
    {
      event: { event: 'listener.full', listener: 'http', address: '127.0.0.1:8080', limit: 128, refused: 3, evicted: 0, error: { code: 'TUNNEL_CONNECTION_LIMIT', message: 'full' } },
      line: /http listener 127\.0\.0\.1:8080: TUNNEL_CONNECTION_LIMIT: full$/,
    },
  ],
  'http.request': [
    {
      event: { event: 'http.request', id: 4, method: 'GET', path: '/admin/v2/clusters', status: 200, broker: 'web1.test:8443', durationMs: 9, redirectsFollowed: 1 },
      line: /#4 GET \/admin\/v2\/clusters → 200 from web1\.test:8443 in 9 ms, 1 redirect\(s\) followed$/,
    },
    {
      event: { event: 'http.request', id: 5, method: 'PUT', path: '/admin/v2/x', status: 502, broker: '', durationMs: 3, redirectsFollowed: 0, error: { code: 'HTTP_REDIRECT_UNREACHABLE', message: 'http://10.0.0.1' } },
      line: /#5 PUT \/admin\/v2\/x → 502 from \(no answer\) in 3 ms: HTTP_REDIRECT_UNREACHABLE: http:\/\/10\.0\.0\.1$/,
    },
  ],
  'pulsar.connect': [
    {
      event: { event: 'pulsar.connect', id: 1, clientVersion: 'Pulsar-Java-v3.3', protocolVersion: 21, authMethod: 'token', authInjected: true, broker: 'pulsar.test:6651' },
      line: /#1 CONNECT from Pulsar-Java-v3\.3 \(protocol 21\), auth token \(added by the tunnel\), broker pulsar\.test:6651$/,
    },
    {
      event: { event: 'pulsar.connect', id: 2, clientVersion: 'pulsar-flex', protocolVersion: 17, authMethod: 'none', authInjected: false, broker: 'b2.test:6651' },
      line: /#2 CONNECT from pulsar-flex \(protocol 17\), auth none, broker b2\.test:6651$/,
    },
  ],
  'pulsar.connected': [{ event: { event: 'pulsar.connected', id: 1, serverVersion: 'Pulsar Server 4.0', protocolVersion: 21, maxMessageSize: 5242880 }, line: /#1 CONNECTED to Pulsar Server 4\.0 \(protocol 21\)$/ }],
  'pulsar.lookup': [
    { event: { event: 'pulsar.lookup', id: 1, topic: 'persistent://t/n/x', response: 'Connect', broker: 'b1.test:6651', local: '127.0.0.1:41000' }, line: /#1 lookup persistent:\/\/t\/n\/x: Connect b1\.test:6651, served locally on 127\.0\.0\.1:41000$/ },
    {
      event: { event: 'pulsar.lookup', id: 1, topic: 'persistent://t/n/bad', response: 'Failed', error: { code: 'PULSAR_LOOKUP_FAILED', message: 'The broker could not look up persistent://t/n/bad: Invalid topic name.' } },
      line: /#1 lookup persistent:\/\/t\/n\/bad: Failed: PULSAR_LOOKUP_FAILED: The broker could not look up persistent:\/\/t\/n\/bad: Invalid topic name\.$/,
    },
  ],
  'pulsar.producer': [{ event: { event: 'pulsar.producer', id: 1, topic: 'persistent://t/n/x' }, line: /#1 producer on persistent:\/\/t\/n\/x$/ }],
  'pulsar.consumer': [{ event: { event: 'pulsar.consumer', id: 1, topic: 'persistent://t/n/x', subscription: 'sub-a' }, line: /#1 consumer sub-a on persistent:\/\/t\/n\/x$/ }],
  'pulsar.moved': [
    { event: { event: 'pulsar.moved', id: 1, resource: 'producer', broker: 'b2.test:6651', local: '127.0.0.1:41001' }, line: /#1 producer moved to b2\.test:6651, served locally on 127\.0\.0\.1:41001$/ },
    { event: { event: 'pulsar.moved', id: 1, resource: 'topic', broker: 'east.test:6651', local: '127.0.0.1:41002' }, line: /#1 topic moved to east\.test:6651, served locally on 127\.0\.0\.1:41002$/ },
  ],
  'pulsar.authRefresh': [{ event: { event: 'pulsar.authRefresh', id: 7 }, line: /#7 token refreshed for the broker$/ }],
  'pulsar.brokerPort': [
    { event: { event: 'pulsar.brokerPort', broker: 'b3.test:6651', sni: 'b3.test', local: '127.0.0.1:41003' }, line: /broker b3\.test:6651 now on 127\.0\.0\.1:41003 \(SNI b3\.test\)$/ },
    { event: { event: 'pulsar.brokerPort', broker: '10.0.0.7:6651', sni: '', local: '127.0.0.1:41004' }, line: /broker 10\.0\.0\.7:6651 now on 127\.0\.0\.1:41004 \(SNI none\)$/ },
  ],
};

describe('the text log', () => {
  it.each([...tunnelEventKinds])('gives %s its own line', (kind) => {
    const cases = (expected as Partial<Record<string, Array<{ event: TunnelEvent; line: RegExp | undefined }>>>)[kind];
    expect(cases, `no sample for ${kind}: add one with its expected line`).toBeDefined();
    for (const { event, line } of cases!) {
      expect(event.event).toBe(kind);
      const text = formatEventText(event);
      if (line === undefined) {
        expect(text).toBeUndefined();
        continue;
      }
      expect(text).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} /);
      expect(text).toMatch(line);
      // Never the raw JSON fallback.
      expect(text).not.toContain('{"');
    }
  });

  it('has samples only for kinds that exist', () => {
    expect(Object.keys(expected).sort()).toEqual([...tunnelEventKinds].sort());
  });
});
