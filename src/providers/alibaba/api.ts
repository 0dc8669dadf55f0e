// The CDN actions the provider uses, each call made the same way: wait for
// the account's rate limiter, call the SDK, record the call (action and code),
// classify a failure into a scrubbed ProviderError, and retry the retryable
// ones a few times with backoff before giving up to the controller's queue.
import * as $Cdn from '@alicloud/cdn20180510';
import type { Logger } from 'pino';
import type { CallRecorder } from '../calls.ts';
import { realClock, type Clock, type LimiterRegistry } from '../ratelimit.ts';
import { withRetry, type RetryPolicy } from '../retry.ts';
import { Scrubber } from '../scrub.ts';
import { runtimeOptions, type CdnClient } from './client.ts';
import { classify } from './errors.ts';

export const Action = {
  SetCertificate: 'SetCdnDomainSSLCertificate',
  DescribeDomainCertificate: 'DescribeDomainCertificateInfo',
  ListCertificates: 'DescribeCdnSSLCertificateList',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export type CertInfo = $Cdn.DescribeDomainCertificateInfoResponseBodyCertInfosCertInfo;
export type CertListEntry = $Cdn.DescribeCdnSSLCertificateListResponseBodyCertificateListModelCertListCert;

export interface CdnApiInit {
  client: CdnClient;
  /** The rate-limiting key: the account the credentials belong to. */
  account: string;
  limiters: LimiterRegistry;
  retry: RetryPolicy;
  timeoutMs: number;
  recordCall: CallRecorder;
  logger: Logger;
  /** See ProviderSettings.assertMayWrite. */
  assertMayWrite?: ((provider: 'alibaba') => void) | undefined;
  /** The credentials' secret parts, to scrub from every message. */
  credentialSecrets: () => readonly string[];
  clock?: Clock;
}

export interface UploadedCertificate {
  name: string;
  chainPem: string;
  keyPem: string;
}

export class CdnApi {
  readonly #init: CdnApiInit;
  readonly #clock: Clock;

  constructor(init: CdnApiInit) {
    this.#init = init;
    this.#clock = init.clock ?? realClock;
  }

  /** Uploads a certificate and its key under `name` and turns HTTPS on with it. */
  setCertificate(domain: string, cert: UploadedCertificate, signal?: AbortSignal): Promise<void> {
    const request = new $Cdn.SetCdnDomainSSLCertificateRequest({
      domainName: domain,
      certName: cert.name,
      certType: 'upload',
      SSLProtocol: 'on',
      SSLPub: cert.chainPem,
      SSLPri: cert.keyPem,
    });
    return this.#call(Action.SetCertificate, domain, [cert.keyPem], signal, async (runtime) => {
      await this.#init.client.setCdnDomainSSLCertificateWithOptions(request, runtime);
    });
  }

  /** Turns HTTPS on with a certificate already in the account's certificate store, by id. */
  setCertificateById(domain: string, cert: { name: string; id: number; region?: string | undefined }, signal?: AbortSignal): Promise<void> {
    const request = new $Cdn.SetCdnDomainSSLCertificateRequest({
      domainName: domain,
      certName: cert.name,
      certType: 'cas',
      certId: cert.id,
      certRegion: cert.region,
      SSLProtocol: 'on',
    });
    return this.#call(Action.SetCertificate, domain, [], signal, async (runtime) => {
      await this.#init.client.setCdnDomainSSLCertificateWithOptions(request, runtime);
    });
  }

  /** Turns HTTPS off; no certificate is sent. */
  disableHttps(domain: string, signal?: AbortSignal): Promise<void> {
    const request = new $Cdn.SetCdnDomainSSLCertificateRequest({ domainName: domain, SSLProtocol: 'off' });
    return this.#call(Action.SetCertificate, domain, [], signal, async (runtime) => {
      await this.#init.client.setCdnDomainSSLCertificateWithOptions(request, runtime);
    });
  }

  /** What the domain serves: the `CertInfos.CertInfo` entries (none when HTTPS was never configured). */
  describeDomainCertificate(domain: string, signal?: AbortSignal): Promise<CertInfo[]> {
    const request = new $Cdn.DescribeDomainCertificateInfoRequest({ domainName: domain });
    return this.#call(Action.DescribeDomainCertificate, domain, [], signal, async (runtime) => {
      const res = await this.#init.client.describeDomainCertificateInfoWithOptions(request, runtime);
      return res.body?.certInfos?.certInfo ?? [];
    });
  }

  /** Certificates in the account's store whose name is exactly `name`. */
  findCertificatesByName(name: string, signal?: AbortSignal): Promise<CertListEntry[]> {
    // SearchKeyword is a fuzzy match; the exact name is filtered here.
    const request = new $Cdn.DescribeCdnSSLCertificateListRequest({ searchKeyword: name, pageNumber: 1, pageSize: 100 });
    return this.#call(Action.ListCertificates, undefined, [], signal, async (runtime) => {
      const res = await this.#init.client.describeCdnSSLCertificateListWithOptions(request, runtime);
      return (res.body?.certificateListModel?.certList?.cert ?? []).filter((c) => c.certName === name);
    });
  }

  async #call<T>(
    action: Action,
    domain: string | undefined,
    secrets: readonly string[],
    signal: AbortSignal | undefined,
    send: (runtime: ReturnType<typeof runtimeOptions>) => Promise<T>,
  ): Promise<T> {
    const { limiters, account, retry, recordCall, logger, timeoutMs } = this.#init;
    const limiter = limiters.for(account, action);
    return withRetry(
      async (attempt) => {
        await limiter.acquire(signal);
        if (action === Action.SetCertificate) this.#init.assertMayWrite?.('alibaba');
        const started = this.#clock.now();
        try {
          const result = await send(runtimeOptions(timeoutMs));
          const seconds = (this.#clock.now() - started) / 1000;
          recordCall({ provider: 'alibaba', action, code: 'OK', seconds });
          logger.debug({ action, domain, attempt, ms: Math.round(seconds * 1000) }, 'alibaba call ok');
          return result;
        } catch (err) {
          const seconds = (this.#clock.now() - started) / 1000;
          // Built per call: the key of this deploy and the current credentials.
          const error = classify(err, new Scrubber([...secrets, ...this.#init.credentialSecrets()]));
          recordCall({ provider: 'alibaba', action, code: error.code, seconds });
          logger.debug(
            { action, domain, attempt, ms: Math.round(seconds * 1000), code: error.code, requestId: error.requestId, retryable: error.retryable },
            `alibaba call failed: ${error.message}`,
          );
          throw error;
        }
      },
      retry,
      signal,
      this.#clock,
    );
  }
}
