// The Provider for one binding's EdgeOne zone.
//
// EdgeOne does not take certificate content: a host is bound to the id of a
// certificate held by the separate SSL Certificates service. So a deploy is
// "upload, then bind", and observing is "read the bound id, then learn which
// certificate that id is":
//
//   observe  DescribeAccelerationDomains (filtered to the hosts, paginated)
//            -> Certificate.Mode and Certificate.List[].CertId per host
//            -> DescribeCertificateDetail for ids not seen before (cached)
//   deploy   UploadCertificate (Repeatable=false, our Alias), unless a host
//            already serves this certificate under an id we can reuse
//            -> one ModifyHostsCertificate (Mode=sslcert) for the hosts not
//               yet bound to that id
//   disable  ModifyHostsCertificate (Mode=disable)
//   prune    ./prune.ts
import type { Logger } from 'pino';
import {
  ProviderError,
  type DeployRequest,
  type DisableRequest,
  type Observation,
  type ObserveRequest,
  type Outcome,
  type Provider,
  type PruneRequest,
  type PruneResult,
} from '../provider.ts';
import type { Clock } from '../ratelimit.ts';
import { aliasFor } from './alias.ts';
import type { AccelerationDomain } from './api.ts';
import type { TencentAccount } from './clients.ts';
import { classify, providerError } from './errors.ts';
import { pruneUploads, type DeleteTaskPolling } from './prune.ts';
import { servedCertificate, type ServedCertificate } from './served.ts';
import { chunks } from './util.ts';

/** DescribeAccelerationDomains: at most 20 values per filter, at most 200 domains per page. */
const FILTER_VALUES_MAX = 20;
const PAGE_LIMIT = 200;
const MAX_PAGES = 50;

export interface TencentProviderDeps {
  account: TencentAccount;
  zoneId: string;
  logger: Logger;
  polling: DeleteTaskPolling;
  clock: Clock;
}

export class TencentProvider implements Provider {
  readonly name = 'tencent';
  readonly #deps: TencentProviderDeps;

  constructor(deps: TencentProviderDeps) {
    this.#deps = deps;
  }

  async observe(req: ObserveRequest): Promise<Observation[]> {
    let domains: Map<string, AccelerationDomain>;
    try {
      domains = await this.#describeHosts(req.targets, req.signal);
    } catch (err) {
      const error = this.#asError(err, 'DescribeAccelerationDomains');
      return req.targets.map((target) => ({ target, state: 'error', error }));
    }

    const ids = new Set<string>();
    for (const domain of domains.values()) {
      const id = boundCertificateId(domain);
      if (id && domain.Certificate?.Mode === 'sslcert') ids.add(id);
    }
    const served = new Map<string, ServedCertificate | ProviderError>();
    await Promise.all(
      [...ids].map(async (id) => {
        served.set(id, await this.#servedCertificate(id, req.signal).catch((err: unknown) => this.#asError(err, 'DescribeCertificateDetail')));
      }),
    );

    return req.targets.map((target) => this.#observation(target, domains.get(target.toLowerCase()), served));
  }

  async deploy(req: DeployRequest): Promise<Outcome[]> {
    if (req.targets.length === 0) return [];
    const { account, zoneId, logger } = this.#deps;
    const { certificate, binding, signal } = req;
    const secrets = [certificate.keyPem];

    let certificateId: string;
    let uploaded: boolean;
    try {
      ({ certificateId, uploaded } = await this.#certificateIdFor(req));
    } catch (err) {
      const error = this.#asError(err, 'UploadCertificate', secrets);
      return req.targets.map((target) => ({ target, ok: false, error }));
    }

    const bound = new Set(req.observed.filter((o) => o.state === 'serving' && o.certificateId === certificateId).map((o) => o.target));
    const hosts = req.targets.filter((target) => !bound.has(target));
    if (hosts.length > 0) {
      try {
        await account.teo(
          'ModifyHostsCertificate',
          { ZoneId: zoneId, Hosts: hosts, Mode: 'sslcert', ServerCertInfo: [{ CertId: certificateId }] },
          { signal, afterUpload: uploaded, secrets },
        );
      } catch (err) {
        const error = this.#asError(err, 'ModifyHostsCertificate', secrets);
        const failed = new Set(hosts);
        return req.targets.map((target) => (failed.has(target) ? { target, ok: false, error } : { target, ok: true, certificateId }));
      }
      logger.info(
        { binding: `${binding.namespace}/${binding.name}`, zoneId, hosts, certificateId, fingerprint: certificate.leaf.fingerprintSHA256 },
        'bound certificate to EdgeOne hosts',
      );
    }
    return req.targets.map((target) => ({ target, ok: true, certificateId }));
  }

  async disable(req: DisableRequest): Promise<Outcome[]> {
    if (req.targets.length === 0) return [];
    const { account, zoneId, logger } = this.#deps;
    try {
      await account.teo('ModifyHostsCertificate', { ZoneId: zoneId, Hosts: [...req.targets], Mode: 'disable' }, { signal: req.signal });
    } catch (err) {
      const error = this.#asError(err, 'ModifyHostsCertificate');
      return req.targets.map((target) => ({ target, ok: false, error }));
    }
    logger.info({ binding: `${req.binding.namespace}/${req.binding.name}`, zoneId, hosts: req.targets }, 'disabled HTTPS on EdgeOne hosts');
    return req.targets.map((target) => ({ target, ok: true }));
  }

  prune(req: PruneRequest): Promise<PruneResult> {
    const { account, logger, polling, clock } = this.#deps;
    return pruneUploads({ account, logger, polling, clock }, req);
  }

  /**
   * The id to bind: that of a host already serving this certificate (the
   * observation says so; nothing to upload), else the upload's.
   */
  async #certificateIdFor(req: DeployRequest): Promise<{ certificateId: string; uploaded: boolean }> {
    const fingerprint = req.certificate.leaf.fingerprintSHA256.toLowerCase();
    for (const o of req.observed) {
      if (o.state === 'serving' && o.certificateId && o.fingerprintSHA256.toLowerCase() === fingerprint) {
        return { certificateId: o.certificateId, uploaded: false };
      }
    }
    return { certificateId: await this.#upload(req), uploaded: true };
  }

  /** Uploads the bundle and returns its id: the new one, or the existing one for identical content. */
  async #upload(req: DeployRequest): Promise<string> {
    const { account, logger } = this.#deps;
    const { certificate, binding } = req;
    const alias = aliasFor(binding, certificate.leaf.fingerprintSHA256);
    const answer = await account.ssl(
      'UploadCertificate',
      {
        CertificatePublicKey: certificate.chainPem,
        CertificatePrivateKey: certificate.keyPem,
        CertificateType: 'SVR',
        Alias: alias,
        Repeatable: false,
      },
      { signal: req.signal, secrets: [certificate.keyPem] },
    );
    // With Repeatable=false an identical certificate is not stored twice: its id comes back in RepeatCertId.
    const id = answer.RepeatCertId || answer.CertificateId;
    if (!id) {
      throw providerError('InvalidResponse', 'UploadCertificate: the answer has neither CertificateId nor RepeatCertId', (t) => t, answer.RequestId);
    }
    logger.info({ binding: `${binding.namespace}/${binding.name}`, alias, certificateId: id, existing: !!answer.RepeatCertId }, 'uploaded certificate');
    // What is behind the id is what we just uploaded (an identical copy for RepeatCertId): verifying
    // the bind needs no DescribeCertificateDetail for it.
    account.served.set(id, { fingerprintSHA256: certificate.leaf.fingerprintSHA256, notAfter: certificate.leaf.notAfter });
    return id;
  }

  /** The zone's acceleration domains among `hosts`, by lowercase name. */
  async #describeHosts(hosts: readonly string[], signal: AbortSignal | undefined): Promise<Map<string, AccelerationDomain>> {
    const { account, zoneId } = this.#deps;
    const wanted = [...new Set(hosts.map((h) => h.toLowerCase()))];
    const found = new Map<string, AccelerationDomain>();
    for (const values of chunks(wanted, FILTER_VALUES_MAX)) {
      const names = new Set(values);
      for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
        const answer = await account.teo(
          'DescribeAccelerationDomains',
          { ZoneId: zoneId, Offset: offset, Limit: PAGE_LIMIT, Filters: [{ Name: 'domain-name', Values: values, Fuzzy: false }] },
          { signal },
        );
        const domains = answer.AccelerationDomains ?? [];
        for (const domain of domains) {
          const name = domain.DomainName?.toLowerCase();
          if (name && names.has(name)) found.set(name, domain);
        }
        offset += domains.length;
        if (domains.length === 0 || offset >= (answer.TotalCount ?? 0)) break;
      }
    }
    return found;
  }

  async #servedCertificate(certificateId: string, signal: AbortSignal | undefined): Promise<ServedCertificate> {
    const { account } = this.#deps;
    const cached = account.served.get(certificateId);
    if (cached) return cached;
    const answer = await account.ssl('DescribeCertificateDetail', { CertificateId: certificateId }, { signal });
    const served = answer.CertificatePublicKey ? servedCertificate(answer.CertificatePublicKey) : undefined;
    if (!served) {
      throw providerError(
        'UnreadableCertificate',
        `DescribeCertificateDetail: certificate ${certificateId} has no X.509 certificate we can read`,
        (t) => t,
        answer.RequestId,
      );
    }
    account.served.set(certificateId, served);
    return served;
  }

  #observation(target: string, domain: AccelerationDomain | undefined, served: Map<string, ServedCertificate | ProviderError>): Observation {
    const { zoneId } = this.#deps;
    if (!domain) {
      const error = providerError(
        'ResourceUnavailable.HostNotFound',
        `DescribeAccelerationDomains: ${target} is not an acceleration domain of ${zoneId}`,
        (t) => t,
      );
      return { target, state: 'error', error };
    }
    const mode = domain.Certificate?.Mode ?? 'disable';
    const certificateId = boundCertificateId(domain);
    if (mode === 'disable' || !certificateId) return { target, state: 'disabled' };
    if (mode !== 'sslcert') {
      // An EdgeOne free certificate (eofreecert*) lives outside SSL Certificates,
      // so its fingerprint is unknown; an empty one never equals the Secret's,
      // which makes the controller replace it.
      return { target, state: 'serving', fingerprintSHA256: '', certificateId };
    }
    const cert = served.get(certificateId);
    if (cert instanceof ProviderError) return { target, state: 'error', error: cert };
    if (!cert) return { target, state: 'error', error: providerError('InvalidResponse', `no certificate ${certificateId}`, (t) => t) };
    return { target, state: 'serving', fingerprintSHA256: cert.fingerprintSHA256, certificateId, notAfter: cert.notAfter };
  }

  #asError(err: unknown, action: string, secrets: readonly string[] = []): ProviderError {
    return classify(err, { action, scrub: (text) => this.#deps.account.scrubber(secrets).scrub(text) });
  }
}

/**
 * The id of the certificate a host serves. A host can hold two (RSA and
 * ECDSA); this operator binds one, so the first stands for the host.
 */
function boundCertificateId(domain: AccelerationDomain): string | undefined {
  return domain.Certificate?.List?.find((c) => !!c.CertId)?.CertId || undefined;
}
