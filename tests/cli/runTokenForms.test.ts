/**
 * `run` reads `authParams` as Pulsar's AuthenticationToken does, with the same reader as import:
 * `file:/abs/path` (Pulsar's own token-file form) once resolved to a mangled path under the
 * profile's folder, and a bare token was refused.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../fixtures/cliProcess.ts';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmb3JtcyJ9.Zm9ybXM';

describe('pulsar-tunnel run with each token form of authParams', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pt-forms-'));
    await writeFile(path.join(dir, 'token.txt'), `${token}\n`);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function profile(name: string, authParams: string): Promise<string> {
    const file = path.join(dir, `${name}.json`);
    const content = {
      name,
      serviceUrl: 'pulsar+ssl://pulsar.test:6651',
      proxyServiceUrl: 'pulsar+ssl://127.0.0.1:1',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams,
      listen: { port: 0 },
    };
    await writeFile(file, JSON.stringify(content));
    return file;
  }

  const forms = () => [
    ['file:/abs (Pulsar)', `file:${dir}/token.txt`],
    ['file:///abs (Pulsar)', `file://${dir}/token.txt`],
    ['file://relative', 'file://token.txt'],
    ['a bare token (Pulsar)', token],
    ['token:', `token:${token}`],
  ];

  it('starts with every form Pulsar accepts, reading the token file where the form says', async () => {
    for (const [label, authParams] of forms()) {
      const cli = startCli(['run', await profile(label!.replace(/\W+/g, '-'), authParams!), '--log-format', 'json']);
      try {
        await cli.waitForEvent((event) => event.event === 'ready', 15_000);
      } catch (error) {
        throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
      } finally {
        await cli.stop();
      }
      // A token file is announced before it is read (it is beside the profile: no --read-secrets needed); nothing else is said.
      const announced = authParams!.startsWith('file:') ? `warning: reading the token from file ${dir}/token.txt (named by authParams), to be sent to pulsar+ssl://pulsar.test:6651 through the proxy 127.0.0.1:1 (SNI pulsar.test)\n` : '';
      expect(cli.stderr(), label).toBe(announced);
    }
  });

  it('names the file it tried, resolved as Pulsar resolves it, when a file:/abs token is missing', async () => {
    const result = await runCli(['run', await profile('missing', `file:${dir}/gone.txt`)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`PROFILE_SECRET_UNAVAILABLE: authParams: cannot read the token file ${dir}/gone.txt (no such file)`);
  });
});
