/**
 * `run` must be listening for SIGINT/SIGTERM before it prints `ready`: a supervisor (or a test)
 * that stops the tunnel as soon as it reads `ready` must get a clean stop (exit 0, running-tunnel
 * record removed), never Node's default "killed by SIGTERM". Run in-process with an injected
 * context, so the order is checked exactly rather than raced.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerRunCommand } from '../../src-main/cli/commands/run.ts';
import type { CliContext } from '../../src-main/cli/context.ts';

let home: string;
const previousHome = process.env.PULSAR_TUNNEL_HOME;

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'run-signals-'));
  process.env.PULSAR_TUNNEL_HOME = home;
});

afterEach(async () => {
  vi.restoreAllMocks();
  if (previousHome === undefined) delete process.env.PULSAR_TUNNEL_HOME;
  else process.env.PULSAR_TUNNEL_HOME = previousHome;
  await rm(home, { recursive: true, force: true });
});

describe('run and signals', () => {
  it('listens for signals before it prints ready, and a signal right after ready stops the tunnel cleanly', async () => {
    const profile = path.join(home, 'p.json');
    await writeFile(
      profile,
      JSON.stringify({ name: 'p', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', proxyProtocol: 'SNI', pulsarProtocol: 'raw', listen: { port: 0 } }),
    );
    const order: string[] = [];
    let signal!: (name: NodeJS.Signals) => void;
    const signalled = new Promise<NodeJS.Signals>((resolve) => (signal = resolve));
    const context: CliContext = {
      untilSignal: () => {
        order.push('listening for signals');
        return signalled;
      },
      storedProfileConfig: () => Promise.reject(new Error('not used')),
    };
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes('"event":"ready"')) {
        order.push('ready');
        // Stop as soon as ready is out, as a supervisor would.
        signal('SIGTERM');
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);

    const program = new Command().exitOverride();
    registerRunCommand(program, context);
    await program.parseAsync(['run', profile, '--log-format', 'json'], { from: 'user' });

    expect(order).toEqual(['listening for signals', 'ready']);
    expect(await readdir(path.join(home, 'running')).catch(() => [])).toEqual([]);
  });
});
