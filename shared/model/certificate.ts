/**
 * A certificate is "expiring" when fewer than this many days are left: the one rule for the UI's
 * expiry badge and the Doctor's warning (TUNNEL_TLS_CERT_EXPIRING) and the
 * import's warning.
 */
export const certificateExpiringDays = 14;

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
