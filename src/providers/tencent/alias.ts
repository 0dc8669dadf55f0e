// The Alias (the "remark name" in the SSL Certificates console) under which
// this operator uploads a certificate, and how prune recognises its own
// uploads by it.
//
// Scheme: `<prefix>-<first 12 hex digits of the leaf's SHA-256 fingerprint>`,
// where `<prefix>` is `ccs-<namespace>-<name>`; when that is longer than 50
// characters it is cut to 41 and followed by `-` and the first 8 hex digits
// of SHA-256(`<namespace>/<name>`), so two long binding names that share
// their first 41 characters still get different prefixes. This is the same
// naming as the Alibaba provider's default CertName, so an operator finds a
// binding's uploads under the same name in either console.
//
// - At most 63 characters. The UploadCertificate reference documents no
//   limit for Alias; 63 matches the Alibaba names and stays readable in the
//   console's list.
// - Deterministic: a retry or a second replica sends the same alias.
// - Ownership is matched strictly: an alias is ours for a binding only when
//   it is that binding's prefix followed by exactly 12 hex digits, so binding
//   `web/shop` never claims `ccs-web-shop-eu-3f9a0c41d2b7` (binding
//   `web/shop-eu`). One ambiguity remains, because namespaces may contain
//   `-`: `a/b-c` and `a-b/c` share the prefix `ccs-a-b-c`. Deletion still
//   asks SSL Certificates to refuse a certificate bound to any resource
//   (IsCheckResource), so the worst case is a fresh upload of the other
//   binding being deleted before it is bound, which that binding's next
//   deploy re-uploads.
import { createHash } from 'node:crypto';
import type { BindingRef } from '../provider.ts';

export const ALIAS_MAX_LENGTH = 63;
const FINGERPRINT_DIGITS = 12;
const HASH_DIGITS = 8;
/** 63 - '-' - 12 fingerprint digits. */
const MAX_PREFIX_LENGTH = ALIAS_MAX_LENGTH - 1 - FINGERPRINT_DIGITS;
const OWN_SUFFIX = new RegExp(`^-[0-9a-f]{${FINGERPRINT_DIGITS}}$`);

type Binding = Pick<BindingRef, 'namespace' | 'name'>;

/** `ccs-<namespace>-<name>`, shortened with a hash of `<namespace>/<name>` when too long. */
export function aliasPrefix(binding: Binding): string {
  const prefix = `ccs-${binding.namespace}-${binding.name}`;
  if (prefix.length <= MAX_PREFIX_LENGTH) return prefix;
  const hash = createHash('sha256').update(`${binding.namespace}/${binding.name}`).digest('hex').slice(0, HASH_DIGITS);
  return `${prefix.slice(0, MAX_PREFIX_LENGTH - 1 - HASH_DIGITS).replace(/[-.]+$/, '')}-${hash}`;
}

/** The alias for the certificate with `fingerprintSHA256`, uploaded for `binding`. */
export function aliasFor(binding: Binding, fingerprintSHA256: string): string {
  const fingerprint = fingerprintSHA256.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (fingerprint.length < FINGERPRINT_DIGITS) throw new RangeError('fingerprintSHA256 must be a SHA-256 hex digest');
  return `${aliasPrefix(binding)}-${fingerprint.slice(0, FINGERPRINT_DIGITS)}`;
}

/** Whether `alias` names an upload this operator made for `binding`. */
export function isOwnAlias(binding: Binding, alias: string | null | undefined): boolean {
  if (!alias) return false;
  const prefix = aliasPrefix(binding);
  return alias.startsWith(prefix) && OWN_SUFFIX.test(alias.slice(prefix.length));
}
