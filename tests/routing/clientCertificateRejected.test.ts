/**
 * With TLS 1.3 a broker's verdict on the client certificate comes after the handshake, so a refused
 * certificate shows only as an alert or a close right after it. The tunnel names that failure
 * (TUNNEL_TLS_CLIENT_CERT_REJECTED, with the certificate's subject and issuer) instead of logging a
 * clean close, and with inspection on tells the Pulsar client with an ERROR.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import type { Credential } from '../fixtures/pki.ts';
import { PulsarServerError, TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { CommandType, FrameReader, encodeSimpleFrame, type DecodedFrame } from '../fixtures/pulsarCluster/protocol.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { Tunnel } from '../../src-main/core/tunnel/tunnel.ts';
import { MemoryStore, sampleProfile } from '../unit/core/service/memoryStore.ts';
import { splitAddress, testConfig } from '../tunnel/harness.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
let stranger: Credential;

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { requireClientCert: true } } });
  stranger = await harness.pki.clientFor('stranger', { untrusted: true });
});

afterAll(async () => {
  await harness?.stop();
});

function strangerOverrides(pulsarProtocol: 'inspect' | 'raw'): Partial<TunnelConfig> {
  return {
    pulsarProtocol,
    auth: { kind: 'tls' },
    tls: { caPem: harness.pki.ca.certPem, certPem: stranger.certPem, keyPem: stranger.keyPem, verifyHostname: true, allowInsecure: false },
  };
}

function strangerProfile(pulsarProtocol: 'inspect' | 'raw') {
  return harness.tunnel(strangerOverrides(pulsarProtocol));
}

/** The closed event must name the failure and the certificate the broker refused. */
function expectRejection(closed: { error?: { code: string; message: string } }): void {
  expect(closed.error?.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
  expect(closed.error?.message).toContain('CN=stranger');
  expect(closed.error?.message).toContain('unrelated test CA');
}

describe('a client certificate the broker does not trust', () => {
  it('is reported, and the Pulsar client gets an ERROR saying so, with inspection on', async () => {
    const tunnel = await strangerProfile('inspect');
    const client = await harness.client(tunnel);
    const refusal = await client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(PulsarServerError);
    expect((refusal as PulsarServerError).message).toMatch(/pulsar-tunnel TUNNEL_TLS_CLIENT_CERT_REJECTED: .*CN=stranger/);
    const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
    expectRejection(closed as { error?: { code: string; message: string } });
  });

  it('is reported in raw mode', async () => {
    const tunnel = await strangerProfile('raw');
    const socket = net.connect({ host: tunnel.host, port: tunnel.port });
    const frames: DecodedFrame[] = [];
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
    socket.on('error', () => undefined);
    const closedLocally = once(socket, 'close', 10_000);
    await once(socket, 'connect', 5_000);
    socket.write(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'raw-client', protocol_version: 21, auth_method_name: 'tls' } }));
    const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
    expectRejection(closed as { error?: { code: string; message: string } });
    await withDeadline(closedLocally, 10_000, 'the local client to be closed');
    // Raw mode does not speak Pulsar: no frame of the tunnel's own.
    expect(frames).toEqual([]);
  });

  it('marks nothing for a trusted certificate: the same broker accepts it', async () => {
    const developer = harness.pki.clients.developer!;
    const tunnel = await harness.tunnel({ auth: { kind: 'tls' }, tls: { caPem: harness.pki.ca.certPem, certPem: developer.certPem, keyPem: developer.keyPem, verifyHostname: true, allowInsecure: false } });
    const client = await harness.client(tunnel);
    await client.connect();
    await client.close();
    const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
    expect(closed).not.toHaveProperty('error');
  });
});

it('turns the tunnel\'s status to failing, with the reason, in the app service the UI reads, once', async () => {
  const store = new MemoryStore();
  await store.save(sampleProfile('stranger'));
  // The profile as the store would resolve it: through ATS to the cluster, with the untrusted certificate.
  store.tunnelConfig = async () => testConfig({ serviceHost: 'pulsar.test', router: harness.ats, caPem: harness.pki.ca.certPem, overrides: { ...strangerOverrides('inspect'), name: 'stranger' } });
  const service = new AppService({ store, startTunnel: (config, options) => Tunnel.start(config, options) });
  try {
    const started = await service.startTunnel('stranger');
    expect(started.state).toBe('running');
    const changes: string[] = [];
    service.onHealth((change) => changes.push(`${change.previous}->${change.status.state}`));
    const [host, port] = splitAddress(started.listen!.pulsar);
    // Two attempts, as a client that reconnects makes: each handshake succeeds, each is refused.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const client = await TestClientConnection.open({ host, port: Number(port) });
      await expect(client.connect()).rejects.toThrow(/TUNNEL_TLS_CLIENT_CERT_REJECTED/);
      client.destroy();
      await eventually(() => service.statusOf('stranger').totalConnections === attempt && service.statusOf('stranger').openConnections === 0, { timeoutMs: 5_000, what: `attempt ${attempt} to end` });
    }
    expect(service.statusOf('stranger')).toMatchObject({ state: 'failing', lastError: { code: 'TUNNEL_TLS_CLIENT_CERT_REJECTED', message: expect.stringContaining('CN=stranger') } });
    // Failing once, not running again between attempts (which would notify the desktop each time).
    expect(changes).toEqual(['running->failing']);
  } finally {
    await service.dispose();
  }
});
