// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.ts';
import { normalizePem } from '../../../src-renderer/lib/files.ts';
import { describeError, formatBytes, formatDuration } from '../../../src-renderer/lib/format.ts';

describe('formatting', () => {
  it('formats byte counts in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });

  it('formats durations from milliseconds to hours', () => {
    expect(formatDuration(950)).toBe('950 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(61_000)).toBe('1m 01s');
    expect(formatDuration(3_700_000)).toBe('1h 01m');
  });

  it('describes an AppError by its code and its message alone, without repeating the catalog advice beside it', () => {
    expect(describeError(new AppError('PROXY_UNREACHABLE', 'Nothing accepts connections at 127.0.0.1:9; check proxyServiceUrl.'))).toEqual({
      code: 'PROXY_UNREACHABLE',
      message: 'Nothing accepts connections at 127.0.0.1:9; check proxyServiceUrl.',
    });
    expect(describeError(new AppError('KEYCHAIN_LOCKED'))).toEqual({ code: 'KEYCHAIN_LOCKED', message: new AppError('KEYCHAIN_LOCKED').message });
    expect(describeError(new Error('boom'))).toEqual({ code: 'TUNNEL_INTERNAL', message: 'boom' });
  });
});

describe('normalizePem', () => {
  const body = 'A'.repeat(100);
  it('re-wraps a PEM whose line breaks a password field removed', () => {
    const flat = `-----BEGIN PRIVATE KEY-----${body}-----END PRIVATE KEY-----`;
    expect(normalizePem(flat)).toBe(`-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'A'.repeat(36)}\n-----END PRIVATE KEY-----\n`);
  });

  it('keeps a multi-line PEM as it is, trimmed', () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(normalizePem(`  ${pem}\n\n`)).toBe(`${pem}\n`);
  });

  it('re-wraps each block of a flattened chain', () => {
    const flat = `-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE----- -----BEGIN CERTIFICATE-----BBBB-----END CERTIFICATE-----`;
    expect(normalizePem(flat)).toBe('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n');
  });
});
