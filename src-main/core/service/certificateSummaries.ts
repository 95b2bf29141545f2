/**
 * Summaries of the certificates a profile holds (PEM), for the UI: subject, issuer, SANs, validity,
 * fingerprint and an expiry status. Parsed with node:crypto's X509Certificate; never a private key.
 */
import { X509Certificate } from 'node:crypto';
import { certificateExpiringDays, type CertificateSummary } from '../../../shared/model/certificate.ts';

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Summarises every certificate in a PEM bundle, in order. Blocks that do not parse are skipped:
 * the stored-profile schema has already vetted the PEM, and a summary is for display only.
 * @param now the clock, for `daysLeft` and `status`
 */
export function summarizeCertificates(pem: string | undefined, now: Date = new Date()): CertificateSummary[] {
  if (!pem) return [];
  const summaries: CertificateSummary[] = [];
  for (const block of pem.match(pemBlock) ?? []) {
    try {
      summaries.push(summarize(new X509Certificate(block), now));
    } catch {
      // Not a certificate Node can read: nothing to show for it.
    }
  }
  return summaries;
}

function summarize(cert: X509Certificate, now: Date): CertificateSummary {
  const validFrom = new Date(cert.validFrom);
  const validTo = new Date(cert.validTo);
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / 86_400_000);
  const status: CertificateSummary['status'] =
    now < validFrom ? 'not-yet-valid' : now > validTo ? 'expired' : daysLeft < certificateExpiringDays ? 'expiring' : 'valid';
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectAltNames: cert.subjectAltName ? cert.subjectAltName.split(', ').map((entry) => entry.trim()) : [],
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
    fingerprint256: cert.fingerprint256,
    daysLeft,
    status,
  };
}

// X509Certificate gives "CN=a\nO=b"; the UI shows one line per certificate.
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
