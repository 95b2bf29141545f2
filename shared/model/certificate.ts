/** What the app shows of an X.509 certificate (parsed in main with node:crypto X509Certificate). */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  /** Days until validTo (negative once expired). */
  daysLeft: number;
  status: 'valid' | 'expiring' | 'expired' | 'not-yet-valid';
}
