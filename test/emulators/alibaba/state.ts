// What the emulated CDN knows: accounts and their access keys, accelerated
// domains, and each account's certificate store, plus the three actions the
// operator uses, with the validation Alibaba Cloud documents.
//
// Assumptions where the documentation is silent (kept deliberately close to
// reported behaviour, and documented here because tests rely on them):
// - An uploaded certificate goes into the account's certificate store under
//   its CertName (a generated one when none is given) and gets a numeric
//   CertId. Names are unique per account.
// - Reusing a name with different content fails with Certificate.Duplicated.
//   Reusing it with the same content binds the stored copy in `content` mode
//   (the default), and fails with Certificate.Duplicated in `always` mode,
//   which users report from the real service when one certificate is pushed
//   to several domains under one name.
// - CertType=cas binds a stored certificate by CertId (Certificate.NotFind
//   when there is none); uploaded certificates can be bound that way too.
// - DescribeDomainCertificateInfo lists nothing for a domain that never had
//   HTTPS, and keeps the last certificate (status `off`) once HTTPS is off.
// - DescribeCdnSSLCertificateList matches SearchKeyword as a substring of the
//   name and reports the SHA-1 fingerprint (the documented examples are 40 hex).
// Private keys are checked against the certificate and then dropped: the
// emulator keeps no key material.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ApiError } from './codes.ts';
import type { AccessKey } from './signature.ts';

export type DuplicateNames = 'content' | 'always';

export interface StoredCertificate {
  id: number;
  name: string;
  /** The chain as uploaded. */
  pem: string;
  fingerprintSHA256: string;
  fingerprintSHA1: string;
  commonName: string;
  issuer: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  uploadedAt: Date;
  region: string;
}

export interface DomainState {
  name: string;
  accountId: string;
  offline: boolean;
  sslOn: boolean;
  /** The bound certificate, if HTTPS was ever configured. */
  certId: number | undefined;
  certType: 'upload' | 'cas' | undefined;
  updatedAt: Date | undefined;
}

interface Account {
  id: string;
  certificates: Map<number, StoredCertificate>;
  byName: Map<string, number>;
}

const MAX_CERT_NAME = 128;
const MAX_PEM_LENGTH = 64 * 1024;
let nextCertId = 10_000_000;

type Params = ReadonlyMap<string, string>;

export class CdnState {
  readonly #keys = new Map<string, AccessKey>();
  readonly #accounts = new Map<string, Account>();
  readonly #domains = new Map<string, DomainState>();
  readonly #duplicateNames: DuplicateNames;

  constructor(duplicateNames: DuplicateNames = 'content') {
    this.#duplicateNames = duplicateNames;
  }

  addAccessKey(key: AccessKey): void {
    if (!this.#accounts.has(key.accountId)) {
      this.#accounts.set(key.accountId, { id: key.accountId, certificates: new Map(), byName: new Map() });
    }
    this.#keys.set(key.id, key);
  }

  accessKey(id: string): AccessKey | undefined {
    return this.#keys.get(id);
  }

  addDomain(accountId: string, name: string, opts: { offline?: boolean } = {}): void {
    if (!this.#accounts.has(accountId)) throw new Error(`unknown account ${accountId}`);
    const key = name.toLowerCase();
    if (this.#domains.has(key)) throw new Error(`domain ${name} already exists`);
    this.#domains.set(key, {
      name: key,
      accountId,
      offline: opts.offline ?? false,
      sslOn: false,
      certId: undefined,
      certType: undefined,
      updatedAt: undefined,
    });
  }

  domain(name: string): DomainState | undefined {
    return this.#domains.get(name.toLowerCase());
  }

  certificate(accountId: string, id: number): StoredCertificate | undefined {
    return this.#accounts.get(accountId)?.certificates.get(id);
  }

  certificates(accountId: string): StoredCertificate[] {
    return [...(this.#accounts.get(accountId)?.certificates.values() ?? [])];
  }

  /** The certificate a domain serves, if HTTPS is on. */
  served(name: string): StoredCertificate | undefined {
    const d = this.domain(name);
    return d?.sslOn && d.certId !== undefined ? this.certificate(d.accountId, d.certId) : undefined;
  }

  /** A change made outside the API (the console): bind new content under a fresh name. */
  drift(name: string, pem: string, keyPem: string): StoredCertificate {
    const d = this.domain(name);
    if (!d) throw new Error(`unknown domain ${name}`);
    const cert = this.#store(this.#account(d.accountId), pem, keyPem, `console-${nextCertId}`);
    this.#bind(d, cert, 'upload');
    return cert;
  }

  setCertificate(accountId: string, params: Params): void {
    const d = this.#ownedDomain(accountId, params.get('DomainName'));
    const protocol = params.get('SSLProtocol');
    if (protocol === 'off') {
      d.sslOn = false;
      d.updatedAt = new Date();
      return;
    }
    if (protocol !== 'on') throw new ApiError('InvalidSSLProtocol.ValueNotSupported');

    const account = this.#account(accountId);
    const certType = params.get('CertType') ?? 'upload';
    if (certType === 'cas') {
      const id = Number(params.get('CertId'));
      const cert = Number.isInteger(id) ? account.certificates.get(id) : undefined;
      if (!cert) throw new ApiError('Certificate.NotFind');
      this.#bind(d, cert, 'cas');
      return;
    }
    if (certType !== 'upload') throw new ApiError('SetDomainSSLPub.ParameterError');

    const pub = params.get('SSLPub');
    const pri = params.get('SSLPri');
    if (!pub) throw new ApiError('SSLPub.MissingParameter');
    if (!pri) throw new ApiError('SSLPri.MissingParameter');
    const name = params.get('CertName');
    if (name !== undefined && name.length > MAX_CERT_NAME) throw new ApiError('InvalidCertName.TooLong');

    const existingId = name === undefined ? undefined : account.byName.get(name);
    if (existingId !== undefined) {
      const existing = account.certificates.get(existingId);
      const incoming = parseChain(pub);
      if (!existing || this.#duplicateNames === 'always' || existing.fingerprintSHA256 !== incoming.fingerprintSHA256) {
        throw new ApiError('Certificate.Duplicated');
      }
      checkKey(incoming.leaf, pri);
      this.#bind(d, existing, 'upload');
      return;
    }
    const cert = this.#store(account, pub, pri, name ?? undefined);
    this.#bind(d, cert, 'upload');
  }

  describeDomainCertificateInfo(accountId: string, params: Params): object {
    const d = this.#ownedDomain(accountId, params.get('DomainName'));
    const cert = d.certId === undefined ? undefined : this.certificate(accountId, d.certId);
    if (!cert) return { CertInfos: { CertInfo: [] } };
    const iso = (t: Date) => t.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      CertInfos: {
        CertInfo: [
          {
            DomainName: d.name,
            CertName: cert.name,
            CertId: String(cert.id),
            CertType: d.certType,
            CertRegion: cert.region,
            CertDomainName: cert.commonName,
            CertOrg: cert.issuer,
            CertStartTime: iso(cert.notBefore),
            CertExpireTime: iso(cert.notAfter),
            CertUpdateTime: iso(d.updatedAt ?? cert.uploadedAt),
            CertLife: `${Math.max(1, Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / (30 * 86_400_000)))} months`,
            DomainCnameStatus: 'ok',
            ServerCertificate: cert.pem,
            ServerCertificateStatus: d.sslOn ? 'on' : 'off',
            Status: 'success',
          },
        ],
      },
    };
  }

  describeCdnSslCertificateList(accountId: string, params: Params): object {
    const keyword = params.get('SearchKeyword') ?? '';
    const domain = params.get('DomainName');
    const pageNumber = Math.max(1, Number(params.get('PageNumber') ?? 1) || 1);
    const pageSize = Math.min(1000, Math.max(1, Number(params.get('PageSize') ?? 20) || 20));
    const matches = this.certificates(accountId).filter(
      (c) => c.name.includes(keyword) && (domain === undefined || c.dnsNames.some((n) => covers(n, domain))),
    );
    const page = matches.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      CertificateListModel: {
        Count: matches.length,
        PageNumber: pageNumber,
        PageSize: pageSize,
        CertList: {
          Cert: page.map((c) => ({
            CertId: c.id,
            CertName: c.name,
            Common: c.commonName,
            Fingerprint: c.fingerprintSHA1,
            Issuer: c.issuer,
            LastTime: c.uploadedAt.getTime(),
            CertRegion: c.region,
          })),
        },
      },
    };
  }

  #account(id: string): Account {
    const account = this.#accounts.get(id);
    if (!account) throw new Error(`unknown account ${id}`);
    return account;
  }

  #ownedDomain(accountId: string, name: string | undefined): DomainState {
    if (!name) throw new ApiError('MissingParameter', { message: 'The input parameter DomainName that is mandatory for processing this request is not supplied.' });
    const d = this.domain(name);
    if (!d || d.accountId !== accountId) throw new ApiError('InvalidDomain.NotFound');
    if (d.offline) throw new ApiError('InvalidDomain.Offline');
    return d;
  }

  #store(account: Account, pem: string, keyPem: string, name: string | undefined): StoredCertificate {
    const parsed = parseChain(pem);
    checkKey(parsed.leaf, keyPem);
    const id = nextCertId++;
    const certName = name ?? `${parsed.commonName.replace(/^\*\./, '')}-${id}`;
    if (account.byName.has(certName)) throw new ApiError('Certificate.Duplicated');
    const cert: StoredCertificate = {
      id,
      name: certName,
      pem,
      fingerprintSHA256: parsed.fingerprintSHA256,
      fingerprintSHA1: parsed.fingerprintSHA1,
      commonName: parsed.commonName,
      issuer: parsed.issuer,
      dnsNames: parsed.dnsNames,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
      uploadedAt: new Date(),
      region: 'cn-hangzhou',
    };
    account.certificates.set(id, cert);
    account.byName.set(certName, id);
    return cert;
  }

  #bind(d: DomainState, cert: StoredCertificate, type: 'upload' | 'cas'): void {
    d.sslOn = true;
    d.certId = cert.id;
    d.certType = type;
    d.updatedAt = new Date();
  }
}

interface ParsedChain {
  leaf: X509Certificate;
  fingerprintSHA256: string;
  fingerprintSHA1: string;
  commonName: string;
  issuer: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
}

function parseChain(pem: string): ParsedChain {
  if (pem.length > MAX_PEM_LENGTH) throw new ApiError('InvalidCertificate.TooLong');
  const blocks = pem.replace(/\r\n/g, '\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length === 0) throw new ApiError('InvalidCertificate');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0] ?? '');
    for (const block of blocks.slice(1)) new X509Certificate(block);
  } catch {
    throw new ApiError('InvalidCertificate');
  }
  const hex = (s: string) => s.replace(/:/g, '').toLowerCase();
  return {
    leaf,
    fingerprintSHA256: hex(leaf.fingerprint256),
    fingerprintSHA1: hex(leaf.fingerprint),
    commonName: /CN=([^\n,]+)/.exec(leaf.subject)?.[1] ?? '',
    issuer: /O=([^\n,]+)/.exec(leaf.issuer)?.[1] ?? /CN=([^\n,]+)/.exec(leaf.issuer)?.[1] ?? '',
    dnsNames: (leaf.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase()),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
  };
}

function checkKey(leaf: X509Certificate, keyPem: string): void {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new ApiError('InvalidSSLPri');
  }
  if (!leaf.checkPrivateKey(key)) throw new ApiError('Certificate.MissMatch');
}

/** Whether a certificate DNS name covers an accelerated domain (`.example.com` is Alibaba's wildcard). */
function covers(dnsName: string, domain: string): boolean {
  const d = domain.toLowerCase().replace(/^\*\./, '.');
  if (d.startsWith('.')) return dnsName === `*${d}`;
  if (dnsName.startsWith('*.')) return d.endsWith(dnsName.slice(1)) && !d.slice(0, -dnsName.length + 1).includes('.');
  return dnsName === d;
}
