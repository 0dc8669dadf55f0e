// Validation of a TLS Secret's certificate and key before they go to a CDN.
//
// A CDN serves whatever it is given to every visitor of the domain, so the
// material is checked as a TLS server would check it at startup: it parses,
// the key belongs to the leaf, the leaf is in date. The checks run on data a
// user controls, so parseTlsSecret never throws and its messages never quote
// the input.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { orderChain, parseCertificates } from './chain.ts';
import { parsePrivateKey } from './key.ts';
import { leafInfo } from './leaf.ts';
import { encodePem } from './pem.ts';
import type { CertificateProblem, ParseResult } from './types.ts';

export { MAX_CHAIN_CERTS } from './chain.ts';

/** tls.crt larger than this is not a certificate chain (a leaf and a few intermediates are a few KiB). */
export const MAX_CHAIN_BYTES = 256 * 1024;
/** tls.key larger than this is not a single RSA or ECDSA key (a 16384-bit RSA key is about 13 KiB of PEM). */
export const MAX_KEY_BYTES = 64 * 1024;

/** Validates a TLS Secret's material. `crt`/`key` are the decoded bytes of tls.crt / tls.key (undefined when missing). */
export function parseTlsSecret(crt: Uint8Array | undefined, key: Uint8Array | undefined, now: Date): ParseResult {
  try {
    return parse(crt, key, now);
  } catch {
    // Every step above handles its own failures; this is the backstop that
    // keeps a parser bug on hostile bytes from crashing the reconcile loop.
    return problem('InvalidCertificate', 'the certificate or key could not be parsed');
  }
}

function parse(crt: Uint8Array | undefined, key: Uint8Array | undefined, now: Date): ParseResult {
  if (!crt || crt.byteLength === 0) return problem('InvalidCertificate', 'tls.crt is missing or empty');
  if (!key || key.byteLength === 0) return problem('InvalidCertificate', 'tls.key is missing or empty');
  if (crt.byteLength > MAX_CHAIN_BYTES) {
    return problem('InvalidCertificate', `tls.crt is larger than ${MAX_CHAIN_BYTES / 1024} KiB`);
  }
  if (key.byteLength > MAX_KEY_BYTES) {
    return problem('InvalidCertificate', `tls.key is larger than ${MAX_KEY_BYTES / 1024} KiB`);
  }

  const chain = parseCertificates(text(crt));
  if (!chain.ok) return problem('InvalidCertificate', chain.message);
  const privateKey = parsePrivateKey(text(key));
  if (!privateKey.ok) return problem('InvalidCertificate', privateKey.message);

  const leaf = findLeaf(chain.certs, privateKey.key);
  if (!leaf) {
    const which = chain.certs.length === 1 ? 'the certificate' : 'any certificate';
    return problem('KeyMismatch', `tls.key does not match ${which} in tls.crt`);
  }

  const info = leafInfo(leaf);
  if (!info) return problem('InvalidCertificate', 'the certificate has a malformed validity period');
  if (now.getTime() < info.notBefore.getTime()) {
    return problem('InvalidCertificate', `the certificate is not valid before ${info.notBefore.toISOString()}`);
  }
  if (now.getTime() > info.notAfter.getTime()) {
    return problem('CertificateExpired', `the certificate expired at ${info.notAfter.toISOString()}`);
  }

  const ordered = orderChain(chain.certs, leaf);
  return {
    ok: true,
    bundle: {
      chainPem: ordered.map((c) => encodePem('CERTIFICATE', c.raw)).join(''),
      keyPem: privateKey.pem,
      leaf: info,
    },
  };
}

/**
 * The leaf is the certificate the key belongs to, wherever it sits. If
 * several do (a CA that shares the key, a renewed certificate pasted next to
 * the old one), the first that is not a CA wins, then simply the first.
 */
function findLeaf(certs: readonly X509Certificate[], key: KeyObject): X509Certificate | undefined {
  const matching = certs.filter((cert) => {
    try {
      return cert.checkPrivateKey(key);
    } catch {
      return false;
    }
  });
  return matching.find((cert) => !cert.ca) ?? matching[0];
}

/** PEM is ASCII; latin1 maps every byte to one character, so decoding never fails and binary stays visible as such. */
function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function problem(reason: CertificateProblem, message: string): ParseResult {
  return { ok: false, reason, message };
}
