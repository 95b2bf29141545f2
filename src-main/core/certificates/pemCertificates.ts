/**
 * Certificates as the user sees them: parsed with node:crypto X509Certificate into
 * CertificateSummary, checked at import (the key matches the certificate, the chain verifies
 * against the profile's CA, not expired) with warnings for certificates that expire soon.
 * PEM only: PKCS#12 is refused with the openssl commands that convert it (no well-kept pure
 * JavaScript PKCS#12 reader is among the dependencies, and Node's crypto has none).
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { certificateExpiringDays, type CertificateSummary } from '../../../shared/model/certificate.ts';

const dayMs = 86_400_000;
const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function looksBinary(text: string): boolean {
  // PKCS#12 and DER start with an ASN.1 SEQUENCE (0x30) and contain control bytes.
  if (text.length === 0 || text.includes('-----BEGIN')) return false;
  for (let i = 0; i < Math.min(text.length, 4096); i++) {
    const code = text.charCodeAt(i);
    if (code < 9 || (code > 13 && code < 32)) return true;
  }
  return false;
}

function pkcs12Error(what: string): AppError {
  return new AppError(
    'CERTIFICATE_INVALID',
    `${what} is not PEM text. PKCS#12 (.p12/.pfx) and DER files are not supported; convert them with openssl: ` +
      '`openssl pkcs12 -in bundle.p12 -clcerts -nokeys -out client.pem`, `openssl pkcs12 -in bundle.p12 -nocerts -out client-key.pem`, ' +
      '`openssl pkcs12 -in bundle.p12 -cacerts -nokeys -out ca.pem` (or `openssl x509 -inform der -in cert.der -out cert.pem`).',
  );
}

/** The certificate blocks of a PEM text and the kinds of the other blocks it held (e.g. `PRIVATE KEY`). */
export interface CertificateBlocks {
  /** Only the `CERTIFICATE` (and `TRUSTED CERTIFICATE`) blocks, one after the other; '' when there are none. */
  pem: string;
  /** Kinds of the blocks left out, in order, e.g. `['PRIVATE KEY']` for a combined certificate and key file. */
  dropped: string[];
}

/**
 * Keeps only the certificate blocks of a PEM text: a combined certificate-and-key file named as a
 * certificate must not carry its private key into a profile, a bundle or the TLS trust store.
 */
export function certificateBlocks(pem: string): CertificateBlocks {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const match of pem.matchAll(pemBlock)) {
    if (match[1] === 'CERTIFICATE' || match[1] === 'TRUSTED CERTIFICATE') kept.push(`${match[0]}\n`);
    else dropped.push(match[1]!);
  }
  return { pem: kept.join(''), dropped };
}

/**
 * Splits PEM text into its certificates.
 * @param what names the input in messages, e.g. "tlsTrustCertsFilePath (ca.pem)".
 * @throws AppError CERTIFICATE_INVALID when the text holds no certificate or one does not parse.
 */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  if (looksBinary(pem)) throw pkcs12Error(what);
  const blocks = [...pem.matchAll(pemBlock)].filter((match) => match[1] === 'CERTIFICATE' || match[1] === 'TRUSTED CERTIFICATE');
  if (blocks.length === 0) throw new AppError('CERTIFICATE_INVALID', `${what} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block).`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block[0]);
    } catch (error) {
      throw new AppError('CERTIFICATE_INVALID', `${what}: certificate ${index + 1} does not parse (${(error as Error).message}).`, { cause: error });
    }
  });
}

/** The status of a certificate at `now`. */
export function certificateStatus(cert: X509Certificate, now = new Date()): CertificateSummary['status'] {
  return statusAt(new Date(cert.validFrom).getTime(), new Date(cert.validTo).getTime(), now.getTime());
}

function statusAt(from: number, to: number, now: number): CertificateSummary['status'] {
  if (now < from) return 'not-yet-valid';
  if (now > to) return 'expired';
  if (to - now < certificateExpiringDays * dayMs) return 'expiring';
  return 'valid';
}

function oneLine(name: string): string {
  return name.split('\n').filter((part) => part !== '').join(', ');
}

/** What a summary holds that does not depend on the clock, and the validity as times. */
type CertificateFacts = Omit<CertificateSummary, 'daysLeft' | 'status'> & { fromMs: number; toMs: number };

function factsOf(cert: X509Certificate): CertificateFacts {
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const fromMs = new Date(cert.validFrom).getTime();
  const toMs = new Date(cert.validTo).getTime();
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectAltNames: sans,
    validFrom: new Date(fromMs).toISOString(),
    validTo: new Date(toMs).toISOString(),
    fingerprint256: cert.fingerprint256,
    fromMs,
    toMs,
  };
}

function summaryAt(facts: CertificateFacts, now: Date): CertificateSummary {
  const { fromMs, toMs, subjectAltNames, ...rest } = facts;
  return { ...rest, subjectAltNames: [...subjectAltNames], daysLeft: Math.floor((toMs - now.getTime()) / dayMs), status: statusAt(fromMs, toMs, now.getTime()) };
}

/** What the app shows of one certificate. */
export function summarizeCertificate(cert: X509Certificate, now = new Date()): CertificateSummary {
  return summaryAt(factsOf(cert), now);
}

/**
 * Summaries of every certificate in a PEM text.
 * @throws AppError CERTIFICATE_INVALID as {@link parseCertificates}.
 */
export function summarizePem(pem: string, what = 'certificate'): CertificateSummary[] {
  return parseCertificates(pem, what).map((cert) => summarizeCertificate(cert));
}

/**
 * Summaries for display of the certificates a stored profile holds, in order: the UI's profile view
 * and `profiles list|show` both use this. Never throws: the stored-profile schema has already vetted
 * the PEM, so a block Node cannot read is left out rather than failing the whole view.
 * @param now the clock, for `daysLeft` and `status`
 */
export function summarizeStoredCertificates(pem: string | undefined, now = new Date()): CertificateSummary[] {
  if (pem === undefined) return [];
  return storedFacts(pem).map((facts) => summaryAt(facts, now));
}

// Parsing is most of a profile view's cost (the UI lists the profiles on every refresh), and a
// PEM text always parses the same: the facts are kept per text, the clock applied on each call.
const factsByPem = new Map<string, CertificateFacts[]>();
const maxRememberedPems = 256;

function storedFacts(pem: string): CertificateFacts[] {
  const known = factsByPem.get(pem);
  if (known !== undefined) return known;
  const facts: CertificateFacts[] = [];
  for (const match of pem.matchAll(pemBlock)) {
    if (match[1] !== 'CERTIFICATE' && match[1] !== 'TRUSTED CERTIFICATE') continue;
    try {
      facts.push(factsOf(new X509Certificate(match[0])));
    } catch {
      // Not a certificate Node can read: nothing to show for it.
    }
  }
  // Bounded: the oldest text is forgotten first (profiles edited many times in a long session).
  if (factsByPem.size >= maxRememberedPems) factsByPem.delete(factsByPem.keys().next().value!);
  factsByPem.set(pem, facts);
  return facts;
}

/**
 * Reads a PEM private key, decrypting it with `passphrase` when it is encrypted.
 * @throws AppError CERTIFICATE_INVALID when it is not a PEM key, is encrypted without (or with a
 *   wrong) passphrase.
 */
export function parsePrivateKey(pem: string, what: string, passphrase?: string): KeyObject {
  if (looksBinary(pem)) throw pkcs12Error(what);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new AppError('CERTIFICATE_INVALID', `${what} holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block).`);
  }
  const encrypted = /ENCRYPTED/.test(pem);
  if (encrypted && passphrase === undefined) {
    throw new AppError('CERTIFICATE_INVALID', `${what} is encrypted; give its passphrase.`);
  }
  try {
    return createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch (error) {
    const reason = encrypted ? 'the passphrase is wrong or the key is damaged' : (error as Error).message;
    throw new AppError('CERTIFICATE_INVALID', `${what} cannot be read: ${reason}.`, { cause: error });
  }
}

/** Options of {@link checkClientCredentials}. */
export interface ClientCredentialsCheck {
  /** The client certificate chain (leaf first), PEM. */
  certPem: string;
  /** Its private key, PEM; absent: only the certificate is checked. */
  keyPem?: string;
  keyPassphrase?: string;
  /** The profile's CA (PEM); when set, the chain must verify against it. */
  caPem?: string;
  now?: Date;
}

function expiryProblem(cert: X509Certificate, what: string, now: Date): { error?: string; warning?: string } {
  const status = certificateStatus(cert, now);
  const subject = oneLine(cert.subject);
  if (status === 'expired') return { error: `${what} (${subject}) expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}; renew it and import the new one.` };
  if (status === 'not-yet-valid') return { error: `${what} (${subject}) is not valid before ${new Date(cert.validFrom).toISOString().slice(0, 10)}; check this computer's clock or the certificate.` };
  if (status === 'expiring') {
    const days = Math.floor((new Date(cert.validTo).getTime() - now.getTime()) / dayMs);
    return { warning: `${what} (${subject}) expires in ${days} day${days === 1 ? '' : 's'} (${new Date(cert.validTo).toISOString().slice(0, 10)}); renew it soon.` };
  }
  return {};
}

/**
 * Checks CA certificates at import: they parse, and none has expired.
 * @returns warnings for CA certificates that expire within {@link certificateExpiringDays} days.
 * @throws AppError CERTIFICATE_INVALID naming the certificate.
 */
export function checkTrustCertificates(caPem: string, what = 'tlsTrustCertsFilePath', now = new Date()): string[] {
  const warnings: string[] = [];
  for (const cert of parseCertificates(caPem, what)) {
    const problem = expiryProblem(cert, `CA certificate in ${what}`, now);
    if (problem.error) throw new AppError('CERTIFICATE_INVALID', problem.error);
    if (problem.warning) warnings.push(problem.warning);
  }
  return warnings;
}

function verifiesAgainst(chain: X509Certificate[], anchors: X509Certificate[]): boolean {
  // Walk from the leaf through the intermediates given with it; the path ends when a certificate
  // is signed by one of the trusted CAs.
  let current = chain[0];
  const pool = [...chain.slice(1)];
  for (let depth = 0; current && depth < 10; depth++) {
    const cert: X509Certificate = current;
    for (const anchor of anchors) {
      if (cert.checkIssued(anchor) && cert.verify(anchor.publicKey)) return true;
      if (cert.fingerprint256 === anchor.fingerprint256) return true;
    }
    const nextIndex = pool.findIndex((candidate) => cert.checkIssued(candidate) && cert.verify(candidate.publicKey));
    if (nextIndex < 0) return false;
    current = pool.splice(nextIndex, 1)[0];
  }
  return false;
}

/**
 * Checks a client certificate (and key) at import: it parses, is not expired or not yet valid, the
 * key belongs to it, and the chain verifies against the CA when one is given.
 * @returns the summary of the leaf certificate and warnings (expiring within {@link certificateExpiringDays} days).
 * @throws AppError CERTIFICATE_INVALID with a message saying which check failed.
 */
export function checkClientCredentials(check: ClientCredentialsCheck): { summary: CertificateSummary; warnings: string[] } {
  const now = check.now ?? new Date();
  const chain = parseCertificates(check.certPem, 'the client certificate');
  const leaf = chain[0] as X509Certificate;
  const warnings: string[] = [];
  const problem = expiryProblem(leaf, 'the client certificate', now);
  if (problem.error) throw new AppError('CERTIFICATE_INVALID', problem.error);
  if (problem.warning) warnings.push(problem.warning);
  if (check.keyPem !== undefined) {
    const key = parsePrivateKey(check.keyPem, 'the client private key', check.keyPassphrase);
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const fromCert = leaf.publicKey.export({ type: 'spki', format: 'der' });
    if (!fromKey.equals(fromCert)) {
      throw new AppError('CERTIFICATE_INVALID', `The client private key does not belong to the client certificate (${oneLine(leaf.subject)}); pick the key file that was created with it.`);
    }
  }
  if (check.caPem !== undefined) {
    const anchors = parseCertificates(check.caPem, 'tlsTrustCertsFilePath');
    if (!verifiesAgainst(chain, anchors)) {
      throw new AppError(
        'CERTIFICATE_INVALID',
        `The client certificate (${oneLine(leaf.subject)}, issued by ${oneLine(leaf.issuer)}) does not verify against the profile's CA certificates; include the intermediate certificates in the client certificate file or fix tlsTrustCertsFilePath.`,
      );
    }
  }
  return { summary: summarizeCertificate(leaf, now), warnings };
}
