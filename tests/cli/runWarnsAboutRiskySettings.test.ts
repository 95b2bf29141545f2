/**
 * Every `run` start says which risky settings the profile has: a line on stderr and a `warning`
 * event in the JSON log (before `ready`), with the same codes as import, the Doctor and the UI.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskCatalog } from '../../shared/model/risks.ts';
import { startCli } from '../fixtures/cliProcess.ts';

describe('pulsar-tunnel run with risky settings', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pt-risky-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function profile(name: string, extra: Record<string, unknown>): Promise<string> {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ name, serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:1', ...extra }));
    return file;
  }

  it('warns on stderr and in the JSON log before ready, once per risky setting', async () => {
    const file = await profile('risky', {
      tlsAllowInsecureConnection: true,
      tlsHostnameVerificationEnable: false,
      listen: { host: '0.0.0.0', port: 0, allowNonLoopback: true },
    });
    const cli = startCli(['run', file, '--log-format', 'json']);
    try {
      await cli.waitForEvent((event) => event.event === 'ready');
    } finally {
      await cli.stop();
    }
    const names = cli.events.map((event) => event.event);
    expect(names.indexOf('ready')).toBe(3);
    expect(cli.events.slice(0, 3)).toEqual([
      { event: 'warning', code: 'TLS_INSECURE_CONNECTION', field: 'tlsAllowInsecureConnection', message: riskCatalog.TLS_INSECURE_CONNECTION },
      { event: 'warning', code: 'TLS_HOSTNAME_NOT_VERIFIED', field: 'tlsHostnameVerificationEnable', message: riskCatalog.TLS_HOSTNAME_NOT_VERIFIED },
      { event: 'warning', code: 'LISTEN_NOT_LOOPBACK', field: 'listen.host', message: expect.stringContaining('listen.host "0.0.0.0" is not a loopback address') },
    ]);
    expect(cli.stderr()).toContain(`warning: TLS_INSECURE_CONNECTION: ${riskCatalog.TLS_INSECURE_CONNECTION}`);
    expect(cli.stderr()).toContain('warning: TLS_HOSTNAME_NOT_VERIFIED: ');
    expect(cli.stderr()).toContain('warning: LISTEN_NOT_LOOPBACK: listen.host "0.0.0.0"');
    // The browser protection of the web listener is not what it is on loopback: the warning says so.
    expect(cli.stderr()).toMatch(/LISTEN_NOT_LOOPBACK: .*web listener's protection against web pages does not fully hold/);
    expect(cli.stdoutLines).toEqual([]);
  });

  it('says nothing for a profile with safe settings', async () => {
    const cli = startCli(['run', await profile('safe', { listen: { port: 0 } }), '--log-format', 'json']);
    try {
      await cli.waitForEvent((event) => event.event === 'ready');
    } finally {
      await cli.stop();
    }
    expect(cli.events.filter((event) => event.event === 'warning')).toEqual([]);
    expect(cli.stderr()).toBe('');
  });
});
