/**
 * Port advice for the UI's "Use port N" and for duplicates, on real sockets: a taken port is
 * reported with the tunnel that holds it (or none: another program), the web port when only that
 * one is taken, and the free port skips every port a profile is set to or a tunnel holds. Through
 * the app service, this app's own running tunnel is named with this process's id.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredProfile } from '../../../../shared/model/storedProfile.ts';
import { storedProfileSchema } from '../../../../shared/model/storedProfile.ts';
import { parseApiArgs } from '../../../../shared/ipc/validate.ts';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import { canBindPort, listenPortAdvice } from '../../../../src-main/core/service/portAdvice.ts';
import { freePort } from '../../../fixtures/deadline.ts';
import { MemoryStore } from './memoryStore.ts';

const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function hold(port: number): Promise<void> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
}

const profile = (name: string, listen: StoredProfile['listen']): StoredProfile =>
  storedProfileSchema.parse({ name, serviceUrl: 'pulsar+ssl://pulsar.test:6651', webServiceUrl: 'https://web.test:8443', listen });

describe('listenPortAdvice', () => {
  it('names the tunnel holding a taken listen.port and offers the next port no profile is set to', async () => {
    const port = await freePort();
    await hold(port);
    const me = profile('me', { port });
    // The next port up is another profile's: never offered, even while free.
    const neighbour = profile('neighbour', { port: port + 1 });
    const advice = await listenPortAdvice({ profile: me, profiles: [me, neighbour], holders: [{ profile: 'holder', pid: 4321, listen: { pulsar: `127.0.0.1:${port}` } }] });
    expect(advice).toMatchObject({ field: 'listen.port', port, inUse: true, holder: { profile: 'holder', pid: 4321, thisApp: false } });
    expect(advice.freePort).not.toBe(port);
    expect(advice.freePort).not.toBe(port + 1);
    expect(await canBindPort('127.0.0.1', advice.freePort)).toBe(true);
  });

  it('says nobody it knows holds a port another program listens on', async () => {
    const port = await freePort();
    await hold(port);
    const advice = await listenPortAdvice({ profile: profile('me', { port }), profiles: [], holders: [] });
    expect(advice.inUse).toBe(true);
    expect(advice.holder).toBeUndefined();
  });

  it('reports the web port when only that one is taken, and a free listen.port as not in use', async () => {
    const [port, webPort] = [await freePort(), await freePort()];
    await hold(webPort);
    expect(await listenPortAdvice({ profile: profile('me', { port, webPort }), profiles: [], holders: [] })).toMatchObject({ field: 'listen.webPort', port: webPort, inUse: true });
    const held = servers.pop()!;
    await new Promise((resolve) => held.close(resolve));
    expect(await listenPortAdvice({ profile: profile('me', { port, webPort }), profiles: [], holders: [] })).toMatchObject({ field: 'listen.port', port, inUse: false });
  });

  it('counts 6650 for a profile that sets no port, and never offers a privileged port', async () => {
    const advice = await listenPortAdvice({ profile: profile('me', {}), profiles: [], holders: [], canBind: async () => true });
    expect(advice).toEqual({ field: 'listen.port', port: 6650, inUse: false, freePort: 6651 });
    expect((await listenPortAdvice({ profile: profile('any', { port: 0 }), profiles: [], holders: [], canBind: async () => true })).freePort).toBe(6651);
    expect((await listenPortAdvice({ profile: profile('low', { port: 443 }), profiles: [], holders: [], canBind: async (_host, port) => port !== 443 })).freePort).toBe(6651);
  });
});

describe('the app service', () => {
  it('names its own running tunnel, with this process id, as the holder of a port', async () => {
    const port = await freePort();
    const store = new MemoryStore();
    await store.save({ name: 'first', serviceUrl: 'pulsar+ssl://pulsar.test:6651', listen: { port } });
    await store.save({ name: 'second', serviceUrl: 'pulsar+ssl://pulsar.test:6651', listen: { port } });
    const server = net.createServer();
    const service = new AppService({
      store,
      startTunnel: async () => {
        await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
        return { addresses: { pulsar: `127.0.0.1:${port}` }, status: () => ({ brokers: [], openConnections: 0, totalConnections: 0 }), dispose: () => new Promise<void>((resolve) => server.close(() => resolve())) };
      },
    });
    try {
      await service.startTunnel('first');
      expect(await service.listenPortAdvice('second')).toMatchObject({ port, inUse: true, holder: { profile: 'first', pid: process.pid, thisApp: true } });
      const copy = await service.duplicateProfile('first', 'copy', { listenPort: port + 7 });
      expect(copy.profile.listen.port).toBe(port + 7);
    } finally {
      await service.dispose();
    }
  });

  it('refuses a duplicate port out of range at the API edge', () => {
    expect(() => parseApiArgs('duplicateProfile', ['a', 'b', { listenPort: 70000 }])).toThrow(expect.objectContaining({ code: 'API_BAD_REQUEST', message: expect.stringContaining('duplicateProfile: options.listenPort') }));
    expect(parseApiArgs('duplicateProfile', ['a', 'b', null])).toEqual(['a', 'b']);
    expect(parseApiArgs('listenPortAdvice', ['a'])).toEqual(['a']);
  });
});
