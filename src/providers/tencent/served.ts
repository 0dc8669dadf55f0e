// What observe reports about a certificate id: its leaf's fingerprint and
// expiry, read from the PEM that SSL Certificates returns for the id.
//
// The content behind a certificate id never changes (a renewal is a new
// upload with a new id), so the answer is cached for the life of the
// process; the cache only needs a bound so that years of renewals on a busy
// account cannot grow it without limit.
import { leafInfoFromPem } from '../../certs/index.ts';

export interface ServedCertificate {
  /** Lowercase hex SHA-256 of the leaf's DER. */
  fingerprintSHA256: string;
  notAfter: Date;
}

/** The first certificate of `pem` (SSL Certificates keeps the leaf first), or undefined if it does not parse. */
export function servedCertificate(pem: string): ServedCertificate | undefined {
  const leaf = leafInfoFromPem(pem);
  return leaf ? { fingerprintSHA256: leaf.fingerprintSHA256, notAfter: leaf.notAfter } : undefined;
}

/** Certificate id -> ServedCertificate, least recently used evicted first. */
export class ServedCertificateCache {
  readonly #max: number;
  readonly #entries = new Map<string, ServedCertificate>();

  constructor(max = 2_000) {
    this.#max = max;
  }

  get(certificateId: string): ServedCertificate | undefined {
    const entry = this.#entries.get(certificateId);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry most recent.
      this.#entries.delete(certificateId);
      this.#entries.set(certificateId, entry);
    }
    return entry;
  }

  set(certificateId: string, served: ServedCertificate): void {
    this.#entries.delete(certificateId);
    this.#entries.set(certificateId, served);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
