/**
 * The engine asks the shell for a profile's token by a request number of its own (numbers start
 * over in each engine process). An answer that is ready only after the engine that asked died
 * (a slow keychain read, a keychain waiting to be unlocked) is dropped, not sent to the restarted
 * engine, where the same number may be a request for another profile's token: one profile's token
 * must never be handed to another profile's connection (and its server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

/** A token profile whose keychain read finishes when the test says so. */
function slowTokenProfile(name: string) {
  let answer!: (token: string) => void;
  const reads: Promise<string>[] = [];
  const config: TunnelConfig = {
    ...sampleConfig(name),
    auth: {
      kind: 'token',
      getToken: () => {
        const read = new Promise<string>((resolve) => (answer = resolve));
        reads.push(read);
        return read;
      },
    },
  };
  return { config, reads, answer: (token: string) => answer(token) };
}

describe('token answers', () => {
  it('go only to the engine that asked, never to the one that replaced it', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const alpha = slowTokenProfile('alpha');
    const beta = slowTokenProfile('beta');
    const startedAlpha = remote.startTunnel(alpha.config, { onEvent: () => undefined });
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'alpha sent' });
    engines[0]!.started(1, 7001);
    await startedAlpha;
    const startedBeta = remote.startTunnel(beta.config, { onEvent: () => undefined });
    await eventually(() => engines[0]!.starts().length === 2, { timeoutMs: 5_000, what: 'beta sent' });
    engines[0]!.started(2, 7002);
    await startedBeta;

    // The first engine asks for alpha's token (its request 1), and dies while the keychain is read.
    engines[0]!.say({ type: 'token', id: 1, requestId: 1 });
    await eventually(() => alpha.reads.length === 1, { timeoutMs: 5_000, what: "alpha's token read" });
    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().length === 2, { timeoutMs: 5_000, what: 'the tunnels started again' });
    // The new engine's request 1 is for beta's token.
    engines[1]!.say({ type: 'token', id: 2, requestId: 1 });
    await eventually(() => beta.reads.length === 1, { timeoutMs: 5_000, what: "beta's token read" });

    alpha.answer('token-of-alpha');
    beta.answer('token-of-beta');
    const answers = await eventually(() => {
      const sent = engines[1]!.sent.flatMap((message) => (message.type === 'token' && message.ok ? [message.token] : []));
      return sent.includes('token-of-beta') && sent;
    }, { timeoutMs: 5_000, what: "beta's token answered" });
    expect(answers).toEqual(['token-of-beta']);
  });
});
