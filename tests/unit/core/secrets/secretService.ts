/**
 * A private, real Secret Service for one test file: a session D-Bus daemon of our own (with no
 * service directories, so nothing is D-Bus-activated behind our back) and gnome-keyring-daemon on
 * it, unlocked with a password given on stdin, in a throw-away HOME. Sets
 * DBUS_SESSION_BUS_ADDRESS in process.env so keytar (loaded later in this process) talks to it.
 * Both daemons are children of this process and are stopped by {@link SecretService.stop}.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureProgram } from '../../../fixtures/systemPrograms.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';

/** A running private Secret Service; see {@link startSecretService}. */
export interface SecretService {
  /** The bus address (also put into process.env.DBUS_SESSION_BUS_ADDRESS). */
  address: string;
  /** The throw-away home of the keyring daemon. */
  dir: string;
  /** The environment a child process needs to use this Secret Service. */
  env: Record<string, string>;
  /** Locks the default ("login") collection, as a screen lock would (there is no prompter to unlock it again). */
  lock(): Promise<void>;
  /**
   * Points the "default" alias (where keytar writes) at gnome-keyring's in-memory "session"
   * collection. The "login" collection rewrites its file on every change (about 25 ms an item on
   * this kind of machine); tests that write thousands of items use this. Same daemon, same D-Bus API.
   */
  useMemoryCollection(): Promise<void>;
  /** Stops both daemons, restores the environment and removes the directory. */
  stop(): Promise<void>;
}

const password = 'test-keyring-password';

function busConfig(socketDir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${socketDir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return withDeadline(
    new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const end = buffered.indexOf('\n');
        if (end >= 0) resolve(buffered.slice(0, end).trim());
      });
      child.once('exit', (code) => reject(new Error(`${what} exited with ${String(code)} before printing its address`)));
      child.once('error', reject);
    }),
    5_000,
    what,
  );
}

function dbusSend(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', ...args], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`dbus-send ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

async function waitForSecretsName(env: NodeJS.ProcessEnv): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const reply = await dbusSend(env, ['/org/freedesktop/secrets/aliases/default', 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked']);
      if (reply.includes('boolean false')) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('gnome-keyring-daemon did not offer an unlocked default collection within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return withDeadline(exited, 5_000, `${child.spawnfile} to exit`).catch(() => {
    child.kill('SIGKILL');
  });
}

/**
 * Starts a private session bus and an unlocked gnome-keyring Secret Service on it.
 * @throws Error naming the Debian package when dbus-daemon or gnome-keyring-daemon is missing.
 */
export async function startSecretService(): Promise<SecretService> {
  await ensureProgram({ binary: 'dbus-daemon', debianPackage: 'dbus', neededFor: 'the OS keychain tests (private D-Bus session)' });
  await ensureProgram({ binary: 'dbus-send', debianPackage: 'dbus', neededFor: 'the OS keychain tests (locking the keyring)' });
  await ensureProgram({ binary: 'gnome-keyring-daemon', debianPackage: 'gnome-keyring', neededFor: 'the OS keychain tests (real Secret Service)' });

  const dir = await mkdtemp(join(tmpdir(), 'pt-secret-service-'));
  const runtimeDir = join(dir, 'run');
  await mkdir(runtimeDir, { mode: 0o700 });
  await mkdir(join(dir, 'home'));
  const configPath = join(dir, 'bus.conf');
  await writeFile(configPath, busConfig(runtimeDir));

  const bus = spawn('dbus-daemon', [`--config-file=${configPath}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let keyring: ChildProcess | undefined;
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  try {
    const address = await firstLine(bus, 'dbus-daemon');
    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: address,
      HOME: join(dir, 'home'),
      XDG_DATA_HOME: join(dir, 'home', 'data'),
      XDG_RUNTIME_DIR: runtimeDir,
    };
    const childEnv = { ...process.env, ...env };
    delete childEnv.DISPLAY;
    keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] });
    keyring.stdin?.end(password);
    await waitForSecretsName(childEnv);
    process.env.DBUS_SESSION_BUS_ADDRESS = address;

    const started = keyring;
    const collection = 'array:objpath:/org/freedesktop/secrets/collection/login';
    return {
      address,
      dir,
      env,
      lock: async () => {
        await dbusSend(childEnv, ['/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', collection]);
      },
      useMemoryCollection: async () => {
        await dbusSend(childEnv, ['/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.SetAlias', 'string:default', 'objpath:/org/freedesktop/secrets/collection/session']);
      },
      stop: async () => {
        if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
        else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
        await stopChild(started);
        await stopChild(bus);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (keyring) await stopChild(keyring);
    await stopChild(bus);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
