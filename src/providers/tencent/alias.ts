// The Alias (the "remark name" in the SSL Certificates console) under which
// this operator uploads a certificate, and how prune recognises its own
// uploads by it: the shared upload naming scheme (../naming.ts) with the
// default prefix, so a binding's uploads carry the same name as on Alibaba.
//
// The UploadCertificate reference documents no limit for Alias; 63 matches
// the Alibaba names. One ambiguity remains, because namespaces may contain
// `-`: `a/b-c` and `a-b/c` share the prefix `ccs-a-b-c`. Deletion still asks
// SSL Certificates to refuse a certificate bound to any resource
// (IsCheckResource), so the worst case is a fresh upload of the other binding
// being deleted before it is bound, which that binding's next deploy re-uploads.
import type { BindingRef } from '../provider.ts';
import { defaultPrefix, isOwnUploadName, MAX_UPLOAD_NAME_LENGTH, uploadName } from '../naming.ts';

export const ALIAS_MAX_LENGTH = MAX_UPLOAD_NAME_LENGTH;

type Binding = Pick<BindingRef, 'namespace' | 'name'>;

/** `ccs-<namespace>-<name>`, shortened with a hash of `<namespace>/<name>` when too long. */
export function aliasPrefix(binding: Binding): string {
  return defaultPrefix(binding);
}

/** The alias for the certificate with `fingerprintSHA256`, uploaded for `binding`. */
export function aliasFor(binding: Binding, fingerprintSHA256: string): string {
  return uploadName(binding, fingerprintSHA256);
}

/** Whether `alias` names an upload this operator made for `binding`. */
export function isOwnAlias(binding: Binding, alias: string | null | undefined): boolean {
  return isOwnUploadName(binding, alias);
}
