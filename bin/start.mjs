#!/usr/bin/env node
// `npm start`: runs the desktop app when Electron can run here; otherwise says why in one line and
// serves the same UI in a browser (the web host), printing its URL, so a newcomer's `npm start`
// always ends in a working UI. `npm start -- --web` asks for the web UI; `--port N` sets its port.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 0;
const noOpen = args.includes('--no-open');

/** The Electron executable when it is present (the npm package downloads it on first use). */
function electronBinary(electronDir) {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** Why Electron cannot run here, or undefined with the binary when it can. */
function electronStatus() {
  if (args.includes('--web') || process.env.PULSAR_TUNNEL_UI === 'web') return { asked: true };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no graphical display here (headless: no DISPLAY or WAYLAND_DISPLAY)' };
  }
  const electronDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(electronDir, 'install.js'))) return { reason: 'the electron package is not installed (run npm ci)' };
  let binary = electronBinary(electronDir);
  if (!binary) {
    // Electron ≥ 42 fetches its binary from GitHub on first use; offline that fails within seconds.
    const download = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'pipe', timeout: 300_000 });
    binary = download.status === 0 ? electronBinary(electronDir) : undefined;
    if (!binary) return { reason: "Electron's binary is not available here (its download from GitHub failed: offline or blocked)" };
  }
  // A binary that cannot start (missing system libraries) is as good as none.
  const probe = spawnSync(binary, ['--version'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: 'pipe', timeout: 30_000 });
  if (probe.status !== 0) return { reason: `Electron's binary does not run here (${String(probe.stderr || probe.error?.message || 'exit ' + probe.status).trim().split('\n')[0]})` };
  return { binary };
}

/** Runs an npm script, inheriting the terminal; exits on failure with the command to retry. */
function runScript(script, why) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`pulsar-tunnel: ${why} failed; run \`npm run ${script}\` to see why.`);
    process.exit(1);
  }
}

async function startElectron(binary) {
  if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
    const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
    if (vite.status !== 0) {
      console.error('pulsar-tunnel: building the UI failed; run `npx vite build` to see why.');
      process.exit(1);
    }
  }
  runScript('build:main', 'building the Electron main process');
  const child = spawn(binary, [root], { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function startWeb({ reason, asked }) {
  console.log(asked ? 'pulsar-tunnel: starting the web UI (asked for by --web or PULSAR_TUNNEL_UI=web).' : `pulsar-tunnel: ${reason}; starting the web UI instead.`);
  const { register } = await import('tsx/esm/api');
  register();
  const { serveUi } = await import(pathToFileURL(join(root, 'src-main', 'host', 'serveUi.ts')).href);
  const until = new Promise((resolveStop) => {
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => {
        // A second signal while tunnels close forces the exit.
        for (const again of ['SIGINT', 'SIGTERM']) process.once(again, () => process.exit(1));
        resolveStop(signal);
      });
    }
  });
  try {
    await serveUi({ port: Number.isInteger(port) ? port : 0, open: !noOpen, until });
    process.exit(0);
  } catch (error) {
    console.error(`pulsar-tunnel: ${error?.code ? `${error.code}: ` : ''}${error?.message ?? String(error)}`);
    process.exit(1);
  }
}

/**
 * One line when keytar, the OS keychain module, is missing (its optional build failed during npm ci,
 * e.g. without libsecret's headers): the app runs, but profiles with secrets cannot be used.
 */
async function warnWithoutKeychain() {
  try {
    createRequire(join(root, 'package.json'))('keytar');
  } catch (error) {
    // The same advice as the CLI's and the UI's KEYCHAIN_UNAVAILABLE (one source).
    const { tsImport } = await import('tsx/esm/api');
    const { keytarMissingAdvice } = await tsImport(pathToFileURL(join(root, 'shared', 'keytarAdvice.ts')).href, import.meta.url);
    console.error(`pulsar-tunnel: the OS keychain module (keytar) is not installed or did not build (${String(error?.message ?? error).split('\n')[0]}); tokens and keys cannot be stored until you ${keytarMissingAdvice}.`);
  }
}

await warnWithoutKeychain();
const status = electronStatus();
if (status.binary) await startElectron(status.binary);
else await startWeb(status);
