/**
 * `pulsar-tunnel ui` runs its tunnels in an engine child process. A black box: the real CLI, a real
 * three-broker cluster behind ATS, a real keychain holding the profile's token. Killing the engine
 * process is reported in the tunnel's status (ENGINE_CRASHED) and the live log, the UI keeps
 * answering, and the tunnel comes back on the same port with its token, without restarting the UI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { enginePids } from './fixtures/enginePids.ts';
import { eventually, once } from '../fixtures/deadline.ts';
import { logSocketProtocols } from '../../shared/ipc/webSession.ts';
import { openWebUi } from '../fixtures/webUiSession.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { startSecretService, type SecretService } from '../unit/core/secrets/secretService.ts';
import { startClusterHarness, type ClusterHarness } from '../routing/clusterHarness.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

const token = 'engine-restart-token';
let harness: ClusterHarness;
let secrets: SecretService;
let home: string;
let ui: CliProcess | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
  harness = await startClusterHarness({ cluster: { auth: { token } } });
  secrets = await startSecretService();
  home = await mkdtemp(join(tmpdir(), 'pt-engine-home-'));
}, 120_000);

afterAll(async () => {
  await ui?.stop('SIGKILL').catch(() => undefined);
  await harness?.stop();
  await secrets?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('pulsar-tunnel ui with its engine in a child process', () => {
  it('reports an engine that died, keeps answering, and brings the tunnel back on the same port', async () => {
    ui = startCli(['ui', '--no-open'], { env: { ...secrets.env, PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' } });
    // The printed link is one-time: its first use answers the page that hands over the session token.
    const { url, session, call } = await openWebUi(() => ui!.stdout());
    const log: { event: string; error?: { code: string } }[] = [];
    const ws = new WebSocket(`ws://${url.host}/api/log`, logSocketProtocols(session));
    ws.on('message', (data: Buffer) => log.push(...(JSON.parse(data.toString()) as { events: typeof log }).events));
    await once(ws, 'open', 10_000);

    await call('saveProfile', [
      { name: 'cluster', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: `pulsar+ssl://${harness.ats.address}`, tlsTrustCertsPem: harness.pki.ca.certPem, auth: 'token', listen: { port: 0 } },
    ]);
    await call('setSecret', ['cluster', 'token', token]);
    const started = await call('startTunnel', ['cluster']);
    const [host, port] = String(started.listen.pulsar).split(/:(?=\d+$)/) as [string, string];
    const first = await TestClientConnection.open({ host, port: Number(port) });
    await first.connect();
    first.destroy();

    const [engine] = await enginePids(ui.pid);
    expect(engine).toBeGreaterThan(0);
    process.kill(engine!, 'SIGKILL');

    // Reported: the status names the crash, and so does the live log.
    const crashed = await eventually(
      async () => ((await call('tunnelStatus')) as { profile: string; state: string; lastError?: { code: string } }[]).find((status) => status.lastError?.code === 'ENGINE_CRASHED'),
      { timeoutMs: 15_000, what: 'the status to report the crash' },
    );
    expect(crashed.profile).toBe('cluster');
    expect(crashed.state).toBe('failing');
    await eventually(() => log.find((event) => event.event === 'listener.error' && event.error?.code === 'ENGINE_CRASHED'), { timeoutMs: 10_000, what: 'the crash in the live log' });
    expect((await call('listProfiles')).map((view: { profile: { name: string } }) => view.profile.name)).toEqual(['cluster']);

    // Back: a new engine, the same port, the token still injected; the tunnel is running again.
    const again = await eventually(
      async () => {
        const client = await TestClientConnection.open({ host, port: Number(port) }).catch(() => undefined);
        if (!client) return undefined;
        const connected = await client.connect().then(
          () => true,
          () => false,
        );
        client.destroy();
        return connected || undefined;
      },
      { timeoutMs: 30_000, what: 'the tunnel to come back on the same port' },
    );
    expect(again).toBe(true);
    const [replacement] = await enginePids(ui.pid);
    expect(replacement).toBeGreaterThan(0);
    expect(replacement).not.toBe(engine);
    await eventually(async () => ((await call('tunnelStatus')) as { state: string }[])[0]?.state === 'running' || undefined, { timeoutMs: 10_000, what: 'the tunnel to be running again' });
    const accepted = harness.cluster.stats().flatMap((broker) => broker.connects).filter((connect) => connect.authData === token);
    expect(accepted.length).toBeGreaterThanOrEqual(2);

    ws.close();
    expect(await ui.stop('SIGINT', 20_000)).toEqual({ code: 0, signal: null });
    expect(await enginePids(ui.pid)).toEqual([]);
    ui = undefined;
  }, 120_000);
});
