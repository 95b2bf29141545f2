/**
 * The classification of connect and TLS failures into AppError codes, in process: each Node error
 * code a dial can end with maps to the code the UI and CLI switch on, keeps the original error as
 * its cause, and names what the user has to look at (the address dialed, the server name, the
 * certificate). The wording itself is free; the black-box tests in tests/tunnel produce the real
 * errors through real proxies.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors.ts';
import {
  classifyDialError,
  classifyQuietClose,
  clientCertRejected,
  isClientCertRejection,
  isRoutineDisconnect,
  type DialFailureContext,
  type QuietCloseContext,
} from '../../../../src-main/core/transport/tlsErrors.ts';

const nodeError = (code: string | undefined, extra: Record<string, unknown> = {}) => Object.assign(new Error(`failure ${code ?? ''}`), code === undefined ? {} : { code }, extra);
const connect: DialFailureContext = { stage: 'connect', dialed: 'proxy.test:443', sni: 'broker-1.test', bytesRead: 0 };
const handshake: DialFailureContext = { stage: 'handshake', dialed: 'proxy.test:443', sni: 'broker-1.test', bytesRead: 0 };
const certificate = { subject: 'CN=developer', issuer: 'CN=Example CA' };

function classified(error: unknown, context: DialFailureContext): AppError {
  const result = classifyDialError(error, context);
  expect(result).toBeInstanceOf(AppError);
  if (error instanceof Error) expect(result.cause).toBe(error);
  return result;
}

describe('failures to connect', () => {
  it.each([
    ['ENOTFOUND', 'PROXY_DNS_FAILED'],
    ['EAI_AGAIN', 'PROXY_DNS_FAILED'],
    ['ECONNREFUSED', 'PROXY_UNREACHABLE'],
    ['ETIMEDOUT', 'PROXY_CONNECT_TIMEOUT'],
    ['EHOSTUNREACH', 'PROXY_UNREACHABLE'],
    ['ENETUNREACH', 'PROXY_UNREACHABLE'],
    ['EPERM', 'PROXY_UNREACHABLE'],
  ])('%s is %s and names the address dialed', (code, expected) => {
    const error = classified(nodeError(code), connect);
    expect(error.code).toBe(expected);
    expect(error.message).toContain('proxy.test:443');
  });

  it('classifies by stage: a TLS code during connect is still a connect failure', () => {
    expect(classified(nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), connect).code).toBe('PROXY_UNREACHABLE');
  });

  it('passes an AppError through as it is', () => {
    const own = new AppError('PULSAR_NO_CONNECT');
    expect(classifyDialError(own, connect)).toBe(own);
    expect(classifyDialError(own, handshake)).toBe(own);
  });

  it('copes with a failure that is not an Error at all', () => {
    expect(classifyDialError(undefined, connect).code).toBe('PROXY_UNREACHABLE');
    expect(classifyDialError(null, handshake).code).toBe('TUNNEL_TLS_FAILED');
    expect(classifyDialError('boom', handshake).message).toContain('boom');
  });
});

describe('failures of the TLS handshake', () => {
  it('reads alert 40 as a proxy without a route for the server name', () => {
    const error = classified(nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), handshake);
    expect(error.code).toBe('PROXY_NO_ROUTE');
    expect(error.message).toContain('proxy.test:443');
    expect(error.message).toContain('"broker-1.test"');
  });

  it.each(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE'])('reads %s as a plaintext answer', (code) => {
    const error = classified(nodeError(code), handshake);
    expect(error.code).toBe('PROXY_ANSWERED_PLAINTEXT');
    expect(error.message).toContain('proxy.test:443');
    expect(error.message).toContain('broker-1.test');
  });

  it('names the server name checked and the names the certificate holds when they differ', () => {
    const withAltNames = classified(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subjectaltname: 'DNS:other.test', subject: { CN: 'cn.test' } } }), handshake);
    expect(withAltNames.code).toBe('TUNNEL_TLS_HOSTNAME_MISMATCH');
    expect(withAltNames.message).toContain('"broker-1.test"');
    expect(withAltNames.message).toContain('DNS:other.test');
    const cnOnly = classified(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subject: { CN: 'cn.test' } } }), handshake);
    expect(cnOnly.message).toContain('CN=cn.test');
    // An IP target sends no server name: the host Node checked is named instead.
    const byHost = classified(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', { host: '10.0.0.7', cert: {} }), { ...handshake, sni: undefined });
    expect(byHost.message).toContain('"10.0.0.7"');
    expect(byHost.message).not.toContain('CN=');
    const noCert = classified(nodeError('ERR_TLS_CERT_ALTNAME_INVALID'), handshake);
    expect(noCert.code).toBe('TUNNEL_TLS_HOSTNAME_MISMATCH');
  });

  it('tells an expired certificate from one not valid yet', () => {
    const expired = classified(nodeError('CERT_HAS_EXPIRED'), handshake);
    const early = classified(nodeError('CERT_NOT_YET_VALID'), handshake);
    expect([expired.code, early.code]).toEqual(['TUNNEL_TLS_CERT_EXPIRED', 'TUNNEL_TLS_CERT_EXPIRED']);
    expect(expired.message).not.toBe(early.message);
    expect(expired.message).toContain('broker-1.test');
  });

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_SIGNATURE_FAILURE',
    'CERT_UNTRUSTED',
    'CERT_REJECTED',
  ])('reads %s as an untrusted certificate and names the code', (code) => {
    const error = classified(nodeError(code), handshake);
    expect(error.code).toBe('TUNNEL_TLS_UNTRUSTED');
    expect(error.message).toContain(code);
  });

  it.each([
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
    'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
    'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
    'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  ])('reads alert %s as the broker refusing the client certificate', (code) => {
    expect(classified(nodeError(code), { ...handshake, clientCertificate: certificate }).code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
    expect(isClientCertRejection(nodeError(code))).toBe(true);
  });

  it('reads a close without any TLS answer as a dead route, and a reset after some bytes as a reset', () => {
    for (const error of [nodeError('ECONNRESET'), nodeError('EPIPE'), nodeError(undefined, { message: 'Client network socket disconnected before secure TLS connection was established' })]) {
      const dead = classified(error, handshake);
      expect(dead.code).toBe('PROXY_ROUTE_DEAD');
      expect(dead.message).toContain('proxy.test:443');
      expect(dead.message).toContain('broker-1.test');
      expect(classified(error, { ...handshake, bytesRead: 1 }).code).toBe('TUNNEL_PEER_RESET');
    }
  });

  it('reports anything else as a failed handshake with the reason TLS gave', () => {
    const withReason = classified(nodeError('ERR_SSL_SOMETHING_NEW', { reason: 'unexpected eof' }), handshake);
    expect(withReason.code).toBe('TUNNEL_TLS_FAILED');
    expect(withReason.message).toContain('unexpected eof');
    expect(withReason.message).toContain('proxy.test:443');
    expect(classified(nodeError('ERR_SSL_SOMETHING_NEW'), handshake).message).toContain('failure ERR_SSL_SOMETHING_NEW');
  });

  it('says "this address" for an IP target, which has no server name', () => {
    const error = classified(nodeError('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), { ...handshake, sni: undefined });
    expect(error.message).toContain('this address');
    expect(error.message).not.toContain('server name');
  });
});

describe('a refused client certificate', () => {
  it('asks for a certificate when none was presented or the broker requires one', () => {
    const missing = clientCertRejected(nodeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), { sni: 'b.test' });
    const required = clientCertRejected(nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), { sni: 'b.test', clientCertificate: certificate });
    for (const error of [missing, required]) {
      expect(error.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
      expect(error.message).toContain('tlsCertificateFilePath');
      expect(error.message).not.toContain('CN=developer');
    }
  });

  it('names the certificate refused and the alert', () => {
    const error = clientCertRejected(nodeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), { sni: 'b.test', clientCertificate: certificate });
    expect(error.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
    expect(error.message).toContain('CN=developer');
    expect(error.message).toContain('CN=Example CA');
    expect(error.message).toContain('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    expect(error.message).toContain('"b.test"');
    expect(clientCertRejected(undefined, { sni: undefined, clientCertificate: certificate }).code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
  });

  it('is told apart from other errors', () => {
    for (const error of [nodeError('ECONNRESET'), nodeError(undefined), undefined, null]) expect(isClientCertRejection(error)).toBe(false);
  });
});

describe('a close without an alert right after TLS 1.3', () => {
  const refused: QuietCloseContext = { sni: 'b.test', clientCertificate: certificate, tlsVersion: 'TLSv1.3', bytesSent: 40, bytesReceived: 0 };

  it('is a refused client certificate when a certificate was presented, a request sent and nothing answered', () => {
    const error = classifyQuietClose(refused);
    expect(error?.code).toBe('TUNNEL_TLS_CLIENT_CERT_REJECTED');
    expect(error?.message).toContain('CN=developer');
    expect(error?.message).toContain('"b.test"');
  });

  it('is nothing special otherwise', () => {
    expect(classifyQuietClose({ ...refused, tlsVersion: 'TLSv1.2' })).toBeUndefined();
    expect(classifyQuietClose({ ...refused, tlsVersion: null })).toBeUndefined();
    const { clientCertificate: _none, ...withoutCertificate } = refused;
    expect(classifyQuietClose(withoutCertificate)).toBeUndefined();
    expect(classifyQuietClose({ ...refused, bytesSent: 0 })).toBeUndefined();
    expect(classifyQuietClose({ ...refused, bytesReceived: 1 })).toBeUndefined();
  });
});

it('treats a peer going away as routine, and nothing else', () => {
  for (const code of ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']) expect(isRoutineDisconnect(nodeError(code))).toBe(true);
  for (const error of [nodeError('ETIMEDOUT'), nodeError(undefined), undefined, null]) expect(isRoutineDisconnect(error)).toBe(false);
});
