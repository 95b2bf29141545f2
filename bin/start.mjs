#!/usr/bin/env node
// `npm start`: runs the desktop app when Electron can run here; otherwise says why in one line and
// serves the same UI in a browser (the web host), printing its URL, so a newcomer's `npm start`
// always ends in a working UI. `npm start -- --web` asks for the web UI; `--port N` sets its port.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputsAreCurrent, recordBeside } from '../scripts/buildInputs.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 0;
const noOpen = args.includes('--no-open');

/** The executable's path inside an Electron dist folder, as the electron package names it. */
const executableInDist = process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : process.platform === 'win32' ? 'electron.exe' : 'electron';

/** The Electron executable when it is present (the npm package downloads it on first use). */
function electronBinary(electronDir) {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** Where the README says how to supply Electron's binary without the download. */
const readmeSection = 'README, "Electron without a download"';

/** An error and its causes in one line, e.g. "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
function describeError(error) {
  const parts = [];
  for (let current = error; current && parts.length < 4; current = current.cause) parts.push(String(current.message ?? current).split('\n')[0]);
  return parts.join(': ');
}

/** Downloads Electron's zip into its cache as the package's install.js does; the error text, or undefined. */
async function fetchElectron(electronDir) {
  try {
    const require = createRequire(join(electronDir, 'install.js'));
    const { downloadArtifact } = await import(pathToFileURL(require.resolve('@electron/get')).href);
    const { version } = require('./package.json');
    await downloadArtifact({
      version,
      artifactName: 'electron',
      cacheRoot: process.env.electron_config_cache,
      checksums: require('./checksums.json'),
      platform: process.env.ELECTRON_INSTALL_PLATFORM || process.env.npm_config_platform || process.platform,
      arch: process.env.ELECTRON_INSTALL_ARCH || process.env.npm_config_arch || process.arch,
    });
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

/** Why Electron cannot run here, or undefined with the binary when it can. */
async function electronStatus() {
  if (args.includes('--web') || process.env.PULSAR_TUNNEL_UI === 'web') return { asked: true };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no graphical display here (headless: no DISPLAY or WAYLAND_DISPLAY)' };
  }
  const electronDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(electronDir, 'install.js'))) return { reason: 'the electron package is not installed (run npm ci)' };
  // Electron's own variable for a binary kept elsewhere (as `require('electron')` honours it).
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let binary = override ? join(override, executableInDist) : electronBinary(electronDir);
  if (override && !existsSync(binary)) return { reason: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${binary} does not exist (${readmeSection})` };
  if (!binary) {
    // Electron ≥ 42 fetches its binary on first use (from GitHub, or ELECTRON_MIRROR, unless its
    // cache has it); offline that fails within seconds. Its own error says why.
    // Fetched here first, with the arguments the package's install.js passes, to have the error
    // itself (install.js prints only a stack without the cause); install.js then unpacks it from
    // the cache.
    const failure = await fetchElectron(electronDir);
    if (failure) return { reason: `Electron's binary could not be downloaded (${failure}); to supply it, see the ${readmeSection}` };
    const install = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'pipe', encoding: 'utf8', timeout: 300_000 });
    binary = install.status === 0 ? electronBinary(electronDir) : undefined;
    if (!binary) {
      const why = install.error?.message ?? (install.stderr.split('\n').find((line) => line.trim() !== '') ?? `exit ${install.status}`).trim();
      return { reason: `Electron's binary could not be unpacked (${why}); to supply it, see the ${readmeSection}` };
    }
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
  // Built when missing or older than its sources (scripts/buildInputs.mjs): the desktop app loads
  // these files as they are.
  if (!existsSync(join(root, 'out', 'renderer', 'index.html')) || !inputsAreCurrent(recordBeside(join(root, 'out', 'renderer')), root)) {
    const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
    if (vite.status !== 0) {
      console.error('pulsar-tunnel: building the UI failed; run `npm run build:renderer` to see why.');
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
    // The engine is forked from the CLI's entry: forking this script would start another web UI.
    await serveUi({ port: Number.isInteger(port) ? port : 0, open: !noOpen, until, engineEntry: join(root, 'bin', 'pulsar-tunnel.mjs') });
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
const status = await electronStatus();
if (status.binary) await startElectron(status.binary);
else await startWeb(status);
