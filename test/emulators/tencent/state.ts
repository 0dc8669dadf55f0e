// What the emulated account holds: EdgeOne zones with their hosts, and the
// certificates in SSL Certificates. Certificates are parsed and checked the
// way the service does on upload (every block an X.509 certificate, the key
// parses and belongs to the leaf), with node:crypto.
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';

/** An error answer: `{"Response": {"Error": {"Code", "Message"}}}`. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export type HostMode = 'disable' | 'sslcert' | 'eofreecert' | 'eofreecert_manual';

export interface HostState {
  name: string;
  mode: HostMode;
  certIds: string[];
  /** performance.now() of the last change (for the ActionInProgress window); -Infinity when never changed. */
  changedAt: number;
  deployedAt: Date | undefined;
  createdAt: Date;
}

export interface StoredCertificate {
  id: string;
  alias: string;
  chainPem: string;
  /** Kept because DescribeCertificateDetail returns it, as the real service does for uploads. */
  keyPem: string;
  fingerprintSHA256: string;
  fingerprintSHA1: string;
  notBefore: Date;
  notAfter: Date;
  commonName: string;
  dnsNames: string[];
  signAlgo: string;
  insertedAt: Date;
  /** performance.now() from which EdgeOne can see the certificate (eventual consistency). */
  visibleAt: number;
  /** `api`: through UploadCertificate; `seeded`: added by a test as someone else's upload. */
  source: 'api' | 'seeded';
  secretId: string;
}

export interface DeleteTask {
  taskId: string;
  certId: string;
  domains: string[];
  /** Status queries answered so far. */
  polls: number;
  /** Decided when the task completes; undefined while it runs. */
  status: number | undefined;
  error: string | undefined;
}

export interface Account {
  secretId: string;
  secretKey: string;
  token: string | undefined;
  zones: Map<string, Map<string, HostState>>;
  certificates: Map<string, StoredCertificate>;
  tasks: Map<string, DeleteTask>;
}

export interface ParsedCertificate {
  chainPem: string;
  keyPem: string;
  leaf: X509Certificate;
  fingerprintSHA256: string;
  fingerprintSHA1: string;
  commonName: string;
  dnsNames: string[];
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parses and checks an upload; the errors are the service's codes, and never quote the input. */
export function parseUpload(chainPem: string, keyPem: string | undefined, requireKey: boolean): ParsedCertificate {
  const blocks = chainPem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new ApiError('FailedOperation.CertificateParseError', 'The certificate could not be parsed.');
  let chain: X509Certificate[];
  try {
    chain = blocks.map((block) => new X509Certificate(block));
  } catch {
    throw new ApiError('FailedOperation.CertificateParseError', 'The certificate could not be parsed.');
  }
  const leaf = chain[0] as X509Certificate;
  if (requireKey) {
    if (!keyPem) throw new ApiError('MissingParameter', 'CertificatePrivateKey is required for an SVR certificate.');
    let key;
    try {
      key = createPrivateKey(keyPem);
    } catch {
      throw new ApiError('FailedOperation.CertificateParseError', 'The private key could not be parsed.');
    }
    if (!leaf.checkPrivateKey(key)) throw new ApiError('FailedOperation.CertificateMismatch', 'The certificate and the private key do not match.');
  }
  const commonName = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1] ?? '';
  const sans = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  return {
    chainPem,
    keyPem: keyPem ?? '',
    leaf,
    fingerprintSHA256: createHash('sha256').update(leaf.raw).digest('hex'),
    fingerprintSHA1: createHash('sha1').update(leaf.raw).digest('hex'),
    commonName,
    dnsNames: sans.length > 0 ? sans : commonName ? [commonName.toLowerCase()] : [],
  };
}

/** Whether a certificate for `dnsNames` is valid for `host` (one wildcard label at most). */
export function covers(dnsNames: readonly string[], host: string): boolean {
  const name = host.toLowerCase();
  return dnsNames.some((dns) => {
    if (dns === name) return true;
    if (!dns.startsWith('*.')) return false;
    const suffix = dns.slice(1); // ".example.com"
    return name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.') && name.length > suffix.length;
  });
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An SSL Certificates id: 8 alphanumerics, like `1ODjBeH8`. */
export function certificateId(): string {
  return [...randomBytes(8)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

/** `YYYY-MM-DD HH:mm:ss` in Beijing time, as SSL Certificates writes times. */
export function beijingTime(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}
