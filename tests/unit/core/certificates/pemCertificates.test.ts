import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClientCredentials, checkTrustCertificates, parsePrivateKey, summarizePem, summarizeStoredCertificates } from '../../../../src-main/core/certificates/pemCertificates.ts';
import { certificateExpiringDays } from '../../../../shared/model/certificate.ts';
import { createTestPki, type TestPki } from '../../../fixtures/pki.ts';

const run = promisify(execFile);
let pki: TestPki;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'], clientNames: ['alice', 'bob'] });
});
afterAll(async () => {
  await pki?.cleanup();
});

describe('certificates', () => {
  it('summarizes subject, issuer, SANs, validity and the SHA-256 fingerprint', async () => {
    const long = await pki.serverFor('long.test', { sans: ['DNS:long.test', 'IP:127.0.0.1'], days: 60 });
    const [summary] = summarizePem(long.certPem);
    expect(summary).toMatchObject({ subject: 'CN=long.test', subjectAltNames: ['DNS:long.test', 'IP Address:127.0.0.1'], status: 'valid' });
    expect(summary!.issuer).toMatch(/^CN=/);
    expect(summary!.daysLeft).toBeGreaterThanOrEqual(58);
    expect(summary!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const { stdout } = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', long.certPath]);
    expect(stdout.trim().split('=')[1]).toBe(summary!.fingerprint256);
    expect(summarizePem(`${pki.ca.certPem}${pki.otherCa.certPem}`)).toHaveLength(2);
  });

  it('accepts a matching key and a chain signed by the profile CA, warning when it expires within 14 days', () => {
    const alice = pki.clients.alice!;
    const result = checkClientCredentials({ certPem: alice.certPem, keyPem: alice.keyPem, caPem: pki.ca.certPem });
    expect(result.summary.subject).toBe('CN=alice');
    // The test PKI issues certificates valid for 2 days.
    expect(result.warnings).toEqual([expect.stringMatching(/expires in [01] day/)]);
    expect(checkTrustCertificates(pki.ca.certPem)).toEqual([expect.stringMatching(/CA certificate .* expires in/)]);
  });

  it('gives no warning for a certificate valid for months', async () => {
    const long = await pki.serverFor('months.test', { days: 90 });
    expect(checkClientCredentials({ certPem: long.certPem, keyPem: long.keyPem, caPem: pki.ca.certPem }).warnings).toEqual([]);
  });

  it('refuses a key that belongs to another certificate', () => {
    expect(() => checkClientCredentials({ certPem: pki.clients.alice!.certPem, keyPem: pki.clients.bob!.keyPem })).toThrow(/does not belong to the client certificate/);
  });

  it('refuses a chain that does not verify against the profile CA', () => {
    expect(() => checkClientCredentials({ certPem: pki.clients.alice!.certPem, caPem: pki.otherCa.certPem })).toThrow(expect.objectContaining({ code: 'CERTIFICATE_INVALID', message: expect.stringContaining('does not verify') }));
  });

  it('refuses an expired certificate with the date it expired', async () => {
    const expired = await pki.expiredServer('old.test');
    expect(() => checkClientCredentials({ certPem: expired.certPem, keyPem: expired.keyPem })).toThrow(/expired on 20\d\d-\d\d-\d\d/);
    expect(summarizePem(expired.certPem)[0]!.status).toBe('expired');
    expect(() => checkTrustCertificates(expired.certPem)).toThrow(/expired/);
  });

  it('reads an encrypted key with its passphrase and explains a wrong one', async () => {
    const encryptedPath = path.join(pki.dir, 'alice-encrypted.pem');
    await run('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', pki.clients.alice!.keyPath, '-out', encryptedPath, '-passout', 'pass:s3cret-pass']);
    const encrypted = await readFile(encryptedPath, 'utf8');
    expect(checkClientCredentials({ certPem: pki.clients.alice!.certPem, keyPem: encrypted, keyPassphrase: 's3cret-pass' }).summary.subject).toBe('CN=alice');
    expect(() => parsePrivateKey(encrypted, 'the key')).toThrow(/encrypted; give its passphrase/);
    expect(() => parsePrivateKey(encrypted, 'the key', 'wrong')).toThrow(/passphrase is wrong/);
  });

  it('refuses PKCS#12 and garbage with a message saying how to convert', async () => {
    const p12Path = path.join(pki.dir, 'alice.p12');
    await run('openssl', ['pkcs12', '-export', '-in', pki.clients.alice!.certPath, '-inkey', pki.clients.alice!.keyPath, '-out', p12Path, '-passout', 'pass:x']);
    const p12 = (await readFile(p12Path)).toString('latin1');
    expect(() => summarizePem(p12)).toThrow(/PKCS#12 .* not supported.*openssl pkcs12/);
    expect(() => summarizePem('hello')).toThrow(/no PEM certificate/);
    expect(() => summarizePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(/does not parse/);
    expect(() => parsePrivateKey('nope', 'tlsKeyFilePath')).toThrow(/tlsKeyFilePath holds no PEM private key/);
  });

  it('summarizes a stored profile\'s certificates with the one expiry threshold, leaving out a block Node cannot read', async () => {
    const long = await pki.serverFor('stored.test', { days: 90 });
    const unreadable = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const summaries = summarizeStoredCertificates(`${pki.ca.certPem}${unreadable}${long.certPem}`);
    expect(summaries.map((summary) => summary.subject)).toEqual([summarizePem(pki.ca.certPem)[0]!.subject, 'CN=stored.test']);
    expect(summarizeStoredCertificates(undefined)).toEqual([]);
    // The same certificate seen at three dates: one day past the threshold, one day inside it, after its end.
    const validTo = new Date(summaries[1]!.validTo).getTime();
    const at = (daysBeforeEnd: number) => new Date(validTo - daysBeforeEnd * 86_400_000 - 1000);
    expect(summarizeStoredCertificates(long.certPem, at(certificateExpiringDays))[0]!.status).toBe('valid');
    expect(summarizeStoredCertificates(long.certPem, at(certificateExpiringDays - 1))[0]).toMatchObject({ status: 'expiring', daysLeft: certificateExpiringDays - 1 });
    expect(summarizeStoredCertificates(long.certPem, new Date(validTo + 1000))[0]!.status).toBe('expired');
  });
});
