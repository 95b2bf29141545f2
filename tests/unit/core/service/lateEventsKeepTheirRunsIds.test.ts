/**
 * An event a stopped tunnel says after the profile was started again (a request through the web
 * listener that ends after the stop, in a UI that runs its tunnels in its own process) keeps the
 * connection id of its own run. It was numbered as one of the new run's connections: its row (say a
 * request's status) went to a connection of the new run, or to a row of its own, and the old
 * connection's row never got it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LogBatch } from '../../../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import { MemoryStore, sampleProfile, ScriptedRunner } from './memoryStore.ts';
import { openedEvent } from './scriptedEngine.ts';

let service: AppService | undefined;

afterEach(async () => {
  await service?.dispose();
  service = undefined;
});

const opened = (id: number) => openedEvent(id, 'http');
const request = (id: number): TunnelEvent => ({ event: 'http.request', id, method: 'GET', path: '/admin/v2/clusters', status: 0, broker: 'pulsar.example.test:8443', durationMs: 5, redirectsFollowed: 0 });

describe('an event of a tunnel that was started again', () => {
  it('keeps the connection id of its own run', async () => {
    const runner = new ScriptedRunner();
    service = new AppService({ store: new MemoryStore(), startTunnel: runner.start });
    await service.saveProfile(sampleProfile('alpha'));
    const batches: LogBatch[] = [];
    service.subscribeLog((batch) => batches.push(batch));

    await service.startTunnel('alpha');
    const first = runner.latest('alpha');
    first.emit(opened(1));
    first.emit(opened(2));
    await service.restartTunnel('alpha');
    runner.latest('alpha').emit(opened(1));
    // Said by the first run after the restart.
    first.emit(request(2));
    runner.latest('alpha').emit(opened(2));
    service.flushLog();

    const events = batches.flatMap((batch) => batch.events);
    const openedIds = events.filter((event) => event.event === 'connection.opened').map((event) => (event as { id: number }).id);
    expect(openedIds).toEqual([1, 2, 3, 4]);
    expect(events.filter((event) => event.event === 'http.request').map((event) => (event as { id: number }).id)).toEqual([2]);
  });
});
