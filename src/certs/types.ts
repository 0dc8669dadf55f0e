/** The facts about a leaf certificate that the operator compares and reports. */
export interface LeafInfo {
  /** Lowercase hex SHA-256 of the leaf's DER, no colons. */
  fingerprintSHA256: string;
  /** Lowercase hex, no leading zeros beyond what the DER holds, no colons. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** DNS subjectAltNames, lowercase, in certificate order. */
  dnsNames: string[];
}

/**
 * A validated certificate and key, ready to push. Only ever built by
 * `parseTlsSecret`, so holding one means: it parsed, the leaf comes first,
 * the key matches the leaf and the leaf is within its validity period.
 */
export interface CertificateBundle {
  /** Leaf first, then the chain; normalised PEM (LF line endings, one trailing newline). */
  chainPem: string;
  /** The private key PEM, normalised the same way. Never log it. */
  keyPem: string;
  leaf: LeafInfo;
}

export type CertificateProblem = 'InvalidCertificate' | 'KeyMismatch' | 'CertificateExpired';

export type ParseResult =
  | { ok: true; bundle: CertificateBundle }
  | { ok: false; reason: CertificateProblem; message: string };
