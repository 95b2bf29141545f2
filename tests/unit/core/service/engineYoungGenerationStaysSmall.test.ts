/**
 * The engine's garbage-collector settings (gcTuning.ts) keep V8's young generation at the size it
 * has when the engine starts: a burst of short-lived objects (opening many connections, moving
 * data) must not grow it to V8's default 16 MB per semi-space, whose pages stay resident after.
 * V8 flags are per process, so each case runs in a child process of its own.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { repoRoot } from '../../../fixtures/cliProcess.ts';

const gcTuning = pathToFileURL(path.join(repoRoot, 'src-main/core/service/gcTuning.ts')).href;

/** The young generation's size in MB after ~300 MB of short-lived objects, in a fresh Node. */
function youngGenerationAfterChurn(tuned: boolean): Promise<number> {
  const code = [
    "import v8 from 'node:v8';",
    tuned ? `const { tuneGcForStreaming } = await import(${JSON.stringify(gcTuning)}); tuneGcForStreaming();` : '',
    'let keep = [];',
    // Objects that live a little (as a connection's do while it opens), then die.
    'for (let i = 0; i < 5e6; i++) { keep.push({ i, text: `n${i}` }); if (keep.length > 100000) keep = []; }',
    "const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');",
    'console.log(young.space_size / 1024 / 1024);',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, timeout: 60_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(Number(stdout.trim()));
    });
  });
}

it('keeps the young generation at its starting size (a few MB) through a burst of allocation', async () => {
  expect(await youngGenerationAfterChurn(true)).toBeLessThanOrEqual(4);
}, 90_000);

it('measures something: without the tuning the same burst grows it past that', async () => {
  expect(await youngGenerationAfterChurn(false)).toBeGreaterThan(4);
}, 90_000);
