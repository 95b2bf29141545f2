/**
 * Strings a client or the cluster chose are cut where events leave the engine, so a 4 MiB topic
 * costs a log line and a log-history entry of about 1 KiB, not 4 MiB: each string field keeps its
 * first 1,024 characters and says how long it was; a `message` keeps 4,096.
 */
import { expect, it } from 'vitest';
import { capEventStrings, capText, eventMessageLimit, eventStringLimit } from '../../../../shared/model/eventBounds.ts';
import type { TunnelEvent } from '../../../../shared/model/events.ts';

const huge = 'a'.repeat(4 * 1024 * 1024);

it('cuts a long string to the limit and says its size in bytes', () => {
  expect(capText(huge)).toBe(`${'a'.repeat(eventStringLimit)}…(${4 * 1024 * 1024} bytes)`);
  expect(capText('é'.repeat(2000))).toBe(`${'é'.repeat(eventStringLimit)}…(4000 bytes)`);
  // A surrogate pair at the cut is kept whole or not at all.
  expect(capText(`${'a'.repeat(eventStringLimit - 1)}😀tail`)).toBe(`${'a'.repeat(eventStringLimit - 1)}…(${eventStringLimit - 1 + 4 + 4} bytes)`);
});

it('leaves strings within the limit, and the event itself, untouched', () => {
  const event: TunnelEvent = { event: 'pulsar.producer', id: 1, topic: 'persistent://public/default/t' };
  expect(capEventStrings(event)).toBe(event);
  expect(capText('x'.repeat(eventStringLimit))).toBe('x'.repeat(eventStringLimit));
});

it('caps every string field of an event, nested error messages included', () => {
  const event: TunnelEvent = {
    event: 'pulsar.lookup',
    id: 7,
    topic: `persistent://public/default/${huge}`,
    response: 'Failed',
    error: { code: 'PULSAR_LOOKUP_FAILED', message: `The broker could not look up ${huge}` },
  };
  const capped = capEventStrings(event) as Extract<TunnelEvent, { event: 'pulsar.lookup' }>;
  expect(capped.topic).toHaveLength(eventStringLimit + `…(${4 * 1024 * 1024 + 28} bytes)`.length);
  expect(capped.topic.startsWith('persistent://public/default/aaa')).toBe(true);
  expect(capped.error?.message.length).toBeLessThan(eventMessageLimit + 32);
  expect(capped.error?.code).toBe('PULSAR_LOOKUP_FAILED');
  expect(JSON.stringify(capped).length).toBeLessThan(6 * 1024);
  // The original event is not changed.
  expect(event.topic).toHaveLength(4 * 1024 * 1024 + 28);
  const consumer = capEventStrings({ event: 'pulsar.consumer', id: 1, topic: 't', subscription: huge } satisfies TunnelEvent);
  expect(consumer.subscription.length).toBeLessThan(eventStringLimit + 32);
  const connect = capEventStrings({ event: 'pulsar.connect', id: 1, clientVersion: huge, protocolVersion: 21, authMethod: 'none', authInjected: false, broker: 'b:6651' } satisfies TunnelEvent);
  expect(connect.clientVersion.length).toBeLessThan(eventStringLimit + 32);
  const request = capEventStrings({ event: 'http.request', id: 1, method: 'GET', path: `/admin/v2/${huge}`, status: 404, broker: 'w:8443', durationMs: 1, redirectsFollowed: 0 } satisfies TunnelEvent);
  expect(request.path.length).toBeLessThan(eventStringLimit + 32);
});
