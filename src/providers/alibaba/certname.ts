// The CertName under which a certificate is uploaded to Alibaba Cloud: the
// shared upload naming scheme (../naming.ts), with the binding's
// `spec.alibaba.certNamePrefix` as the prefix when it sets one. Being
// deterministic is what lets Certificate.Duplicated be resolved by observing
// (see ./provider.ts).
import type { BindingRef } from '../provider.ts';
import { defaultPrefix, MAX_PREFIX_LENGTH, MAX_UPLOAD_NAME_LENGTH, uploadName } from '../naming.ts';

export { defaultPrefix, MAX_PREFIX_LENGTH };
export const MAX_CERT_NAME_LENGTH = MAX_UPLOAD_NAME_LENGTH;

/** The CertName for a certificate with `fingerprintSHA256`, uploaded for `binding`. */
export function certName(binding: Pick<BindingRef, 'namespace' | 'name'>, fingerprintSHA256: string, prefix?: string): string {
  return uploadName(binding, fingerprintSHA256, prefix);
}
