// The CertName under which a certificate is uploaded to Alibaba Cloud.
//
// Scheme: `<prefix>-<first 12 hex digits of the leaf's SHA-256 fingerprint>`.
//
// - Deterministic: the same certificate for the same binding always gets the
//   same name, so a retry after a crash, or a second replica, sends the name
//   that is already there (see Certificate.Duplicated in ./provider.ts)
//   instead of littering the account with copies.
// - Unique across renewals: every renewal has a new fingerprint, so a new
//   name; Alibaba Cloud refuses to reuse a name for different content.
// - At most 63 characters, from `[A-Za-z0-9_.-]`, starting with a letter or
//   digit: well inside Alibaba's 128-character limit and the character set
//   the console accepts.
// - The prefix is `spec.alibaba.certNamePrefix` (the CRD caps it at 50
//   characters), or by default `ccs-<namespace>-<name>`. When that default is
//   longer than 50 characters it is cut to 41 and followed by `-` and the first
//   8 hex digits of SHA-256(`<namespace>/<name>`), so two long binding names
//   that share their first 41 characters still get different prefixes.
//
// Examples:
//   ccs-web-shop-3f9a0c41d2b7
//   ccs-payments-production-a-very-long-bindi-5d1e8f0a-3f9a0c41d2b7
import { createHash } from 'node:crypto';
import type { BindingRef } from '../provider.ts';

export const MAX_CERT_NAME_LENGTH = 63;
const FINGERPRINT_DIGITS = 12;
/** 63 - '-' - 12 fingerprint digits. */
export const MAX_PREFIX_LENGTH = MAX_CERT_NAME_LENGTH - 1 - FINGERPRINT_DIGITS;
const HASH_DIGITS = 8;
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The CertName for a certificate with `fingerprintSHA256`, uploaded for `binding`. */
export function certName(binding: Pick<BindingRef, 'namespace' | 'name'>, fingerprintSHA256: string, prefix?: string): string {
  const fingerprint = fingerprintSHA256.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (fingerprint.length < FINGERPRINT_DIGITS) throw new RangeError('fingerprintSHA256 must be a SHA-256 hex digest');
  const head = prefix === undefined ? defaultPrefix(binding) : fitPrefix(sanitize(prefix), prefix);
  return `${head}-${fingerprint.slice(0, FINGERPRINT_DIGITS)}`;
}

/** `ccs-<namespace>-<name>`, shortened with a hash of `<namespace>/<name>` when too long. */
export function defaultPrefix(binding: Pick<BindingRef, 'namespace' | 'name'>): string {
  return fitPrefix(sanitize(`ccs-${binding.namespace}-${binding.name}`), `${binding.namespace}/${binding.name}`);
}

/** The prefix as is when it fits, else cut and suffixed with a hash of `identity`. */
function fitPrefix(prefix: string, identity: string): string {
  if (prefix.length <= MAX_PREFIX_LENGTH) return prefix;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_DIGITS);
  const cut = prefix.slice(0, MAX_PREFIX_LENGTH - 1 - HASH_DIGITS).replace(/[-_.]+$/, '');
  return `${cut}-${hash}`;
}

/**
 * Kubernetes names and the CRD's prefix pattern already stay within the
 * allowed characters; this only guards callers that bypass the CRD.
 */
function sanitize(prefix: string): string {
  if (VALID_NAME.test(prefix)) return prefix;
  const cleaned = prefix.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned === '' ? 'ccs' : cleaned;
}
