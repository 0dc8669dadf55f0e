// The Alibaba Cloud CDN driver: reads credentials Secrets, and connects a
// binding's `spec.alibaba` to a Provider backed by the shared per-account
// SDK clients and rate limiters.
//
// RAM actions used (resource acs:cdn:*:<accountId>:domain/<DomainName>):
//   cdn:SetCdnDomainSSLCertificate      deploy, disable
//   cdn:DescribeDomainCertificateInfo   observe
//   cdn:DescribeCdnSSLCertificateList   only to resolve Certificate.Duplicated
import type { DriverContext } from '../module.ts';
import type { Credentials, Provider, ProviderDriver, ProviderScope } from '../provider.ts';
import { LimiterRegistry, realClock, type Clock } from '../ratelimit.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.ts';
import { AccountPool } from './accounts.ts';
import { Action } from './api.ts';
import { parseEndpoint } from './client.ts';
import { ALIBABA_CREDENTIALS, type ALIBABA_SETTINGS, type AlibabaSpec } from './index.ts';
import { AlibabaProvider } from './provider.ts';

export { certName, defaultPrefix, MAX_CERT_NAME_LENGTH } from './certname.ts';
export { ERROR_RULES, classify, isRetryableCode } from './errors.ts';
export { toApiDomain } from './domain.ts';

export interface AlibabaDriverOptions {
  /**
   * SetCdnDomainSSLCertificate calls per second per account. Alibaba Cloud
   * documents 30; the default of 27 leaves 10% for arrival jitter and for
   * other clients of the same account, such as the console.
   */
  setCertificatePerSecond?: number;
  /** DescribeDomainCertificateInfo calls per second per account. Alibaba Cloud documents 100; the default of 90 keeps the same 10% margin. */
  describePerSecond?: number;
  /** Calls per second per account for any other action (DescribeCdnSSLCertificateList). */
  otherPerSecond?: number;
  /** In-call retries of retryable errors, before the controller's queue takes over. */
  retry?: RetryPolicy;
  clock?: Clock;
}

export const DEFAULT_SET_CERTIFICATE_PER_SECOND = 27;
export const DEFAULT_DESCRIBE_PER_SECOND = 90;
export const DEFAULT_OTHER_PER_SECOND = 10;

export type AlibabaContext = DriverContext<typeof ALIBABA_SETTINGS>;

export function alibabaDriver(context: AlibabaContext, options: AlibabaDriverOptions = {}): ProviderDriver<AlibabaSpec> {
  const clock = options.clock ?? realClock;
  const limiters = new LimiterRegistry(
    {
      [Action.SetCertificate]: options.setCertificatePerSecond ?? DEFAULT_SET_CERTIFICATE_PER_SECOND,
      [Action.DescribeDomainCertificate]: options.describePerSecond ?? DEFAULT_DESCRIBE_PER_SECOND,
    },
    options.otherPerSecond ?? DEFAULT_OTHER_PER_SECOND,
    clock,
  );
  const logger = context.logger.child({ provider: 'alibaba' });
  const pool = new AccountPool(parseEndpoint(context.settings.endpoint), {
    limiters,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: context.requestTimeoutMs,
    recordCall: context.recordCall,
    assertMayWrite: context.assertMayWrite,
    logger,
    clock,
  });
  const ambient = context.settings.rrsa;

  return {
    name: 'alibaba',
    ambientCredentials: ambient,
    connect(scope: ProviderScope<AlibabaSpec>, credentials: Credentials | undefined): Provider {
      if (credentials === undefined) {
        if (!ambient) throw new Error('alibaba: no credentials given and ambient credentials are not enabled');
        return new AlibabaProvider(pool.forAmbient(), scope, logger);
      }
      const missing = ALIBABA_CREDENTIALS.required.filter((key) => !credentials[key]);
      if (missing.length > 0) throw new Error(`alibaba: credentials lack ${missing.join(', ')}`);
      const api = pool.forStatic({
        accessKeyId: credentials['accessKeyId'] ?? '',
        accessKeySecret: credentials['accessKeySecret'] ?? '',
        securityToken: credentials['securityToken'] || undefined,
      });
      return new AlibabaProvider(api, scope, logger);
    },
  };
}
