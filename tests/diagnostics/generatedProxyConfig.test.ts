/**
 * The proxy configuration the Doctor generates works: ATS started with the generated sni.yaml
 * entries and records.config lines routes the profile, and the Doctor passes through it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { proxyConfigFor } from '../../src-main/core/diagnostics/proxyConfig.ts';
import { startAts, splitHostPort, type SniRouter } from '../fixtures/sniRouters.ts';
import { brokerHosts, startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
const routers: SniRouter[] = [];

beforeAll(async () => {
  world = await startDoctorWorld();
});

afterAll(async () => {
  await Promise.all(routers.map((router) => router.stop()));
  await world?.stop();
});

/** The `- fqdn / tunnel_route` pairs of an sni.yaml text, in order. */
function sniEntries(yaml: string): { fqdn: string; target: string }[] {
  const entries: { fqdn: string; target: string }[] = [];
  const pattern = /^- fqdn: '([^']*)'\n {2}tunnel_route: '([^']*)'$/gm;
  for (let match = pattern.exec(yaml); match; match = pattern.exec(yaml)) entries.push({ fqdn: match[1]!, target: match[2]! });
  return entries;
}

/** The value of one `CONFIG name TYPE value` line. */
function recordValue(records: string, name: string): string {
  const match = new RegExp(`^CONFIG ${name.replace(/\./g, '\\.')} \\w+ (.*)$`, 'm').exec(records);
  if (!match) throw new Error(`no ${name} in\n${records}`);
  return match[1]!;
}

function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#') && line.trim() !== '')
    .join('\n');
}

describe('generated proxy configuration', () => {
  it('routes the profile through an ATS started with the generated sni.yaml and records.config lines', async () => {
    const targets = new Map(world.cluster.sniRoutes().map((route) => [route.fqdn, route.target]));
    // A config that names the proxy to be: the listen port is only known once ATS runs, so the
    // generated server_ports line is not used; everything else is.
    const draft = world.config({ host: '127.0.0.1', port: 443 });
    const generated = proxyConfigFor(
      draft,
      brokerHosts.map((host) => ({ host, port: 6651, target: targets.get(host)! })),
      { serviceTarget: targets.get('pulsar.test')!, clusterName: 'test-cluster' },
    );
    const entries = sniEntries(generated.atsSniYaml);
    expect(entries.map((entry) => entry.fqdn)).toEqual(['pulsar.test', ...brokerHosts]);
    const idle = Number(recordValue(generated.atsRecordsConfig, 'proxy.config.http.transaction_no_activity_timeout_in'));
    expect(idle).toBeGreaterThan(30);
    const ats = await startAts({
      routes: entries,
      connectPorts: recordValue(generated.atsRecordsConfig, 'proxy.config.http.connect_ports').split(' ').map(Number),
      idleTimeoutSeconds: idle,
    });
    routers.push(ats);
    // ATS really runs on the generated text: its sni.yaml is the generated one, and each generated
    // records.config line (but the listen port) is in its records.config.
    expect(withoutComments(await readFile(join(ats.dir, 'etc', 'sni.yaml'), 'utf8'))).toBe(withoutComments(generated.atsSniYaml));
    const records = await readFile(join(ats.dir, 'etc', 'records.config'), 'utf8');
    for (const line of withoutComments(generated.atsRecordsConfig).split('\n')) {
      if (!line.includes('server_ports')) expect(records).toContain(line);
    }
    const topic = world.cluster.topicOwnedBy('broker3.test', 'generated');
    const report = await runDoctor(world.config(ats), { topic });
    expect(report.ok).toBe(true);
    expect(statuses(report)).toMatchObject({ tls: 'ok', pulsarConnect: 'ok', lookup: 'ok', brokerConnect: 'ok' });
    // Every route target's port is in connect_ports, so no route gets ATS's HTML page.
    for (const entry of entries) expect(recordValue(generated.atsRecordsConfig, 'proxy.config.http.connect_ports').split(' ')).toContain(String(splitHostPort(entry.target).port));
  });

  it('writes the haproxy, nginx and pulsar-admin equivalents for the same names', () => {
    const config = { ...world.config({ host: 'proxy.example.com', port: 4443 }), web: { host: 'pulsar.test', port: 8443 } };
    const generated = proxyConfigFor(config, [{ host: 'broker1.test', port: 6651 }], { clusterName: 'east' });
    expect(generated.atsSniYaml).toContain("- fqdn: 'broker1.test'\n  tunnel_route: 'broker1.test:6651'");
    expect(generated.atsRecordsConfig).toContain('CONFIG proxy.config.hostdb.host_file.path STRING /etc/hosts');
    expect(generated.atsRecordsConfig).toContain('CONFIG proxy.config.http.server_ports STRING 4443:ssl');
    expect(generated.haproxy).toContain('use_backend pulsar_broker1_test if { req.ssl_sni -i broker1.test }');
    expect(generated.haproxy).toContain('server broker1_test broker1.test:6651');
    expect(generated.nginx).toContain('upstream pulsar_broker1_test { server broker1.test:6651; }');
    expect(generated.nginx).toContain('broker1.test pulsar_broker1_test;');
    expect(generated.nginx).toContain('ssl_preread on;');
    expect(generated.pulsarAdmin).toBe(
      [
        '# Lets brokers of other clusters (geo-replication) reach this cluster through the same SNI proxy:',
        'pulsar-admin clusters update east \\',
        '  --broker-url-secure pulsar+ssl://pulsar.test:6651 \\',
        '  --url-secure https://pulsar.test:8443 \\',
        '  --proxy-protocol SNI \\',
        '  --proxy-url pulsar+ssl://proxy.example.com:4443',
        '',
      ].join('\n'),
    );
  });
});
