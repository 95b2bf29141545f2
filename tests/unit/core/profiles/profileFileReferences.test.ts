/**
 * The profile loader's resolver of what a file names (references.ts), case by case: each path form
 * (file: URL, ~/, absolute, relative to the naming file's folder, relative without a folder), the
 * codes a caller chooses for an unusable value and for an unreadable file, a certificate file that
 * also holds a key (only its certificates kept, the rest named by kind), and token sources (inline,
 * environment, file) with their refusals. Real files in a throw-away folder; real certificates.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  droppedBlocksWarning,
  readCertificateFile,
  readFailure,
  readReferencedFile,
  readToken,
  resolveReferencedPath,
  tokenFilePath,
  type ReferenceContext,
} from '../../../../src-main/core/profiles/references.ts';
import { createTestPki, type TestPki } from '../../../fixtures/pki.ts';
import { removeDir, tempDir } from './helpers.ts';

let dir: string;
let pki: TestPki;
let context: ReferenceContext;
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWYifQ.c2lnbmF0dXJl';

beforeAll(async () => {
  [dir, pki] = await Promise.all([tempDir('references'), createTestPki({ serverHosts: [], clientNames: ['me'] })]);
  await mkdir(path.join(dir, 'home', 'certs'), { recursive: true });
  await writeFile(path.join(dir, 'ca.pem'), pki.ca.certPem);
  await writeFile(path.join(dir, 'home', 'certs', 'ca.pem'), pki.ca.certPem);
  await writeFile(path.join(dir, 'combined.pem'), `${pki.clients.me!.certPem}${pki.clients.me!.keyPem}`);
  await writeFile(path.join(dir, 'key-only.pem'), pki.clients.me!.keyPem);
  await writeFile(path.join(dir, 'token.jwt'), `  ${token}\n`);
  await writeFile(path.join(dir, 'empty.jwt'), '\n');
  context = { baseDir: dir, env: { HOME: path.join(dir, 'home'), PT_TOKEN: ` ${token} `, PT_EMPTY: ' ' }, invalidCode: 'IMPORT_INVALID', unreadableCode: 'PROFILE_SECRET_UNAVAILABLE' };
});
afterAll(async () => {
  await pki?.cleanup();
  await removeDir(dir);
});

describe('paths a file names', () => {
  it('resolve file: URLs, ~/ from the context\'s HOME, absolute paths and paths relative to the naming file', () => {
    expect(resolveReferencedPath(` ${pathToFileURL(path.join(dir, 'ca.pem')).href} `, context, 'f')).toBe(path.join(dir, 'ca.pem'));
    expect(resolveReferencedPath('~/certs/ca.pem', context, 'f')).toBe(path.join(dir, 'home', 'certs', 'ca.pem'));
    expect(resolveReferencedPath('/etc/pulsar/ca.pem', { ...context, baseDir: undefined }, 'f')).toBe('/etc/pulsar/ca.pem');
    expect(resolveReferencedPath('  sub/ca.pem ', context, 'f')).toBe(path.join(dir, 'sub', 'ca.pem'));
  });

  it('refuse a malformed file: URL and a relative path without a folder with the caller\'s invalid code, naming the field', async () => {
    expect(() => resolveReferencedPath('file:///ca%zz.pem', context, 'tlsTrustCertsFilePath')).toThrow(
      expect.objectContaining({ code: 'IMPORT_INVALID', message: expect.stringMatching(/^tlsTrustCertsFilePath: .*malformed %-escape/) }),
    );
    // file://relative/path is relative to the naming file, like a bare relative path.
    expect(resolveReferencedPath('file://sub/ca.pem', context, 'f')).toBe(path.join(dir, 'sub', 'ca.pem'));
    expect(() => resolveReferencedPath('ca.pem', { ...context, baseDir: undefined }, 'tlsTrustCertsFilePath')).toThrow(
      expect.objectContaining({ code: 'IMPORT_INVALID', message: expect.stringContaining('"ca.pem"') }),
    );
  });

  it('are read, and an unreadable one fails with the caller\'s unreadable code, the field, the path and why', async () => {
    expect(await readReferencedFile('ca.pem', context, 'f')).toBe(pki.ca.certPem);
    const missing = await readReferencedFile('nope.pem', context, 'tlsTrustCertsFilePath').catch((error: unknown) => error);
    expect(missing).toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', cause: expect.objectContaining({ code: 'ENOENT' }) });
    expect((missing as Error).message).toContain(`tlsTrustCertsFilePath: cannot read ${path.join(dir, 'nope.pem')} (no such file)`);
    const folder = await readReferencedFile('home', context, 'f').catch((error: unknown) => error);
    expect((folder as Error).message).toContain('(it is a directory)');
    expect(readFailure(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('permission denied');
    expect(readFailure(Object.assign(new Error('x'), { code: 'ELOOP' }))).toBe('ELOOP');
  });
});

describe('certificate files', () => {
  it('keep only the certificates of a combined certificate and key file, and the warning names the key by kind only', async () => {
    const read = await readCertificateFile('combined.pem', context, 'tlsCertificateFilePath');
    expect(read).toEqual({ pem: pki.clients.me!.certPem, file: path.join(dir, 'combined.pem'), dropped: ['PRIVATE KEY'] });
    const warning = droppedBlocksWarning(read, 'tlsCertificateFilePath');
    expect(warning).toContain(`tlsCertificateFilePath (${path.join(dir, 'combined.pem')}) also holds 1 block that is not a certificate ("PRIVATE KEY")`);
    expect(warning).not.toContain(pki.clients.me!.keyPem.split('\n')[1]!);
    expect(droppedBlocksWarning({ ...read, dropped: ['PRIVATE KEY', 'PRIVATE KEY', 'EC PARAMETERS'] }, 'f')).toContain('3 blocks that are not certificates ("PRIVATE KEY", "EC PARAMETERS")');
    expect(droppedBlocksWarning(await readCertificateFile('ca.pem', context, 'f'), 'f')).toBeUndefined();
  });

  it('refuse a file without a certificate as CERTIFICATE_INVALID naming the file', async () => {
    const error = await readCertificateFile('key-only.pem', context, 'tlsCertificateFilePath').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CERTIFICATE_INVALID', message: expect.stringContaining(`tlsCertificateFilePath (${path.join(dir, 'key-only.pem')})`) });
  });
});

describe('token sources', () => {
  it('read an inline token, a variable of the context\'s environment and a file, trimmed', async () => {
    expect(await readToken({ kind: 'inline', token }, context, 'authParams')).toBe(token);
    expect(await readToken({ kind: 'env', variable: 'PT_TOKEN' }, context, 'authParams')).toBe(token);
    expect(await readToken({ kind: 'file', path: 'token.jwt', absolute: false }, context, 'authParams')).toBe(token);
    expect(await readToken({ kind: 'file', path: path.join(dir, 'token.jwt'), absolute: true }, { ...context, baseDir: undefined }, 'authParams')).toBe(token);
  });

  it('take an absolute token file as it is and resolve a relative one against the naming file', () => {
    expect(tokenFilePath({ kind: 'file', path: '/abs/token', absolute: true }, context, 'authParams')).toBe('/abs/token');
    expect(tokenFilePath({ kind: 'file', path: 'rel/token', absolute: false }, context, 'authParams')).toBe(path.join(dir, 'rel', 'token'));
  });

  it('refuse an unset or empty variable, a missing or empty file (unreadable code) and a malformed token (invalid code)', async () => {
    const refused = (spec: Parameters<typeof readToken>[0]) => readToken(spec, context, 'authParams').catch((error: unknown) => error);
    expect(await refused({ kind: 'env', variable: 'PT_UNSET' })).toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', message: expect.stringContaining('PT_UNSET') });
    expect(await refused({ kind: 'env', variable: 'PT_EMPTY' })).toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE' });
    expect(await refused({ kind: 'file', path: 'missing.jwt', absolute: false })).toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', cause: expect.objectContaining({ code: 'ENOENT' }) });
    expect(await refused({ kind: 'file', path: 'empty.jwt', absolute: false })).toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', message: expect.stringContaining('is empty') });
    expect(await refused({ kind: 'inline', token: 'two words' })).toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringMatching(/^authParams: /) });
  });
});
