// SSL Certificates (ssl 2019-12-05): upload with Repeatable semantics,
// detail, search with paging, deletion with the bound-resource check (an
// asynchronous task, as documented, or the synchronous refusal variant).
import type { EmulatorOptions } from './options.ts';
import {
  ApiError,
  beijingTime,
  certificateId,
  parseUpload,
  type Account,
  type DeleteTask,
  type ParsedCertificate,
  type StoredCertificate,
} from './state.ts';

export const SSL_VERSION = '2019-12-05';

export interface SslContext {
  account: Account;
  options: EmulatorOptions;
  /** performance.now() */
  now: number;
  /** Called for each certificate stored through UploadCertificate. */
  onUpload: (cert: StoredCertificate) => void;
}

type Params = Record<string, unknown>;
type Handler = (ctx: SslContext, params: Params) => Record<string, unknown>;

export const SSL_ACTIONS: Readonly<Record<string, Handler>> = {
  UploadCertificate: uploadCertificate,
  DescribeCertificateDetail: describeCertificateDetail,
  DescribeCertificates: describeCertificates,
  DeleteCertificate: deleteCertificate,
  DescribeDeleteCertificatesTaskResult: describeDeleteCertificatesTaskResult,
};

/** Stores a parsed certificate; shared by UploadCertificate and the emulator's seeding. */
export function storeCertificate(
  account: Account,
  parsed: ParsedCertificate,
  input: { alias: string; source: StoredCertificate['source']; visibleAt: number },
): StoredCertificate {
  const cert: StoredCertificate = {
    id: uniqueId(account),
    alias: input.alias,
    chainPem: parsed.chainPem,
    keyPem: parsed.keyPem,
    fingerprintSHA256: parsed.fingerprintSHA256,
    fingerprintSHA1: parsed.fingerprintSHA1,
    notBefore: new Date(parsed.leaf.validFrom),
    notAfter: new Date(parsed.leaf.validTo),
    commonName: parsed.commonName,
    dnsNames: parsed.dnsNames,
    signAlgo: parsed.leaf.publicKey.asymmetricKeyType === 'ec' ? 'ECC 256' : 'RSA 2048',
    insertedAt: new Date(),
    visibleAt: input.visibleAt,
    source: input.source,
    secretId: account.secretId,
  };
  account.certificates.set(cert.id, cert);
  return cert;
}

function uploadCertificate(ctx: SslContext, params: Params): Record<string, unknown> {
  const chainPem = params.CertificatePublicKey;
  if (typeof chainPem !== 'string' || chainPem === '') throw new ApiError('MissingParameter', 'The parameter CertificatePublicKey is missing.');
  const type = params.CertificateType ?? 'SVR';
  if (type !== 'SVR') throw new ApiError('InvalidParameter', 'The emulator only stores SVR certificates.');
  const keyPem = typeof params.CertificatePrivateKey === 'string' ? params.CertificatePrivateKey : undefined;
  const alias = typeof params.Alias === 'string' ? params.Alias : '';
  const parsed = parseUpload(chainPem, keyPem, true);

  // Repeatable defaults to true: only an explicit false deduplicates.
  if (params.Repeatable === false) {
    const existing = [...ctx.account.certificates.values()].find((c) => c.fingerprintSHA256 === parsed.fingerprintSHA256);
    if (existing) {
      return ctx.options.repeatIdIn === 'RepeatCertId'
        ? { CertificateId: '', RepeatCertId: existing.id }
        : { CertificateId: existing.id, RepeatCertId: null };
    }
  }
  const cert = storeCertificate(ctx.account, parsed, { alias, source: 'api', visibleAt: ctx.now + ctx.options.certPropagationMs });
  ctx.onUpload(cert);
  return { CertificateId: cert.id, RepeatCertId: null };
}

function describeCertificateDetail(ctx: SslContext, params: Params): Record<string, unknown> {
  const cert = certificateOf(ctx.account, params);
  return {
    CertificateId: cert.id,
    Alias: cert.alias,
    From: 'upload',
    CertificateType: 'SVR',
    Status: 1,
    Domain: cert.commonName,
    SubjectAltName: cert.dnsNames,
    CertBeginTime: beijingTime(cert.notBefore),
    CertEndTime: beijingTime(cert.notAfter),
    InsertTime: beijingTime(cert.insertedAt),
    CertificatePublicKey: cert.chainPem,
    // The real service returns an uploaded key too; a client must never echo it.
    CertificatePrivateKey: cert.keyPem,
    CertFingerprint: cert.fingerprintSHA1,
  };
}

function describeCertificates(ctx: SslContext, params: Params): Record<string, unknown> {
  const offset = intParam(params, 'Offset', 0);
  const limit = Math.min(intParam(params, 'Limit', 10), 1000); // "more than 1000 is treated as 1000"
  const search = typeof params.SearchKey === 'string' ? params.SearchKey.toLowerCase() : '';
  const matches = [...ctx.account.certificates.values()]
    .filter((c) => !search || c.id.toLowerCase().includes(search) || c.alias.toLowerCase().includes(search) || c.dnsNames.some((d) => d.includes(search)))
    // Everything stored here is an uploaded SVR certificate.
    .filter(() => params.CertificateType === undefined || params.CertificateType === 'SVR')
    .filter(() => params.FilterSource === undefined || params.FilterSource === 'upload')
    .sort((a, b) => b.insertedAt.getTime() - a.insertedAt.getTime() || (a.id < b.id ? -1 : 1));
  return {
    TotalCount: matches.length,
    Certificates: matches.slice(offset, offset + limit).map((c) => ({
      CertificateId: c.id,
      Alias: c.alias,
      From: 'upload',
      CertificateType: 'SVR',
      Status: 1,
      Domain: c.commonName,
      SubjectAltName: c.dnsNames,
      CertBeginTime: beijingTime(c.notBefore),
      CertEndTime: beijingTime(c.notAfter),
      InsertTime: beijingTime(c.insertedAt),
    })),
  };
}

function deleteCertificate(ctx: SslContext, params: Params): Record<string, unknown> {
  const cert = certificateOf(ctx.account, params);
  if (params.IsCheckResource !== true) {
    // Without the check the certificate goes, even from under a host that still names it.
    ctx.account.certificates.delete(cert.id);
    return { DeleteResult: true, TaskId: null };
  }
  if (ctx.options.deleteCheck === 'sync') {
    if (isBound(ctx.account, cert.id)) {
      throw new ApiError('FailedOperation.DeleteResourceFailed', 'The certificate is associated with a Tencent Cloud resource and cannot be deleted.');
    }
    ctx.account.certificates.delete(cert.id);
    return { DeleteResult: true, TaskId: null };
  }
  const task: DeleteTask = {
    taskId: String(100_000 + ctx.account.tasks.size + 1),
    certId: cert.id,
    domains: cert.dnsNames,
    polls: 0,
    status: undefined,
    error: undefined,
  };
  ctx.account.tasks.set(task.taskId, task);
  return { DeleteResult: false, TaskId: task.taskId };
}

function describeDeleteCertificatesTaskResult(ctx: SslContext, params: Params): Record<string, unknown> {
  const ids = params.TaskIds;
  if (!Array.isArray(ids) || ids.length === 0) throw new ApiError('MissingParameter', 'The parameter TaskIds is missing.');
  const results = [];
  for (const id of ids) {
    const task = typeof id === 'string' ? ctx.account.tasks.get(id) : undefined;
    if (!task) continue;
    settle(ctx, task);
    results.push({
      TaskId: task.taskId,
      CertId: task.certId,
      Status: task.status ?? 0,
      Error: task.error ?? null,
      CacheTime: beijingTime(new Date()),
      Domains: task.domains,
    });
  }
  return { DeleteTaskResult: results };
}

/** Decides a deletion task once it has been polled enough: delete, or refuse because resources are bound. */
function settle(ctx: SslContext, task: DeleteTask): void {
  if (task.status !== undefined || task.polls++ < ctx.options.deleteTaskPolls) return;
  if (ctx.options.deleteTaskStatus !== undefined) {
    task.status = ctx.options.deleteTaskStatus;
    task.error = `forced status ${task.status}`;
  } else if (!ctx.account.certificates.has(task.certId)) {
    task.status = 1;
  } else if (isBound(ctx.account, task.certId)) {
    task.status = 4;
    task.error = 'There are cloud resources that are not unbound.';
  } else {
    ctx.account.certificates.delete(task.certId);
    task.status = 1;
  }
}

function isBound(account: Account, certId: string): boolean {
  for (const zone of account.zones.values()) for (const host of zone.values()) if (host.certIds.includes(certId)) return true;
  return false;
}

function certificateOf(account: Account, params: Params): StoredCertificate {
  const id = params.CertificateId;
  if (typeof id !== 'string' || id === '') throw new ApiError('MissingParameter', 'The parameter CertificateId is missing.');
  const cert = account.certificates.get(id);
  if (!cert) throw new ApiError('FailedOperation.CertificateNotFound', 'The certificate does not exist.');
  return cert;
}

function uniqueId(account: Account): string {
  for (;;) {
    const id = certificateId();
    if (!account.certificates.has(id)) return id;
  }
}

function intParam(params: Params, name: string, fallback: number): number {
  const value = params[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new ApiError('InvalidParameter', `The parameter ${name} is invalid.`);
  return value;
}
