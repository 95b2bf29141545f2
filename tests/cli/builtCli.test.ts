/**
 * The CLI as `npm ci` leaves it: built once into out/cli (`npm run build:cli`, run by `prepare`;
 * the test run's global setup builds it from the current sources), so a running tunnel is one
 * process with no bundler or loader beside it; the TypeScript sources run only when one of them
 * is newer than the build (a developer at work) or there is no build.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEntry, repoRoot, runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';

let dir: string;
let cli: CliProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pt-built-cli-'));
});

afterAll(async () => {
  await cli?.stop('SIGKILL').catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The processes whose parent is `pid`, as `ps` lists them ("pid command" lines). */
function children(pid: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['--ppid', String(pid), '-o', 'pid=,args='], (error, stdout) => {
      // ps exits 1 when it lists nothing.
      if (error && (error as { code?: unknown }).code !== 1) reject(error);
      else resolve(stdout.split('\n').map((line) => line.trim()).filter((line) => line !== ''));
    });
  });
}

it('runs a tunnel from the build as one process, with no child process, and stops it with one SIGTERM', async () => {
  const file = path.join(dir, 'one.json');
  await writeFile(file, JSON.stringify({ name: 'one', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }));
  cli = startCli(['run', file, '--log-format', 'json'], { env: { PULSAR_TUNNEL_HOME: path.join(dir, 'home'), PULSAR_TUNNEL_DEBUG: '1' } });
  await cli.waitForEvent((event) => event.event === 'ready');
  expect(await children(cli.pid)).toEqual([]);
  // It ran the build, not the sources through tsx.
  expect(cli.stderr()).not.toContain('running the sources');
  expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null });
});

it('--help is served from the build, without the sources or a loader', async () => {
  const help = await runCli(['--help'], { env: { PULSAR_TUNNEL_DEBUG: '1' } });
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: pulsar-tunnel');
  expect(help.stderr).toBe('');
});

it('runs the sources through tsx when one is newer than the build, or when there is no build', async () => {
  // A miniature project laid out like this one, with the real entry point and the real tsx.
  const project = path.join(dir, 'project');
  await mkdir(path.join(project, 'out', 'cli'), { recursive: true });
  await mkdir(path.join(project, 'src-main', 'cli'), { recursive: true });
  await cp(cliEntry, path.join(project, 'bin', 'pulsar-tunnel.mjs'));
  await cp(path.join(repoRoot, 'scripts', 'buildInputs.mjs'), path.join(project, 'scripts', 'buildInputs.mjs'));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'pulsar-tunnel', type: 'module' }));
  const source = path.join(project, 'src-main', 'cli', 'main.ts');
  await writeFile(source, "const where: string = 'the sources';\nconsole.log(where);\n");
  await writeFile(path.join(project, 'out', 'cli', 'main.mjs'), "console.log('the build');\n");
  const builtAt = Date.now();
  await utimes(source, new Date(builtAt - 60_000), new Date(builtAt - 60_000));
  await writeFile(path.join(project, 'out', 'cli', 'inputs.json'), JSON.stringify({ builtAt, inputs: ['src-main/cli/main.ts'] }));
  const entry = [path.join(project, 'bin', 'pulsar-tunnel.mjs')];

  expect((await runCli([], { entry, cwd: project })).stdout).toBe('the build\n');
  await utimes(source, new Date(builtAt + 60_000), new Date(builtAt + 60_000));
  expect((await runCli([], { entry, cwd: project })).stdout).toBe('the sources\n');
  await rm(path.join(project, 'out'), { recursive: true });
  expect((await runCli([], { entry, cwd: project })).stdout).toBe('the sources\n');
});

it('runs the sources, not the stale build, when a file that went into the build is put back with older times (cp -p, rsync -t, touch -d)', async () => {
  // With the runtime dependencies bundled, a package file replaced under node_modules with the
  // times it had elsewhere (a copy that keeps times, a package manager linking from its store) is
  // such a file too: the build must not keep running what it bundled. The real build script and
  // entry point, on a miniature project.
  const project = path.join(dir, 'restored');
  await mkdir(path.join(project, 'src-main', 'cli'), { recursive: true });
  await cp(cliEntry, path.join(project, 'bin', 'pulsar-tunnel.mjs'));
  await cp(path.join(repoRoot, 'scripts', 'buildCli.mjs'), path.join(project, 'scripts', 'buildCli.mjs'));
  await cp(path.join(repoRoot, 'scripts', 'buildInputs.mjs'), path.join(project, 'scripts', 'buildInputs.mjs'));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'pulsar-tunnel', type: 'module', dependencies: {} }));
  // An entry and a module it loads when it runs (as the real commands do: a chunk of its own).
  const main = path.join(project, 'src-main', 'cli', 'main.ts');
  const source = path.join(project, 'src-main', 'cli', 'version.ts');
  await writeFile(main, "const { version } = await import('./version.ts');\nconsole.log(version);\n");
  await writeFile(source, "export const version = 'version one';\n");
  const earlier = new Date(Date.now() - 60_000);
  for (const file of [main, source]) await utimes(file, earlier, earlier);
  const build = await runCli([], { entry: [path.join(project, 'scripts', 'buildCli.mjs')], cwd: project });
  expect(build.stderr).toBe('');
  expect(build.code).toBe(0);
  const entry = [path.join(project, 'bin', 'pulsar-tunnel.mjs')];
  const debug = { PULSAR_TUNNEL_DEBUG: '1' };
  const fromBuild = await runCli([], { entry, cwd: project, env: debug });
  expect(fromBuild.stdout).toBe('version one\n');
  expect(fromBuild.stderr).not.toContain('running the sources');

  // Another version, with times older than the build's and than those of the file it replaced.
  await writeFile(source, "export const version = 'version two';\n");
  const older = new Date(earlier.getTime() - 3_600_000);
  await utimes(source, older, older);
  const afterRestore = await runCli([], { entry, cwd: project, env: debug });
  expect(afterRestore.stdout).toBe('version two\n');
  expect(afterRestore.stderr).toContain('running the sources');
});

it('carries the npm packages it runs with: the build loads none from node_modules but keytar and, on demand, vite', async () => {
  // Loading zod, commander, protobufjs and ws file by file through Node's module loader costs a
  // running tunnel memory and start-up time; they are bundled. keytar is native (and optional), vite
  // is a build tool `ui` loads only to build a missing UI.
  // esbuild reads the build's imports and require() calls as Node would (not strings that quote code).
  const loaded = new Set<string>();
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'out', 'cli', 'main.mjs')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-packages',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
            if (!args.path.startsWith('node:') && !builtinModules.includes(name)) loaded.add(name);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  expect([...loaded].sort()).toEqual(['keytar', 'vite']);
});
