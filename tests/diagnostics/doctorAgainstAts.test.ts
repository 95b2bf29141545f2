/**
 * The Doctor against a real Apache Traffic Server configured right and wrong in each way
 * docs/proxies.md lists ("ATS pitfalls", "What a client sees"), in front of the test clusters, with real TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskCatalog } from '../../shared/model/risks.ts';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { TEST_BROKER_PROTOCOL_VERSION, TEST_BROKER_VERSION } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts, splitHostPort, type SniRouter } from '../fixtures/sniRouters.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { failedStep, startDoctorWorld, startSilentServer, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let ats: SniRouter;
/** An HTTPS server (like a broker's admin port 8443) that answers every request with HTTP. */
let httpServer: TlsBackend;

beforeAll(async () => {
  world = await startDoctorWorld();
  const routes = [...world.cluster.sniRoutes(), ...world.mtlsCluster.sniRoutes()];
  const broker1 = routes.find((route) => route.fqdn === 'broker1.test')!;
  httpServer = await startTlsBackend({
    credential: world.pki.servers['admin.test']!,
    behaviour: (socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    },
  });
  ats = await startAts({
    routes: [
      ...routes,
      // A name routed to broker1, whose certificate names only broker1.test.
      { fqdn: 'wrongname.test', target: broker1.target },
      // A route to a port where nothing listens (listed in connect_ports).
      { fqdn: 'dead.test', target: `127.0.0.1:${world.deadPort}` },
      // A route to a port missing from connect_ports: ATS answers with an HTML page.
      { fqdn: 'plaintext.test', target: '127.0.0.1:1' },
      // A route host ATS cannot resolve: also an HTML page.
      { fqdn: 'unresolvable.test', target: `no-such-host.invalid:${world.deadPort}` },
      // A route to an HTTPS port instead of the broker's Pulsar TLS port.
      { fqdn: 'admin.test', target: httpServer.address },
    ],
    connectPorts: [...routes.map((route) => splitHostPort(route.target).port), world.deadPort, httpServer.port],
  });
});

afterAll(async () => {
  await ats?.stop();
  await httpServer?.stop();
  await world?.stop();
});

describe('doctor through ATS', () => {
  it('passes every step up to CONNECTED, a lookup and the owning broker for a good profile', async () => {
    const seen: string[] = [];
    const topic = world.cluster.topicOwnedBy('broker2.test', 'doctor');
    const report = await runDoctor(world.config(ats), { topic, onStep: (step) => seen.push(step.name) });
    expect(statuses(report)).toEqual({
      profile: 'ok',
      dns: 'ok',
      tcp: 'ok',
      tls: 'ok',
      // The test PKI's certificates are valid for 2 days: the Doctor warns about the coming expiry.
      certificate: 'warning',
      clientCertificate: 'skipped',
      pulsarConnect: 'ok',
      lookup: 'ok',
      brokerConnect: 'ok',
      // The one broker known is the lookup's, checked in the step before.
      brokers: 'skipped',
      idleTimeout: 'skipped',
    });
    expect(report.ok).toBe(true);
    expect(seen).toEqual(report.steps.map((step) => step.name));
    const connect = report.steps.find((step) => step.name === 'pulsarConnect')!;
    expect(connect.facts).toMatchObject({ serverVersion: TEST_BROKER_VERSION, protocolVersion: TEST_BROKER_PROTOCOL_VERSION, auth: 'token' });
    const certificate = report.steps.find((step) => step.name === 'certificate')!;
    expect(certificate.facts).toMatchObject({ expectedName: 'pulsar.test', names: ['pulsar.test'] });
    expect(certificate).toMatchObject({ code: 'TUNNEL_TLS_CERT_EXPIRING', fix: expect.stringMatching(/expires in [01] days?; renew it before then/) });
    const lookup = report.steps.find((step) => step.name === 'lookup')!;
    expect(lookup.facts).toMatchObject({ brokerServiceUrlTls: 'pulsar+ssl://broker2.test:6651' });
    expect(report.steps.find((step) => step.name === 'brokerConnect')!.facts).toMatchObject({ broker: 'broker2.test:6651', names: ['broker2.test'] });
    for (const step of report.steps) expect(step.durationMs).toBeGreaterThanOrEqual(0);
    // The broker saw the profile's token, injected as the tunnel does.
    const connects = world.cluster.brokerStats('broker2.test').connects;
    expect(connects.at(-1)).toMatchObject({ clientVersion: 'pulsar-tunnel-doctor', authMethodName: 'token', accepted: true, servername: 'broker2.test' });
    // The generated configuration routes the broker the lookup named.
    expect(report.proxyConfig?.atsSniYaml).toContain("- fqdn: 'broker2.test'");
  });

  it('explains alert 40 for a name without a route in sni.yaml and skips the rest', async () => {
    const report = await runDoctor(world.config(ats, { serviceHost: 'unknown.test' }), { topic: 'x' });
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'tls', code: 'PROXY_NO_ROUTE' });
    expect(step.detail).toContain('alert 40');
    expect(step.fix).toContain("- fqdn: 'unknown.test'");
    expect(report.ok).toBe(false);
    expect(report.failedStep).toBe('tls');
    expect(statuses(report)).toMatchObject({ tcp: 'ok', certificate: 'skipped', pulsarConnect: 'skipped', lookup: 'skipped', brokerConnect: 'skipped', idleTimeout: 'skipped' });
  });

  it('explains the HTML page ATS writes for a route to a port outside connect_ports', async () => {
    const step = failedStep(await runDoctor(world.config(ats, { serviceHost: 'plaintext.test' })));
    expect(step).toMatchObject({ name: 'tls', code: 'PROXY_ANSWERED_PLAINTEXT' });
    expect(step.fix).toContain('proxy.config.http.connect_ports');
  });

  it('explains the HTML page ATS writes for a route host it cannot resolve', async () => {
    const step = failedStep(await runDoctor(world.config(ats, { serviceHost: 'unresolvable.test' })));
    expect(step).toMatchObject({ name: 'tls', code: 'PROXY_ANSWERED_PLAINTEXT' });
    expect(step.fix).toContain('proxy.config.hostdb.host_file.path');
  });

  it('explains an HTTP answer to CONNECT (the "frame length 1213486164" error) as a route to an HTTP port', async () => {
    const report = await runDoctor(world.config(ats, { serviceHost: 'admin.test' }));
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'pulsarConnect', code: 'PULSAR_HTTP_RESPONSE' });
    expect(step.detail).toContain('HTTP/1.1 400 Bad Request');
    expect(step.fix).toContain('6651');
    expect(statuses(report)).toMatchObject({ tls: 'ok', certificate: 'warning' });
  });

  it('explains a route to a port where nothing listens', async () => {
    const step = failedStep(await runDoctor(world.config(ats, { serviceHost: 'dead.test' })));
    expect(step).toMatchObject({ name: 'tls', code: 'PROXY_ROUTE_DEAD' });
    expect(step.detail).toContain('check the tunnel_route target');
    // The fix adds the other reading of the same symptom, not the message again.
    expect(step.fix).not.toContain('tunnel_route target');
    expect(step.fix).toContain('use_backend');
  });

  it('says what to do once: a refused proxy port is explained by the message alone, with no second paragraph', async () => {
    const step = failedStep(await runDoctor(world.config({ host: '127.0.0.1', port: world.deadPort })));
    expect(step).toMatchObject({ name: 'tcp', code: 'PROXY_UNREACHABLE' });
    expect(step.detail).toContain('check proxyServiceUrl (host and port) and that the proxy is running');
    expect(step.fix ?? '').not.toMatch(/proxyServiceUrl/i);
  });

  it('explains a proxy that never answers the ClientHello after the connection timeout', async () => {
    const silent = await startSilentServer();
    try {
      const report = await runDoctor(world.config(silent, { connectionTimeoutMs: 400 }));
      const step = failedStep(report);
      expect(step).toMatchObject({ name: 'tls', code: 'TUNNEL_TLS_HANDSHAKE_TIMEOUT' });
      expect(step.durationMs).toBeGreaterThanOrEqual(350);
      expect(step.fix).toContain('ClientHello');
      expect(statuses(report)).toMatchObject({ dns: 'ok', tcp: 'ok' });
    } finally {
      await silent.close();
    }
  });

  it('fails the certificate step for a CA that did not issue the broker certificate, naming its issuer', async () => {
    const report = await runDoctor(world.config(ats, { tls: { caPem: world.pki.otherCa.certPem, verifyHostname: true, allowInsecure: false } }));
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'certificate', code: 'TUNNEL_TLS_UNTRUSTED' });
    expect(step.facts).toMatchObject({ expectedName: 'pulsar.test', names: ['pulsar.test'] });
    // The message says what to set; the fix adds only the other cause (the proxy's own certificate).
    expect(step.detail).toContain('set tlsTrustCertsFilePath');
    expect(step.fix).not.toContain('tlsTrustCertsFilePath');
    expect(step.fix).toContain("the proxy's own");
    expect(statuses(report)).toMatchObject({ tls: 'ok' });
  });

  it('fails the certificate step for a service host the certificate does not name, listing the names it has', async () => {
    const step = failedStep(await runDoctor(world.config(ats, { serviceHost: 'wrongname.test' })));
    expect(step).toMatchObject({ name: 'certificate', code: 'TUNNEL_TLS_HOSTNAME_MISMATCH' });
    expect(step.detail).toContain('"wrongname.test"');
    expect(step.detail).toContain('broker1.test');
    expect(step.facts).toMatchObject({ names: ['broker1.test'] });
  });

  it('fails the client-certificate step when the broker requires one and the profile has none', async () => {
    const report = await runDoctor(world.config(ats, { serviceHost: 'mtls.test', auth: { kind: 'none' } }));
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'clientCertificate', code: 'TUNNEL_TLS_CLIENT_CERT_REJECTED' });
    expect(statuses(report)).toMatchObject({ tls: 'ok', certificate: 'warning', pulsarConnect: 'skipped' });
  });

  it('fails the client-certificate step for a certificate from a CA the broker does not trust', async () => {
    const stranger = await world.pki.clientFor('stranger', { untrusted: true });
    const report = await runDoctor(
      world.config(ats, { serviceHost: 'mtls.test', auth: { kind: 'tls' }, tls: { caPem: world.pki.ca.certPem, certPem: stranger.certPem, keyPem: stranger.keyPem, verifyHostname: true, allowInsecure: false } }),
    );
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'clientCertificate', code: 'TUNNEL_TLS_CLIENT_CERT_REJECTED' });
    // The tunnel's own classification, naming the certificate and its issuer.
    expect(step.detail).toMatch(/rejected the client certificate CN=stranger issued by CN=unrelated test CA/);
  });

  it('passes the client-certificate step with a certificate the broker trusts', async () => {
    const client = world.pki.clients.developer!;
    const report = await runDoctor(
      world.config(ats, { serviceHost: 'mtls.test', auth: { kind: 'tls' }, tls: { caPem: world.pki.ca.certPem, certPem: client.certPem, keyPem: client.keyPem, verifyHostname: true, allowInsecure: false } }),
    );
    expect(statuses(report)).toMatchObject({ clientCertificate: 'ok', pulsarConnect: 'ok' });
    expect(report.ok).toBe(true);
  });

  it('fails the CONNECT step when the broker refuses the token', async () => {
    const report = await runDoctor(world.config(ats, { auth: { kind: 'token', getToken: async () => 'wrong-token' } }));
    const step = failedStep(report);
    expect(step).toMatchObject({ name: 'pulsarConnect', code: 'PULSAR_AUTH_REJECTED' });
    expect(step.detail).toContain('AuthenticationError');
    expect(statuses(report)).toMatchObject({ certificate: 'warning', clientCertificate: 'skipped' });
  });

  it('fails the TCP step when nothing listens at the proxy address', async () => {
    const report = await runDoctor(world.config({ host: '127.0.0.1', port: world.deadPort }));
    expect(failedStep(report)).toMatchObject({ name: 'tcp', code: 'PROXY_UNREACHABLE' });
  });

  it('fails the DNS step for a proxy host that does not resolve', async () => {
    const report = await runDoctor(world.config({ host: 'no-such-proxy.invalid', port: 443 }));
    expect(failedStep(report)).toMatchObject({ name: 'dns', code: 'PROXY_DNS_FAILED' });
    expect(statuses(report)).toMatchObject({ profile: 'ok', tcp: 'skipped' });
  });

  it('warns, without failing, about a profile that accepts any certificate and sends no keepalives', async () => {
    const report = await runDoctor(world.config(ats, { keepAliveIntervalSeconds: 0, tls: { verifyHostname: true, allowInsecure: true } }));
    const step = report.steps.find((candidate) => candidate.name === 'profile')!;
    expect(step.status).toBe('warning');
    // The same code and words as import, run and the UI.
    expect(step.fix).toContain(`TLS_INSECURE_CONNECTION: ${riskCatalog.TLS_INSECURE_CONNECTION}`);
    expect(step.facts).toMatchObject({ risks: ['TLS_INSECURE_CONNECTION'] });
    expect(step.fix).toContain('Set keepAliveIntervalSeconds below');
    expect(report.steps.find((candidate) => candidate.name === 'certificate')!.detail).toContain('NOT verified');
    expect(report.ok).toBe(true);
  });

  it('fails the profile step for TLS authentication without a client certificate', async () => {
    const report = await runDoctor(world.config(ats, { auth: { kind: 'tls' } }));
    expect(failedStep(report)).toMatchObject({ name: 'profile', code: 'PROFILE_INVALID' });
    expect(statuses(report)).toMatchObject({ dns: 'skipped' });
  });
});
