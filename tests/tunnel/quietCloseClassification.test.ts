/**
 * The one reading, shared by the tunnel and the Doctor, of a broker that closes without a TLS alert:
 * a rejected client certificate only when TLS 1.3 carried a certificate, a request went out and not
 * a byte came back; any other close is left alone (a health check that sends nothing, an answered
 * request, TLS 1.2 where the verdict comes inside the handshake, a profile without a certificate).
 */
import { expect, it } from 'vitest';
import { classifyQuietClose, type QuietCloseContext } from '../../src-main/core/transport/tlsErrors.ts';

const rejected: QuietCloseContext = {
  sni: 'broker1.test',
  clientCertificate: { subject: 'CN=developer', issuer: 'CN=Example CA' },
  tlsVersion: 'TLSv1.3',
  bytesSent: 57,
  bytesReceived: 0,
};

it('names the certificate, its issuer and the broker for a silent close after a TLS 1.3 request', () => {
  const error = classifyQuietClose(rejected);
  expect(error?.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
  expect(error?.message).toContain('"broker1.test"');
  expect(error?.message).toContain('CN=developer issued by CN=Example CA');
});

it.each([
  ['nothing was sent', { bytesSent: 0 }],
  ['the broker answered', { bytesReceived: 1 }],
  ['TLS 1.2', { tlsVersion: 'TLSv1.2' }],
  ['no client certificate', { clientCertificate: undefined }],
])('leaves the close alone when %s', (_what, change) => {
  expect(classifyQuietClose({ ...rejected, ...change })).toBeUndefined();
});
