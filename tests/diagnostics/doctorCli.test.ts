/**
 * `pulsar-tunnel doctor` as a black box: exit statuses, the text lines and the --json document,
 * against a real ATS in front of the test cluster.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorStepNames, type DoctorReport } from '../../shared/model/doctor.ts';
import { runCli } from '../fixtures/cliProcess.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { goodToken, startDoctorWorld, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let ats: SniRouter;
let dir: string;

async function profileFile(name: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  const profile = {
    name,
    serviceUrl: 'pulsar+ssl://pulsar.test:6651',
    proxyServiceUrl: `pulsar+ssl://${ats.host}:${ats.port}`,
    tlsTrustCertsFilePath: world.pki.ca.certPath,
    authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
    authParams: `token:${goodToken}`,
    connectionTimeoutMs: 3000,
    ...overrides,
  };
  await writeFile(file, JSON.stringify(profile));
  return file;
}

beforeAll(async () => {
  world = await startDoctorWorld();
  ats = await startAts({ routes: world.cluster.sniRoutes() });
  dir = await mkdtemp(path.join(tmpdir(), 'pt-doctor-cli-'));
});

afterAll(async () => {
  await ats?.stop();
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pulsar-tunnel doctor', () => {
  it('prints one JSON report with every step and exits 0 for a good profile with --json (and the proxy configuration with --proxy-config)', async () => {
    const topic = world.cluster.topicOwnedBy('broker3.test', 'cli');
    const result = await runCli(['doctor', await profileFile('good'), '--json', '--topic', topic, '--proxy-config']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ profile: 'good', ok: true });
    expect(report.failedStep).toBeUndefined();
    expect(Date.parse(report.startedAt)).not.toBeNaN();
    expect(report.steps.map((step) => step.name)).toEqual([...doctorStepNames]);
    for (const step of report.steps) {
      expect(step).toEqual(expect.objectContaining({ name: expect.any(String), title: expect.any(String), status: expect.stringMatching(/^(ok|warning|skipped)$/), durationMs: expect.any(Number), detail: expect.any(String) }));
    }
    expect(report.steps.find((step) => step.name === 'brokerConnect')).toMatchObject({ status: 'ok', facts: { broker: 'broker3.test:6651' } });
    expect(Object.keys(report.proxyConfig ?? {}).sort()).toEqual(['atsRecordsConfig', 'atsSniYaml', 'haproxy', 'nginx', 'pulsarAdmin']);
    expect(report.proxyConfig?.atsSniYaml).toContain("- fqdn: 'broker3.test'");
    // The token never appears in the report.
    expect(result.stdout).not.toContain(goodToken);
  });

  it('prints a line per step with what to do and exits 1 when a step fails', async () => {
    const result = await runCli(['doctor', await profileFile('unrouted', { serviceUrl: 'pulsar+ssl://unrouted.test:6651' })]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✓ Profile is valid \(\d+ ms\)/m);
    expect(result.stdout).toMatch(/^✓ TCP connection to the proxy \(\d+ ms\)/m);
    expect(result.stdout).toMatch(/^✗ TLS handshake with the service name \(SNI\) \(\d+ ms\): .*alert 40/m);
    expect(result.stdout).toMatch(/^ {4}error: PROXY_NO_ROUTE$/m);
    expect(result.stdout).toMatch(/^ {4}what to do: The route to add, in ATS sni.yaml:$/m);
    expect(result.stdout).toMatch(/^- Pulsar CONNECT \/ CONNECTED \(skipped\)/m);
    expect(result.stderr).toMatch(/doctor: the step "TLS handshake with the service name \(SNI\)" failed/);
  });

  it('reports the failed step in JSON and exits 1 when the broker refuses the token', async () => {
    const result = await runCli(['doctor', await profileFile('bad-token', { authParams: 'token:nope' }), '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ ok: false, failedStep: 'pulsarConnect' });
    // Without --proxy-config the JSON report has no proxy configuration, as the text has none.
    expect(report).not.toHaveProperty('proxyConfig');
    expect(report.steps.find((step) => step.name === 'pulsarConnect')).toMatchObject({ status: 'failed', code: 'PULSAR_AUTH_REJECTED', fix: expect.stringContaining('token') });
  });

  it('prints the proxy configuration with --proxy-config', async () => {
    const result = await runCli(['doctor', await profileFile('config'), '--proxy-config']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- ATS sni.yaml ---');
    expect(result.stdout).toContain("- fqdn: 'pulsar.test'");
    expect(result.stdout).toContain('CONFIG proxy.config.http.connect_ports STRING 6651');
    expect(result.stdout).toContain('req.ssl_sni -i pulsar.test');
    expect(result.stdout).toContain('map $ssl_preread_server_name $pulsar_upstream');
    expect(result.stdout).toContain(`--proxy-url pulsar+ssl://${ats.host}:${ats.port}`);
    // Only the names this run met are listed: it says that the other brokers need routes too, and how to list them.
    expect(result.stdout).toContain('Every broker of the cluster needs a route too');
    expect(result.stdout).toContain('`pulsar-admin brokers list <cluster-name>`');
  });

  it('exits 2 with the profile step failed for a profile it cannot load', async () => {
    const result = await runCli(['doctor', await profileFile('broken', { serviceUrl: 'pulsar://plain:6650' }), '--json']);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report).toMatchObject({ ok: false, failedStep: 'profile' });
    expect(report.steps[0]).toMatchObject({ name: 'profile', status: 'failed', code: 'PROFILE_INVALID' });
    expect(report.steps.slice(1).every((step) => step.status === 'skipped')).toBe(true);
  });

  it('checks each --broker through the proxy with its own SNI', async () => {
    const result = await runCli(['doctor', await profileFile('brokers'), '--json', '--broker', 'broker1.test:6651', '--broker', 'broker3.test:6651']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.steps.find((step) => step.name === 'brokers')).toMatchObject({ status: 'ok', facts: { checked: ['broker1.test:6651', 'broker3.test:6651'], failing: [] } });
  });

  it('exits 2 without a profile, with two profiles, with an empty topic, or a --broker that is not host:port', async () => {
    const file = await profileFile('any');
    for (const args of [['doctor'], ['doctor', file, '--profile', 'x'], ['doctor', file, '--topic', ''], ['doctor', file, '--broker', 'not a broker']]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
    }
  });
});
