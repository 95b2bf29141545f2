/**
 * The engine process of `pulsar-tunnel ui` runs below the UI's CPU priority, so that on a busy
 * machine the UI's API is answered first (README, "The engine process"). A black box: the real CLI,
 * the nice value of every thread of its engine child read from /proc (Linux: nice is per thread).
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';
import { engineNiceFromEnvironment } from '../../src-main/core/service/enginePriority.ts';

let home: string | undefined;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
}, 120_000);

afterEach(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  ui = undefined;
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

/** The nice value (field 19 of /proc/.../stat) of every thread of `pid`. */
async function threadNices(pid: number): Promise<number[]> {
  const nices: number[] = [];
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const text = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    // Fields after the command name's closing parenthesis start at field 3 (state).
    nices.push(Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}

/** The `engine` child of `pid`, from /proc. */
async function enginePid(pid: number): Promise<number | undefined> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
  for (const child of children) {
    if ((await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0').includes('engine')) return child;
  }
  return undefined;
}

describe.runIf(process.platform === 'linux')('the engine process of pulsar-tunnel ui', () => {
  it('runs every thread 5 nice steps below the UI process', async () => {
    home = await mkdtemp(join(tmpdir(), 'pt-engine-nice-'));
    ui = startCli(['ui', '--no-open'], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '', PULSAR_TUNNEL_ENGINE_NICE: '' } });
    const [uiNice] = await threadNices(ui.pid);
    const expected = Math.min(19, uiNice! + 5);
    const engine = await eventually(() => enginePid(ui!.pid), { timeoutMs: 30_000, what: 'the engine process' });
    const nices = await eventually(async () => {
      const all = await threadNices(engine);
      return all.length > 0 && all.every((nice) => nice === expected) ? all : undefined;
    }, { timeoutMs: 30_000, what: `every engine thread at nice ${expected}` });
    expect(nices.length).toBeGreaterThan(1);
    // The UI's own threads keep their priority.
    expect(await threadNices(ui.pid)).toEqual((await threadNices(ui.pid)).map(() => uiNice));
  }, 60_000);
});

describe('PULSAR_TUNNEL_ENGINE_NICE', () => {
  it('is a step from 0 to 19, 5 when unset or not a whole number', () => {
    expect(engineNiceFromEnvironment(undefined)).toBe(5);
    expect(engineNiceFromEnvironment('')).toBe(5);
    expect(engineNiceFromEnvironment('0')).toBe(0);
    expect(engineNiceFromEnvironment('3')).toBe(3);
    expect(engineNiceFromEnvironment('40')).toBe(19);
    expect(engineNiceFromEnvironment('-4')).toBe(0);
    expect(engineNiceFromEnvironment('fast')).toBe(5);
  });
});
