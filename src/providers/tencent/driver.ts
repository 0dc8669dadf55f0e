// The Tencent Cloud EdgeOne driver: reads a binding's credentials and hands
// out Providers for its zone.
//
// Clients and rate limiters are per account, not per binding: every binding
// that uses the same secretId shares one EdgeOne client, one SSL Certificates
// client, one certificate-detail cache and one set of per-action limiters,
// so together they stay under the account's API limits. A rotated secretKey
// (same secretId) replaces the clients but keeps the limiters, which belong
// to the account.
import { createHash } from 'node:crypto';
import type { DriverContext } from '../module.ts';
import { ProviderError, type Credentials, type Provider, type ProviderDriver, type ProviderScope } from '../provider.ts';
import { LimiterRegistry, realClock, type Clock } from '../ratelimit.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.ts';
import { SSL_HOST, TEO_HOST } from './api.ts';
import { TencentAccount, type AccountDeps, type TencentCredentials } from './clients.ts';
import { DEFAULT_DELETE_TASK_POLLING, type DeleteTaskPolling } from './prune.ts';
import type { TENCENT_SETTINGS, TencentSpec } from './index.ts';
import { TencentProvider } from './provider.ts';
import { Agents, parseEndpoint } from './transport.ts';

export { aliasFor, aliasPrefix, isOwnAlias, ALIAS_MAX_LENGTH } from './alias.ts';
export { ERROR_TABLE, classify, isRetryableCode, ruleFor, type ErrorRule } from './errors.ts';
export type { DeleteTaskPolling } from './prune.ts';

/**
 * Calls per second per account. The documented limits are 20/s for
 * ModifyHostsCertificate and 10/s for UploadCertificate and DeleteCertificate.
 * We aim 10% under them: the limiter spaces requests by when they actually
 * leave (so a stalled event loop cannot release a burst), but the service
 * counts them when they arrive, and network jitter can still bunch a few
 * together; the margin absorbs that without a single refusal.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  ModifyHostsCertificate: 18,
  // EdgeOne documents 20/s for DescribeAccelerationDomains too; observe and verify use it on every round.
  DescribeAccelerationDomains: 18,
  UploadCertificate: 9,
  DeleteCertificate: 9,
};
/** Every other action (the SSL Describe* calls): SSL Certificates documents 10/s, less the same margin. */
export const DEFAULT_RATE_LIMIT = 9;

export interface TencentDriverOptions {
  /** Calls per second per account, by action; merged over DEFAULT_RATE_LIMITS. */
  rateLimits?: Readonly<Record<string, number>>;
  /** Calls per second per account for actions not in rateLimits. */
  defaultRateLimit?: number;
  /** In-call retries of retryable failures. */
  retry?: RetryPolicy;
  /** How long prune waits for asynchronous deletions. */
  deleteTaskPolling?: DeleteTaskPolling;
  /** Time source for rate limiters and polling (tests). */
  clock?: Clock;
}

export type TencentContext = DriverContext<typeof TENCENT_SETTINGS>;

export function tencentDriver(context: TencentContext, options: TencentDriverOptions = {}): ProviderDriver<TencentSpec> {
  const clock = options.clock ?? realClock;
  const logger = context.logger.child({ provider: 'tencent' });
  const deps: AccountDeps = {
    context,
    logger,
    limiters: new LimiterRegistry({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, options.defaultRateLimit ?? DEFAULT_RATE_LIMIT, clock),
    retry: options.retry ?? DEFAULT_RETRY,
    teoEndpoint: parseEndpoint(context.settings.teoEndpoint, TEO_HOST, 'TENCENT_TEO_ENDPOINT'),
    sslEndpoint: parseEndpoint(context.settings.sslEndpoint, SSL_HOST, 'TENCENT_SSL_ENDPOINT'),
    agents: new Agents(context.env),
  };
  const polling = options.deleteTaskPolling ?? DEFAULT_DELETE_TASK_POLLING;
  const accounts = new AccountPool(deps);

  return {
    name: 'tencent',
    ambientCredentials: false,
    connect(scope: ProviderScope<TencentSpec>, credentials: Credentials | undefined): Provider {
      const account = accounts.get(readCredentials(credentials));
      const zoneId = scope.spec.zoneId;
      return new TencentProvider({ account, zoneId, logger: logger.child({ zoneId }), polling, clock });
    },
  };
}

function readCredentials(credentials: Credentials | undefined): TencentCredentials {
  const secretId = credentials?.secretId?.trim();
  const secretKey = credentials?.secretKey?.trim();
  if (!secretId || !secretKey) {
    throw new ProviderError({
      provider: 'tencent',
      code: 'CredentialsInvalid',
      message: 'the credentials Secret must hold secretId and secretKey',
      retryable: false,
    });
  }
  const token = credentials?.token?.trim();
  return { secretId, secretKey, token: token || undefined };
}

/** One TencentAccount per secretId, rebuilt when its secretKey or token changes. */
class AccountPool {
  readonly #deps: AccountDeps;
  readonly #accounts = new Map<string, { version: string; account: TencentAccount }>();

  constructor(deps: AccountDeps) {
    this.#deps = deps;
  }

  get(credentials: TencentCredentials): TencentAccount {
    // A digest, so the map never holds the secret itself as a key.
    const version = createHash('sha256').update(`${credentials.secretKey}\u0000${credentials.token ?? ''}`).digest('hex');
    const current = this.#accounts.get(credentials.secretId);
    if (current?.version === version) return current.account;
    const account = new TencentAccount(credentials, this.#deps);
    this.#accounts.set(credentials.secretId, { version, account });
    return account;
  }
}
