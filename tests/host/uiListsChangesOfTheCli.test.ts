/**
 * A running `pulsar-tunnel ui` answers listProfiles from memory while the store is unchanged, yet
 * shows every change another process makes to the same store folder (the CLI importing, replacing
 * and removing a profile) in its very next listProfiles. Black box: the real CLI twice, the real
 * store folder, the real Secret Service, the API over real HTTP.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { removeDir, tempDir } from '../unit/core/profiles/helpers.ts';
import { startKeychainWorld, type KeychainWorld } from '../unit/core/profiles/keychainWorld.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

let world: KeychainWorld;
let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  [world] = await Promise.all([startKeychainWorld(), ensureRendererBuild()]);
  home = await tempDir('ui-cli-home');
}, 120_000);

afterEach(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  ui = undefined;
});

afterAll(async () => {
  await removeDir(home);
  await world?.stop();
});

function cli(args: string[]) {
  return runCli(args, { env: { ...world.service.env, PULSAR_TUNNEL_HOME: home }, timeoutMs: 20_000 });
}

async function importConf(name: string, proxy: string, replace = false): Promise<void> {
  const file = path.join(home, `${name}.conf`);
  await writeFile(file, ['brokerServiceUrl=pulsar+ssl://broker.test:6651', `proxyServiceUrl=pulsar+ssl://${proxy}`, 'proxyProtocol=SNI', ''].join('\n'));
  const result = await cli(['profiles', 'import', file, '--name', name, ...(replace ? ['--replace'] : [])]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/**
 * Waits until the store folder's last change lies far enough back for the UI to answer the next
 * listing from memory (see storeStamps.ts): only then does a later change test that memory.
 */
async function settledFolder(): Promise<void> {
  const profiles = path.join(home, 'profiles');
  const files = [profiles, ...(await readdir(profiles)).map((name) => path.join(profiles, name))];
  const last = Math.max(...(await Promise.all(files.map(async (file) => (await stat(file)).ctimeMs))));
  await eventually(() => Date.now() > last + 500 || undefined, { timeoutMs: 5_000, what: 'the store folder to settle' });
}

describe('pulsar-tunnel ui and the CLI on one store', () => {
  it('shows a profile the CLI imports, replaces or removes in the next listProfiles', async () => {
    ui = startCli(['ui', '--no-open'], { env: { ...world.service.env, PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' } });
    const link = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui!.stdout())?.[0], { timeoutMs: 30_000, what: 'the UI URL on stdout' });
    const { origin } = new URL(link);
    const token = sessionFromHandOff(await (await fetch(link)).text());
    const listProfiles = async () => {
      const response = await fetch(`${origin}/api/listProfiles`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"args":[]}' });
      const body = (await response.json()) as { ok: boolean; value: { profile: { name: string; proxyServiceUrl: string } }[] };
      expect(body.ok).toBe(true);
      return body.value.map((view) => `${view.profile.name} ${view.profile.proxyServiceUrl}`);
    };

    await importConf('alpha', 'proxy-1.test:443');
    await settledFolder();
    // Twice: the second answer comes from the UI's memory of the store.
    expect(await listProfiles()).toEqual(['alpha pulsar+ssl://proxy-1.test:443']);
    expect(await listProfiles()).toEqual(['alpha pulsar+ssl://proxy-1.test:443']);

    await importConf('beta', 'proxy-2.test:443');
    expect(await listProfiles()).toEqual(['alpha pulsar+ssl://proxy-1.test:443', 'beta pulsar+ssl://proxy-2.test:443']);

    await settledFolder();
    expect(await listProfiles()).toHaveLength(2);
    await importConf('alpha', 'proxy-9.test:443', true);
    expect(await listProfiles()).toEqual(['alpha pulsar+ssl://proxy-9.test:443', 'beta pulsar+ssl://proxy-2.test:443']);

    await settledFolder();
    expect(await listProfiles()).toHaveLength(2);
    const removed = await cli(['profiles', 'remove', 'beta']);
    expect(removed.code).toBe(0);
    expect(await listProfiles()).toEqual(['alpha pulsar+ssl://proxy-9.test:443']);
  }, 120_000);
});
