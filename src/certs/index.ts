// The certs package: reading, validating and describing the TLS material of
// a Secret. Runtime code uses node:crypto only.
export { MAX_CHAIN_BYTES, MAX_CHAIN_CERTS, MAX_KEY_BYTES, parseTlsSecret } from './validate.ts';
export { fingerprintSHA256, leafInfoFromPem } from './leaf.ts';
export { uncoveredTargets } from './coverage.ts';
export type { CertificateBundle, CertificateProblem, LeafInfo, ParseResult } from './types.ts';
