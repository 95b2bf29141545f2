/**
 * The bound on what an event carries: strings that local clients and the cluster choose (topics,
 * subscriptions, producer and consumer names, client versions, HTTP paths, brokers' error messages)
 * can be megabytes long, and every event is kept in the app's log history and written to the JSON
 * log, so each string field is cut to {@link eventStringLimit} characters (a `message`, the
 * tunnel's own explanation that may quote such a string, to {@link eventMessageLimit}), ending in
 * "…(N bytes)" with the original size. Applied once, where the engine emits its events.
 */

/** The longest string field an event keeps, in characters. */
export const eventStringLimit = 1024;
/** The longest `message` field (an explanation with what to do) an event keeps, in characters. */
export const eventMessageLimit = 4096;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * `text` cut to `limit` characters plus "…(N bytes)", or `text` itself when it fits. The kept part
 * is a copy, not a view of the original (a slice would keep a multi-megabyte string alive).
 */
export function capText(text: string, limit = eventStringLimit): string {
  if (text.length <= limit) return text;
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // never split a surrogate pair
  const head = new TextDecoder().decode(new TextEncoder().encode(text.slice(0, end)));
  return `${head}…(${utf8Length(text)} bytes)`;
}

function capValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return capText(value, key === 'message' ? eventMessageLimit : eventStringLimit);
  if (Array.isArray(value)) return value.some((item) => capValue(item, undefined) !== item) ? value.map((item) => capValue(item, undefined)) : value;
  if (typeof value === 'object' && value !== null) {
    let copy: Record<string, unknown> | undefined;
    for (const [name, field] of Object.entries(value)) {
      const capped = capValue(field, name);
      if (capped !== field) (copy ??= { ...(value as Record<string, unknown>) })[name] = capped;
    }
    return copy ?? value;
  }
  return value;
}

/** `event` with every string field capped (see above); the same object when nothing was too long. */
export function capEventStrings<T extends object>(event: T): T {
  return capValue(event, undefined) as T;
}
