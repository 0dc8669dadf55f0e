// Reading and ordering the certificate chain of a TLS Secret.
//
// CDNs expect the leaf first and each certificate followed by its issuer, as
// a TLS server sends them. Hand-made Secrets often hold the chain in another
// order (reversed, from a CA bundle), so the chain is put in order here rather
// than rejected.
import { X509Certificate } from 'node:crypto';
import { decodePem, describeBlockType } from './pem.ts';

/** A Secret may hold a leaf, a few intermediates and perhaps the root; more than this is a mistake (a whole CA bundle). */
export const MAX_CHAIN_CERTS = 10;

export type ChainResult = { ok: true; certs: X509Certificate[] } | { ok: false; message: string };

/** Every certificate in tls.crt, in the order given, exact duplicates dropped. */
export function parseCertificates(text: string): ChainResult {
  const decoded = decodePem(text, 'tls.crt');
  if (!decoded.ok) return decoded;
  if (decoded.blocks.length === 0) {
    return { ok: false, message: 'tls.crt holds no PEM block; it must hold PEM-encoded certificates' };
  }
  for (const [i, block] of decoded.blocks.entries()) {
    if (block.type !== 'CERTIFICATE') {
      return {
        ok: false,
        message: `tls.crt: PEM block ${i + 1} is ${describeBlockType(block.type)}; tls.crt must hold only certificates`,
      };
    }
  }
  if (decoded.blocks.length > MAX_CHAIN_CERTS) {
    return {
      ok: false,
      message: `tls.crt holds ${decoded.blocks.length} certificates; at most ${MAX_CHAIN_CERTS} are accepted`,
    };
  }

  const certs: X509Certificate[] = [];
  const seen = new Set<string>();
  for (const [i, block] of decoded.blocks.entries()) {
    const cert = parseDer(block.der);
    if (!cert) return { ok: false, message: `tls.crt: certificate ${i + 1} is not a valid X.509 certificate` };
    // A certificate pasted twice is harmless to us but some CDNs reject the
    // upload; keep the first copy.
    const fingerprint = cert.fingerprint256;
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    certs.push(cert);
  }
  return { ok: true, certs };
}

/**
 * Parses exactly one DER certificate. X509Certificate also accepts PEM and
 * ignores bytes after the certificate; we accept neither, so a certificate is
 * only what its DER says (as Go's x509.ParseCertificate does).
 */
function parseDer(der: Buffer): X509Certificate | undefined {
  if (der[0] !== 0x30) return undefined; // an ASN.1 SEQUENCE, not PEM text nested in base64
  try {
    const cert = new X509Certificate(der);
    return cert.raw.equals(der) ? cert : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the chain as leaf → its issuer → that issuer's issuer …, followed by
 * the certificates that are not part of that path, in their original order.
 *
 * An issuer is a certificate whose subject and key identifier match the
 * child's issuer (`checkIssued`) and whose key verifies the child's signature.
 * When a name matches but the signature cannot be checked at all (an
 * algorithm OpenSSL lacks), the name match is used; when the signature is
 * checked and wrong, the candidate is not the issuer.
 */
export function orderChain(certs: readonly X509Certificate[], leaf: X509Certificate): X509Certificate[] {
  const rest = certs.filter((c) => c !== leaf);
  const ordered = [leaf];
  let current = leaf;
  // A self-issued certificate is a root: nothing in the chain sits above it.
  while (!isSelfIssued(current)) {
    const index = findIssuer(current, rest);
    const [issuer] = index < 0 ? [] : rest.splice(index, 1);
    if (!issuer) break;
    ordered.push(issuer);
    current = issuer;
  }
  return [...ordered, ...rest];
}

function findIssuer(cert: X509Certificate, candidates: readonly X509Certificate[]): number {
  let nameOnly = -1;
  for (const [i, candidate] of candidates.entries()) {
    if (!safely(() => cert.checkIssued(candidate))) continue;
    const verified = safely(() => cert.verify(candidate.publicKey));
    if (verified === true) return i;
    if (verified === undefined && nameOnly < 0) nameOnly = i;
  }
  return nameOnly;
}

function isSelfIssued(cert: X509Certificate): boolean {
  return safely(() => cert.checkIssued(cert)) === true;
}

/** The result of an OpenSSL check, or undefined when it throws. */
function safely(check: () => boolean): boolean | undefined {
  try {
    return check();
  } catch {
    return undefined;
  }
}
