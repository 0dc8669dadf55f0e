// EdgeOne (teo 2022-09-01): the two actions the provider uses, with the
// validation and error codes of the API reference.
import type { EmulatorOptions } from './options.ts';
import { ApiError, covers, type Account, type HostMode, type HostState, type StoredCertificate } from './state.ts';

export const TEO_VERSION = '2022-09-01';

export interface TeoContext {
  account: Account;
  options: EmulatorOptions;
  /** performance.now() */
  now: number;
}

type Params = Record<string, unknown>;
type Handler = (ctx: TeoContext, params: Params) => Record<string, unknown>;

export const TEO_ACTIONS: Readonly<Record<string, Handler>> = {
  DescribeAccelerationDomains: describeAccelerationDomains,
  ModifyHostsCertificate: modifyHostsCertificate,
};

const MODES: readonly HostMode[] = ['disable', 'sslcert', 'eofreecert', 'eofreecert_manual'];
const MAX_FILTER_VALUES = 20;
const MAX_LIMIT = 200;

function describeAccelerationDomains(ctx: TeoContext, params: Params): Record<string, unknown> {
  const zoneId = requireString(params, 'ZoneId');
  const zone = zoneOf(ctx.account, zoneId);
  const offset = optionalInt(params, 'Offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = optionalInt(params, 'Limit', 20, 1, MAX_LIMIT);
  const predicates = filtersOf(params);
  const matchAny = params.Match === 'any';
  const hosts = [...zone.values()]
    .filter((host) => predicates.length === 0 || (matchAny ? predicates.some((p) => p(host)) : predicates.every((p) => p(host))))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    TotalCount: hosts.length,
    AccelerationDomains: hosts.slice(offset, offset + limit).map((host) => renderHost(ctx.account, zoneId, host)),
  };
}

function modifyHostsCertificate(ctx: TeoContext, params: Params): Record<string, unknown> {
  const zone = zoneOf(ctx.account, requireString(params, 'ZoneId'));
  const names = params.Hosts;
  if (!Array.isArray(names) || names.length === 0) throw new ApiError('MissingParameter', 'The parameter Hosts is missing.');
  const hosts = names.map((name) => {
    const host = typeof name === 'string' ? zone.get(name.toLowerCase()) : undefined;
    if (!host) throw new ApiError('ResourceUnavailable.HostNotFound', 'The domain name does not exist or not use a proxy.');
    return host;
  });
  const mode = (params.Mode ?? 'disable') as HostMode;
  if (!MODES.includes(mode)) throw new ApiError('InvalidParameterValue', 'The parameter Mode is invalid.');

  let certIds: string[] = [];
  if (mode === 'sslcert') {
    const infos = params.ServerCertInfo;
    if (!Array.isArray(infos) || infos.length === 0) throw new ApiError('InvalidParameter.InvalidCertInfo', 'Incorrect certificate information.');
    const certs = infos.map((info) => certificateFor(ctx, info));
    for (const cert of certs) {
      if (cert.notAfter.getTime() <= Date.now()) throw new ApiError('FailedOperation.CertificateHasExpired', 'Failed to publish: The certificate has expired.');
      for (const host of hosts) {
        if (!covers(cert.dnsNames, host.name)) {
          throw new ApiError('InvalidParameter.CertNotMatchDomain', 'Mismatch between the HTTPS certificate and the domain name.');
        }
      }
    }
    certIds = certs.map((cert) => cert.id);
  }

  if (hosts.some((host) => ctx.now - host.changedAt < ctx.options.actionInProgressMs)) {
    throw new ApiError('InvalidParameter.ActionInProgress', 'Too many attempts. Please try again later.');
  }
  for (const host of hosts) {
    host.mode = mode;
    // A free certificate is EdgeOne's own: an id SSL Certificates does not know.
    host.certIds = mode === 'sslcert' ? [...certIds] : mode === 'disable' ? [] : [`teo-free-${host.name}`];
    host.changedAt = ctx.now;
    host.deployedAt = new Date();
  }
  return {};
}

function certificateFor(ctx: TeoContext, info: unknown): StoredCertificate {
  const id = typeof info === 'object' && info !== null ? (info as { CertId?: unknown }).CertId : undefined;
  if (typeof id !== 'string' || id === '') throw new ApiError('InvalidParameter.InvalidCertInfo', 'Incorrect certificate information.');
  const cert = ctx.account.certificates.get(id);
  if (!cert || ctx.now < cert.visibleAt) throw new ApiError('ResourceUnavailable.CertNotFound', 'The certificate does not exist or is not authorized.');
  return cert;
}

function renderHost(account: Account, zoneId: string, host: HostState): Record<string, unknown> {
  const list = host.certIds.map((id) => {
    const cert = account.certificates.get(id);
    return {
      CertId: id,
      Alias: cert?.alias ?? '',
      Type: host.mode === 'sslcert' ? 'upload' : 'managed',
      ExpireTime: cert ? cert.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      DeployTime: host.deployedAt ? host.deployedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      SignAlgo: cert?.signAlgo ?? null,
      Status: 'deployed',
    };
  });
  return {
    ZoneId: zoneId,
    DomainName: host.name,
    DomainStatus: 'online',
    Cname: `${host.name}.eo.dnse4.com`,
    Certificate: { Mode: host.mode, List: list.length > 0 ? list : null },
    CreatedOn: host.createdAt.toISOString(),
    ModifiedOn: (host.deployedAt ?? host.createdAt).toISOString(),
  };
}

function zoneOf(account: Account, zoneId: string): Map<string, HostState> {
  const zone = account.zones.get(zoneId);
  if (!zone) throw new ApiError('InvalidParameterValue.ZoneNotFound', 'The site does not exist.');
  return zone;
}

function filtersOf(params: Params): Array<(host: HostState) => boolean> {
  const filters = params.Filters;
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters)) throw new ApiError('InvalidParameter', 'The parameter Filters is invalid.');
  return filters.map((filter: { Name?: unknown; Values?: unknown; Fuzzy?: unknown }) => {
    const values = filter.Values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) throw new ApiError('InvalidParameter', 'Filters.Values is invalid.');
    if (values.length > MAX_FILTER_VALUES) throw new ApiError('InvalidParameter', `Filters.Values holds at most ${MAX_FILTER_VALUES} values.`);
    if (filter.Name !== 'domain-name') throw new ApiError('InvalidParameter', 'The emulator only filters by domain-name.');
    const wanted = (values as string[]).map((v) => v.toLowerCase());
    return filter.Fuzzy === true ? (host) => wanted.some((v) => host.name.includes(v)) : (host) => wanted.includes(host.name);
  });
}

function requireString(params: Params, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw new ApiError('MissingParameter', `The parameter ${name} is missing.`);
  return value;
}

function optionalInt(params: Params, name: string, fallback: number, min: number, max: number): number {
  const value = params[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ApiError('InvalidParameter', `The parameter ${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}
