// How this operator names what it uploads to a CDN (Alibaba CertName,
// Tencent SSL Alias), shared so that a binding's uploads carry the same name
// in either console.
//
// Scheme: `<prefix>-<first 12 hex digits of the leaf's SHA-256 fingerprint>`,
// at most 63 characters from `[A-Za-z0-9_.-]`, starting with a letter or digit.
// - Deterministic: the same certificate for the same binding always gets the
//   same name, so a retry after a crash, or a second replica, sends the name
//   that is already there instead of littering the account with copies.
// - Unique across renewals: every renewal has a new fingerprint.
// - The prefix is the user's (Alibaba's `spec.alibaba.certNamePrefix`, capped
//   at 50 by the CRD), or by default `ccs-<namespace>-<name>`. A prefix longer
//   than 50 characters is cut to 41 and followed by `-` and the first 8 hex
//   digits of SHA-256(`<namespace>/<name>`), so two long binding names that
//   share their first 41 characters still get different prefixes.
//
// Examples:
//   ccs-web-shop-3f9a0c41d2b7
//   ccs-payments-production-a-very-long-bindi-5d1e8f0a-3f9a0c41d2b7
import { createHash } from 'node:crypto';
import type { BindingRef } from './provider.ts';

export const MAX_UPLOAD_NAME_LENGTH = 63;
const FINGERPRINT_DIGITS = 12;
/** 63 - '-' - 12 fingerprint digits. */
export const MAX_PREFIX_LENGTH = MAX_UPLOAD_NAME_LENGTH - 1 - FINGERPRINT_DIGITS;
const HASH_DIGITS = 8;
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const OWN_SUFFIX = new RegExp(`^-[0-9a-f]{${FINGERPRINT_DIGITS}}$`);

type Binding = Pick<BindingRef, 'namespace' | 'name'>;

/** The name of the upload of the certificate with `fingerprintSHA256` for `binding`. */
export function uploadName(binding: Binding, fingerprintSHA256: string, prefix?: string): string {
  const fingerprint = fingerprintSHA256.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (fingerprint.length < FINGERPRINT_DIGITS) throw new RangeError('fingerprintSHA256 must be a SHA-256 hex digest');
  const head = prefix === undefined ? defaultPrefix(binding) : fitPrefix(sanitize(prefix), `${binding.namespace}/${binding.name}`);
  return `${head}-${fingerprint.slice(0, FINGERPRINT_DIGITS)}`;
}

/** `ccs-<namespace>-<name>`, shortened with a hash of `<namespace>/<name>` when too long. */
export function defaultPrefix(binding: Binding): string {
  return fitPrefix(sanitize(`ccs-${binding.namespace}-${binding.name}`), `${binding.namespace}/${binding.name}`);
}

/**
 * Whether `name` is an upload this operator made for `binding` under the
 * default prefix: that prefix followed by exactly 12 hex digits, so binding
 * `web/shop` never claims `ccs-web-shop-eu-3f9a0c41d2b7` (binding `web/shop-eu`).
 */
export function isOwnUploadName(binding: Binding, name: string | null | undefined): boolean {
  if (!name) return false;
  const prefix = defaultPrefix(binding);
  return name.startsWith(prefix) && OWN_SUFFIX.test(name.slice(prefix.length));
}

/** The prefix as is when it fits, else cut and suffixed with a hash of `identity`. */
function fitPrefix(prefix: string, identity: string): string {
  if (prefix.length <= MAX_PREFIX_LENGTH) return prefix;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, HASH_DIGITS);
  const cut = prefix.slice(0, MAX_PREFIX_LENGTH - 1 - HASH_DIGITS).replace(/[-_.]+$/, '');
  return `${cut}-${hash}`;
}

/** Kubernetes names and the CRD's prefix pattern already comply; this guards callers that bypass the CRD. */
function sanitize(prefix: string): string {
  if (VALID_NAME.test(prefix)) return prefix;
  const cleaned = prefix.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned === '' ? 'ccs' : cleaned;
}
