import { describe, expect, it } from 'vitest';
import { isApiMethod, maxImportChars, parseApiArgs } from '../../../../shared/ipc/validate.ts';
import { sampleProfile } from '../../core/service/memoryStore.ts';

function codeAndMessage(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('parseApiArgs', () => {
  it('accepts well-formed arguments and returns them', () => {
    expect(parseApiArgs('startTunnel', ['alpha'])).toEqual(['alpha']);
    expect(parseApiArgs('setSecret', ['alpha', 'token', null])).toEqual(['alpha', 'token', null]);
    expect(parseApiArgs('importProfiles', ['client.conf', 'x=1', null])).toEqual(['client.conf', 'x=1']);
    expect(parseApiArgs('saveProfile', [sampleProfile('alpha')])[0].name).toBe('alpha');
  });

  it('names the method and the argument of a wrong type', () => {
    expect(codeAndMessage(() => parseApiArgs('startTunnel', [42]))).toMatchObject({ code: 'API_BAD_REQUEST', message: expect.stringMatching(/^startTunnel: name: /) });
    expect(codeAndMessage(() => parseApiArgs('setSecret', ['a', 'password', 'x'])).message).toMatch(/setSecret: kind: /);
    expect(codeAndMessage(() => parseApiArgs('exportProfiles', [{ names: [] }])).message).toMatch(/exportProfiles: request\.names: /);
    expect(codeAndMessage(() => parseApiArgs('exportProfiles', [{ names: ['a'], extra: 1 }])).code).toBe('API_BAD_REQUEST');
  });

  it('refuses an import larger than the limit before it reaches the engine, with the code the CLI uses', () => {
    const result = codeAndMessage(() => parseApiArgs('importProfiles', ['big.json', 'x'.repeat(maxImportChars + 1)]));
    expect(result).toMatchObject({ code: 'IMPORT_TOO_LARGE', message: expect.stringMatching(/^importProfiles: content is 5000001 bytes, over the 5 MB limit/) });
    // The limit is in bytes, as for a file: 2-byte characters reach it at half the length.
    expect(codeAndMessage(() => parseApiArgs('importProfiles', ['big.json', 'é'.repeat(maxImportChars / 2 + 1)])).code).toBe('IMPORT_TOO_LARGE');
    expect(() => parseApiArgs('importProfiles', ['ok.json', 'é'.repeat(maxImportChars / 2)])).not.toThrow();
  });

  it('refuses missing, surplus and non-array arguments', () => {
    expect(codeAndMessage(() => parseApiArgs('stopTunnel', [])).message).toMatch(/stopTunnel: .*name/);
    expect(codeAndMessage(() => parseApiArgs('tunnelStatus', ['x'])).code).toBe('API_BAD_REQUEST');
    expect(codeAndMessage(() => parseApiArgs('listProfiles', { 0: 'x' })).message).toBe('listProfiles: args must be an array');
  });

  it('refuses a profile that breaks the schema with PROFILE_INVALID naming the field', () => {
    const result = codeAndMessage(() => parseApiArgs('saveProfile', [sampleProfile('alpha', { serviceUrl: 'http://x' })]));
    expect(result.code).toBe('PROFILE_INVALID');
    expect(result.message).toMatch(/^serviceUrl: /);
  });

  it('knows the API method names and nothing else', () => {
    expect(isApiMethod('startTunnel')).toBe(true);
    expect(isApiMethod('subscribeLog')).toBe(false);
    expect(isApiMethod('constructor')).toBe(false);
  });
});
