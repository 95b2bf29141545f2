/**
 * Each broker row of a running tunnel's status carries its health and last error, read from the
 * run's events by the SNI each connection was opened with; the brokers a profile's tunnels named
 * reach the Doctor. (The black-box run with a stopped broker is in tests/e2e/uiDoctorAndBrokers.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import type { DoctorReport } from '../../../../shared/model/doctor.ts';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import type { RunDoctorOptions } from '../../../../src-main/core/diagnostics/doctor.ts';
import { MemoryStore, sampleProfile, ScriptedRunner } from './memoryStore.ts';

let service: AppService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=b', peerValidTo: '2030-01-01T00:00:00.000Z' };
let nextId = 100;

function opened(sni: string): TunnelEvent & { id: number } {
  return { event: 'connection.opened', id: nextId++, time: new Date().toISOString(), profile: 'alpha', listener: 'broker', local: '127.0.0.1:5555', sni, proxy: 'proxy.example.test:4443' };
}

async function setup() {
  const store = new MemoryStore();
  const runner = new ScriptedRunner();
  const doctorRuns: RunDoctorOptions[] = [];
  const runDoctor = async (_config: unknown, options: RunDoctorOptions): Promise<DoctorReport> => {
    doctorRuns.push(options);
    return { profile: 'alpha', ok: true, startedAt: new Date().toISOString(), durationMs: 0, steps: [] };
  };
  service = new AppService({ store, startTunnel: runner.start, runDoctor });
  await service.saveProfile(sampleProfile('alpha'));
  await service.startTunnel('alpha');
  const tunnel = runner.latest('alpha');
  tunnel.brokers = [
    { broker: 'broker1.test:6651', sni: 'broker1.test', local: '127.0.0.1:41001' },
    { broker: 'broker2.test:6651', sni: 'broker2.test', local: '127.0.0.1:41002' },
    { broker: 'broker3.test:6651', sni: 'broker3.test', local: '127.0.0.1:41003' },
  ];
  for (const broker of tunnel.brokers) tunnel.emit({ event: 'pulsar.brokerPort', ...broker });
  return { service, tunnel, doctorRuns };
}

describe('broker health per row', () => {
  it('is unknown until a connection to the broker is answered or ends, ok when answered, failing with the last error when one fails', async () => {
    const { service, tunnel } = await setup();
    expect(service.statusOf('alpha').brokers.map((broker) => broker.health)).toEqual(['unknown', 'unknown', 'unknown']);

    const good = opened('broker1.test');
    tunnel.emit(good);
    tunnel.emit({ event: 'connection.secured', id: good.id, tls, handshakeMs: 3 });
    tunnel.emit({ event: 'pulsar.connected', id: good.id, serverVersion: '4.0', protocolVersion: 21 });
    const bad = opened('broker2.test');
    tunnel.emit(bad);
    const error = { code: 'PROXY_ROUTE_DEAD' as const, message: 'The proxy accepted the connection for "broker2.test" and closed it without a TLS answer.' };
    tunnel.emit({ event: 'connection.closed', id: bad.id, bytesUp: 0, bytesDown: 0, durationMs: 4, error });

    const rows = service.statusOf('alpha').brokers;
    expect(rows[0]).toMatchObject({ broker: 'broker1.test:6651', health: 'ok' });
    expect(rows[0]).not.toHaveProperty('lastError');
    expect(rows[1]).toMatchObject({ broker: 'broker2.test:6651', health: 'failing', lastError: error });
    expect(rows[1]?.lastError?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(rows[2]).toMatchObject({ health: 'unknown' });

    // A later answer makes broker2 ok again; its last error stays to be read.
    const again = opened('broker2.test');
    tunnel.emit(again);
    tunnel.emit({ event: 'connection.secured', id: again.id, tls, handshakeMs: 3 });
    tunnel.emit({ event: 'pulsar.connected', id: again.id, serverVersion: '4.0', protocolVersion: 21 });
    expect(service.statusOf('alpha').brokers[1]).toMatchObject({ health: 'ok', lastError: { code: 'PROXY_ROUTE_DEAD' } });
  });

  it('does not count a client hanging up on an established connection against the broker', async () => {
    const { service, tunnel } = await setup();
    const conn = opened('broker3.test');
    tunnel.emit(conn);
    tunnel.emit({ event: 'connection.secured', id: conn.id, tls, handshakeMs: 3 });
    tunnel.emit({ event: 'connection.closed', id: conn.id, bytesUp: 10, bytesDown: 10, durationMs: 50, error: { code: 'TUNNEL_PEER_RESET', message: 'The client reset the connection.' } });
    expect(service.statusOf('alpha').brokers[2]?.health).toBe('unknown');
  });

  it('gives the Doctor the brokers the tunnel named, also after the tunnel stopped', async () => {
    const { service, doctorRuns } = await setup();
    await service.stopTunnel('alpha');
    await service.runDoctor('alpha', { brokers: ['extra.test:6651'] });
    expect(doctorRuns.at(-1)?.brokers).toEqual(['extra.test:6651', 'broker1.test:6651', 'broker2.test:6651', 'broker3.test:6651']);
  });
});
