/**
 * An engine process that dies while a tunnel is starting in it: the start goes to the restarted
 * engine and succeeds there, instead of failing because of a crash the user had nothing to do
 * with; a start that the restarted engine dies on as well fails, with ENGINE_CRASHED saying so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

const noEvents = { onEvent: () => undefined };

describe('an engine that dies while a tunnel starts', () => {
  it('starts the tunnel in the restarted engine, and the start succeeds there', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const starting = remote.startTunnel(sampleConfig('alpha'), noEvents);
    const [id] = await eventually(() => engines[0]!.starts().length > 0 && engines[0]!.starts(), { timeoutMs: 5_000, what: 'the start sent to the first engine' });

    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(id!), { timeoutMs: 5_000, what: 'the start sent to the restarted engine' });
    engines[1]!.started(id!, 6650);

    const tunnel = await starting;
    expect(tunnel.addresses.pulsar).toBe('127.0.0.1:6650');
    expect(remote.restarts).toBe(1);
  });

  it('fails the start with ENGINE_CRASHED when the restarted engine dies during it too', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const starting = remote.startTunnel(sampleConfig('alpha'), noEvents);
    const outcome = starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    await eventually(() => engines[0]!.starts().length > 0, { timeoutMs: 5_000, what: 'the start sent to the first engine' });
    engines[0]!.exit('exit code 1');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().length > 0, { timeoutMs: 5_000, what: 'the start sent again' });
    engines[1]!.exit('killed by SIGSEGV');

    const error = (await outcome) as { code?: string; message?: string } | undefined;
    expect(error?.code).toBe('ENGINE_CRASHED');
    expect(error?.message).toContain('killed by SIGSEGV');
    expect(error?.message).toContain('the tunnel was not started');
  });

  it('still brings a running tunnel back when the engine dies while another one starts', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const events: string[] = [];
    const runningStart = remote.startTunnel(sampleConfig('running'), { onEvent: (event) => events.push(`${event.event}:${'error' in event ? event.error?.code : ''}`) });
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'the first start sent' });
    engines[0]!.started(engines[0]!.starts()[0]!, 7001);
    await runningStart;
    const second = remote.startTunnel(sampleConfig('second'), noEvents);
    await eventually(() => engines[0]!.starts().length === 2, { timeoutMs: 5_000, what: 'the second start sent' });

    engines[0]!.exit('killed by SIGKILL');
    expect(events).toEqual(['listener.error:ENGINE_CRASHED']);
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().length === 2, { timeoutMs: 5_000, what: 'both starts sent to the restarted engine' });
    const restartedOn = engines[1]!.sent.flatMap((message) => (message.type === 'start' ? [message.config.listen.port] : []));
    // The running one on the port it had, the one that was starting on the port its profile asks for.
    expect(restartedOn).toEqual([7001, 0]);
    for (const id of engines[1]!.starts()) engines[1]!.started(id, 7000 + id);
    expect((await second).addresses.pulsar).toBe('127.0.0.1:7002');
  });
});
