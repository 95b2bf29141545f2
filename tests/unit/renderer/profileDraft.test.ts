// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { storedProfileSchema } from '../../../shared/model/storedProfile.ts';
import { ProfileDraft, validateProfile } from '../../../src-renderer/lib/state/profileDraft.svelte.ts';

describe('ProfileDraft', () => {
  it('names the field in Pulsar terms when a URL has the wrong scheme', () => {
    const draft = new ProfileDraft();
    draft.set('name', 'prod');
    draft.set('serviceUrl', 'pulsar://broker.example.com:6650');
    expect(draft.errors.serviceUrl).toMatch(/must start with pulsar\+ssl:\/\//);
    draft.set('proxyServiceUrl', 'http://proxy');
    expect(Object.keys(draft.errors)).toEqual(expect.arrayContaining(['serviceUrl', 'proxyServiceUrl']));
  });

  it('shows an error only after the field was left or the form submitted', () => {
    const draft = new ProfileDraft();
    expect(draft.errorFor('serviceUrl')).toBeUndefined();
    draft.touch('serviceUrl');
    expect(draft.errorFor('serviceUrl')).toBeDefined();
    expect(draft.errorFor('name')).toBeUndefined();
    expect(draft.submit()).toBe(false);
    expect(draft.errorFor('name')).toMatch(/letters, digits/);
  });

  it('reports a port that is not a number as a whole-number error on listen.port', () => {
    const draft = new ProfileDraft();
    draft.set('listen.port', '66x');
    expect(draft.errors['listen.port']).toBe('must be a whole number');
    draft.set('listen.port', '70000');
    expect(draft.errors['listen.port']).toMatch(/65535/);
  });

  it('builds an input the engine schema accepts, leaving empty optional fields out', () => {
    const draft = new ProfileDraft();
    draft.set('name', 'prod-eu');
    draft.set('serviceUrl', 'pulsar+ssl://pulsar.example.com:6651');
    draft.set('proxyServiceUrl', 'pulsar+ssl://proxy.example.com:4443');
    draft.set('listen.port', '0');
    expect(draft.valid).toBe(true);
    const input = draft.toInput();
    expect(input).toMatchObject({ name: 'prod-eu', proxyProtocol: 'SNI', listen: { host: '127.0.0.1', port: 0 } });
    expect('webServiceUrl' in input).toBe(false);
    expect(storedProfileSchema.safeParse(input).success).toBe(true);
  });

  it('round-trips an existing profile and keeps its certificates', () => {
    const profile = storedProfileSchema.parse({
      name: 'p', serviceUrl: 'pulsar+ssl://b:6651', tlsTrustCertsPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', listen: { port: 7000, webPort: 7080 }, webServiceUrl: 'https://b:8443',
    });
    const draft = new ProfileDraft(profile);
    expect(draft.isNew).toBe(false);
    expect(storedProfileSchema.parse(draft.toInput())).toEqual(profile);
  });

  it('explains cross-field rules on the field they concern', () => {
    const errors = validateProfile({ name: 'p', serviceUrl: 'pulsar+ssl://b:6651', auth: 'tls', listen: { webPort: 8080, host: '0.0.0.0' } });
    expect(errors.tlsCertificatePem).toMatch(/required when auth is "tls"/);
    expect(errors.webServiceUrl).toMatch(/required when listen.webPort/);
    expect(errors['listen.host']).toMatch(/not a loopback address/);
  });
});
