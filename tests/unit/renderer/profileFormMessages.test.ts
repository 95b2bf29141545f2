// @vitest-environment happy-dom
// The form's validation messages say what to do: "is required" for an empty field, which scheme a
// URL lacks (host:port alone, or a broker host without pulsar+ssl://), and that a multi-host URL
// is not taken, whatever wording the schema uses underneath.
import { describe, expect, it } from 'vitest';
import { ProfileDraft } from '../../../src-renderer/lib/state/profileDraft.svelte.ts';

function errorsFor(fields: Partial<Record<'name' | 'serviceUrl' | 'proxyServiceUrl' | 'webServiceUrl', string>>) {
  const draft = new ProfileDraft();
  for (const [field, value] of Object.entries(fields)) draft.set(field as 'serviceUrl', value);
  return draft.errors;
}

describe('validation messages of the profile form', () => {
  it('says an empty serviceUrl is required, not that "" is not a URL', () => {
    expect(errorsFor({ name: 'a', serviceUrl: '' }).serviceUrl).toBe('is required');
  });

  it('says an empty name is required and what a name may hold', () => {
    expect(errorsFor({ name: '', serviceUrl: 'pulsar+ssl://a.test:6651' }).name).toMatch(/^is required \(.*letters, digits/);
  });

  it('gives host:port without a scheme the same advice as a host without pulsar+ssl://', () => {
    expect(errorsFor({ name: 'a', serviceUrl: '127.0.0.1:16443' }).serviceUrl).toBe('must start with pulsar+ssl://, e.g. pulsar+ssl://127.0.0.1:16443');
    expect(errorsFor({ name: 'a', serviceUrl: 'broker-vip.test:6651' }).serviceUrl).toBe('must start with pulsar+ssl://, e.g. pulsar+ssl://broker-vip.test:6651');
    expect(errorsFor({ name: 'a', serviceUrl: 'pulsar+ssl://a.test:6651', webServiceUrl: 'web.test:8443' }).webServiceUrl).toBe('must start with https://, e.g. https://web.test:8443');
  });

  it('says a multi-host serviceUrl takes one host', () => {
    expect(errorsFor({ name: 'a', serviceUrl: 'pulsar+ssl://b1.test:6651,b2.test:6651' }).serviceUrl).toMatch(/^takes one host/);
  });

  it('keeps the schema message for other problems', () => {
    expect(errorsFor({ name: 'a', serviceUrl: 'pulsar://a.test:6650' }).serviceUrl).toMatch(/pulsar\+ssl:\/\//);
  });
});
