/**
 * The live log keys a connection by its profile and id, and a tunnel numbers its connections from 1
 * each time it starts. Started again (Stop then Start, Restart), a profile's new connection 1 was
 * merged into the row of the old connection 1 in the UI's log: a live connection shown "closed",
 * with the old one's bytes and error. The app numbers a profile's connections on from the last
 * run, so each id in the log is one connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LogBatch } from '../../../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import { MemoryStore, sampleProfile, ScriptedRunner } from './memoryStore.ts';

let service: AppService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

/** Connection `id` of a tunnel: opened, then closed. */
function connection(id: number): TunnelEvent[] {
  return [
    { event: 'connection.opened', id, time: new Date().toISOString(), profile: 'alpha', listener: 'pulsar', local: '127.0.0.1:5555', sni: 'pulsar.example.test', proxy: 'proxy.example.test:4443' },
    { event: 'connection.closed', id, bytesUp: 10, bytesDown: 20, durationMs: 7 },
  ];
}

describe('connection ids in the live log', () => {
  it('are one connection each when the tunnel is started again', async () => {
    const runner = new ScriptedRunner();
    service = new AppService({ store: new MemoryStore(), startTunnel: runner.start });
    await service.saveProfile(sampleProfile('alpha'));
    const batches: LogBatch[] = [];
    service.subscribeLog((batch) => batches.push(batch));

    await service.startTunnel('alpha');
    for (const event of [...connection(1), ...connection(2)]) runner.latest('alpha').emit(event);
    await service.restartTunnel('alpha');
    for (const event of connection(1)) runner.latest('alpha').emit(event);
    await service.stopTunnel('alpha');
    await service.startTunnel('alpha');
    for (const event of connection(1)) runner.latest('alpha').emit(event);
    service.flushLog();

    const opened = batches.flatMap((batch) => batch.events).filter((event) => event.event === 'connection.opened');
    const ids = opened.map((event) => (event as { id: number }).id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    // A connection's events keep one id: each closed event names an opened one.
    const closed = batches.flatMap((batch) => batch.events).filter((event) => event.event === 'connection.closed').map((event) => (event as { id: number }).id);
    expect(closed).toEqual(ids);
  });
});
