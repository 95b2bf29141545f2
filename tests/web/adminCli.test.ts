/**
 * pulsar-admin-style use end to end through the CLI: a stored profile (token in a real Secret
 * Service) with a web listener, `run --profile`, the webServiceUrl that `client-conf` prints, and
 * curl against it, through a real ATS to our test admin servers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { freePort } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { ensureProgram, systemPrograms } from '../fixtures/systemPrograms.ts';
import { startSecretService, type SecretService } from '../unit/core/secrets/secretService.ts';

const token = 'admin-token-kept-in-the-keychain';
let pki: TestPki;
let admin: AdminCluster;
let ats: SniRouter;
let secrets: SecretService;
let dir: string;
let curl: string;
let cli: CliProcess | undefined;

beforeAll(async () => {
  curl = await ensureProgram(systemPrograms.curl);
  pki = await createTestPki({ serverHosts: ['broker1.test', 'broker2.test'] });
  admin = await startAdminCluster({ pki, brokers: ['broker1.test', 'broker2.test'], token, owners: { 't/ns/two': 'broker2.test' } });
  ats = await startAts({ routes: admin.sniRoutes() });
  secrets = await startSecretService();
  dir = await mkdtemp(path.join(tmpdir(), 'pt-web-cli-'));
});

afterAll(async () => {
  await cli?.stop().catch(() => undefined);
  await ats?.stop();
  await admin?.stop();
  await secrets?.stop();
  await pki?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function curlGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile(curl, ['-sS', '--max-time', '10', '-w', '\n%{http_code}', url], (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`curl failed: ${stderr}`, { cause: error }));
        return;
      }
      const cut = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) });
    });
  });
}

it('serves curl at the webServiceUrl client-conf prints, with the keychain token injected and a redirect followed', async () => {
  const env = { ...secrets.env, PULSAR_TUNNEL_HOME: path.join(dir, 'home') };
  const [port, webPort] = [await freePort(), await freePort()];
  await writeFile(path.join(dir, 'ca.pem'), pki.ca.certPem);
  await writeFile(path.join(dir, 'token.txt'), token);
  await writeFile(
    path.join(dir, 'profile.json'),
    JSON.stringify({
      name: 'admin',
      serviceUrl: 'pulsar+ssl://broker1.test:6651',
      webServiceUrl: 'https://broker1.test:8443',
      proxyServiceUrl: `pulsar+ssl://${ats.address}`,
      proxyProtocol: 'SNI',
      tlsTrustCertsFilePath: 'ca.pem',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: 'file://token.txt',
      listen: { port, webPort },
    }),
  );
  const imported = await runCli(['profiles', 'import', path.join(dir, 'profile.json'), '--read-secrets'], { env });
  expect(imported.code).toBe(0);

  cli = startCli(['run', '--profile', 'admin', '--log-format', 'json'], { env });
  const ready = await cli.waitForEvent((event) => event.event === 'ready');
  expect(ready.listen.http).toBe(`127.0.0.1:${webPort}`);

  const conf = await runCli(['client-conf', 'admin'], { env });
  expect(conf.code).toBe(0);
  const webServiceUrl = /^webServiceUrl=(.+)$/m.exec(conf.stdout)?.[1];
  expect(webServiceUrl).toBe(`http://127.0.0.1:${webPort}`);

  const clusters = await curlGet(`${webServiceUrl!}/admin/v2/clusters`);
  expect(clusters).toEqual({ status: 200, body: '["test"]' });
  const stats = await curlGet(`${webServiceUrl!}/admin/v2/persistent/t/ns/two/stats`);
  expect(stats.status).toBe(200);
  expect(JSON.parse(stats.body)).toMatchObject({ servedBy: 'broker2.test' });
  expect(admin.requests.at(-1)).toMatchObject({ broker: 'broker2.test', authorization: `Bearer ${token}` });

  const logged = await cli.waitForEvent((event) => event.event === 'http.request' && event.path === '/admin/v2/persistent/t/ns/two/stats');
  expect(logged).toMatchObject({ status: 200, broker: 'broker2.test:8443', redirectsFollowed: 1 });
  expect(cli.stdout()).not.toContain(token);
  expect((await cli.stop()).code).toBe(0);
});
