// One Tencent Cloud account as the provider sees it: an EdgeOne client and
// an SSL Certificates client signed with the same credentials, and the one
// way to call either of them.
//
// Every call goes through `#call`, which is where the cross-cutting rules
// live, in this order for each attempt:
//   1. wait for the account's rate limiter for the action (shared by every
//      binding using these credentials);
//   2. send through the SDK, with the operator's request timeout and no SDK-level retries
//      (the Node SDK has none; withRetry is the only retry loop);
//   3. record the call (action, code, seconds) for metrics;
//   4. turn any failure into a scrubbed ProviderError (./errors.ts) and log
//      only that;
// and withRetry repeats retryable failures a few times before the caller
// turns the last one into a failed Outcome for the work queue to back off.
import type { Logger } from 'pino';
import { CommonClient, type AbstractClient, type ClientConfig } from 'tencentcloud-sdk-nodejs-common';
import { teo } from 'tencentcloud-sdk-nodejs-teo';
import type { DriverContext } from '../module.ts';
import type { LimiterRegistry } from '../ratelimit.ts';
import { withRetry, type RetryPolicy } from '../retry.ts';
import { Scrubber } from '../scrub.ts';
import { SSL_VERSION, type SslAction, type SslActions, type TeoAction, type TeoActions } from './api.ts';
import { classify } from './errors.ts';
import { ServedCertificateCache } from './served.ts';
import type { Agents, Endpoint } from './transport.ts';

/** Actions that change something at the CDN: guarded by context.assertMayWrite. */
const WRITE_ACTIONS: ReadonlySet<string> = new Set(['UploadCertificate', 'ModifyHostsCertificate', 'DeleteCertificate']);

export interface TencentCredentials {
  secretId: string;
  secretKey: string;
  /** Set for temporary (STS) credentials. */
  token?: string | undefined;
}

export interface AccountDeps {
  context: Pick<DriverContext, 'requestTimeoutMs' | 'recordCall' | 'assertMayWrite'>;
  logger: Logger;
  limiters: LimiterRegistry;
  retry: RetryPolicy;
  teoEndpoint: Endpoint;
  sslEndpoint: Endpoint;
  agents: Agents;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** The call uses a certificate this deploy just uploaded (see ErrorRule.retryable). */
  afterUpload?: boolean;
  /** Secrets among this call's parameters (the private key), scrubbed from anything the call produces. */
  secrets?: ReadonlyArray<string | undefined>;
}

type Requester = Pick<AbstractClient, 'request'>;

export class TencentAccount {
  readonly secretId: string;
  /** Certificate id -> served leaf; shared by every binding of the account. */
  readonly served = new ServedCertificateCache();
  readonly #credentialSecrets: ReadonlyArray<string | undefined>;
  readonly #scrubber: Scrubber;
  readonly #teo: Requester;
  readonly #ssl: Requester;
  readonly #deps: AccountDeps;

  constructor(credentials: TencentCredentials, deps: AccountDeps) {
    this.secretId = credentials.secretId;
    this.#credentialSecrets = [credentials.secretKey, credentials.token];
    this.#scrubber = new Scrubber(this.#credentialSecrets);
    this.#deps = deps;
    this.#teo = new teo.v20220901.Client(clientConfig(credentials, deps.teoEndpoint, deps));
    this.#ssl = new CommonClient(deps.sslEndpoint.host, SSL_VERSION, clientConfig(credentials, deps.sslEndpoint, deps));
  }

  teo<A extends TeoAction>(action: A, request: TeoActions[A]['request'], opts: CallOptions = {}): Promise<TeoActions[A]['response']> {
    return this.#call(this.#teo, action, request, opts) as Promise<TeoActions[A]['response']>;
  }

  ssl<A extends SslAction>(action: A, request: SslActions[A]['request'], opts: CallOptions = {}): Promise<SslActions[A]['response']> {
    return this.#call(this.#ssl, action, request, opts) as Promise<SslActions[A]['response']>;
  }

  /** Removes the account's credentials, and `extra` secrets, from text. */
  scrubber(extra: ReadonlyArray<string | undefined> = []): Scrubber {
    return extra.length === 0 ? this.#scrubber : new Scrubber([...this.#credentialSecrets, ...extra]);
  }

  async #call(client: Requester, action: string, request: object, opts: CallOptions): Promise<unknown> {
    const { context, logger, limiters, retry } = this.#deps;
    const scrubber = this.scrubber(opts.secrets);
    const scrub = (text: string) => scrubber.scrub(text);
    const limiter = limiters.for(this.secretId, action);
    return withRetry(
      async (attempt) => {
        await limiter.acquire(opts.signal);
        if (WRITE_ACTIONS.has(action)) context.assertMayWrite?.('tencent');
        const started = performance.now();
        try {
          const response: unknown = await client.request(action, request, { signal: opts.signal });
          context.recordCall({ provider: 'tencent', action, code: 'OK', seconds: (performance.now() - started) / 1000 });
          return response;
        } catch (err) {
          const error = classify(err, { action, afterUpload: opts.afterUpload ?? false, scrub });
          context.recordCall({ provider: 'tencent', action, code: error.code, seconds: (performance.now() - started) / 1000 });
          const fields = { action, code: error.code, requestId: error.requestId, retryable: error.retryable, attempt };
          if (error.retryable) logger.info(fields, error.message);
          else logger.warn(fields, error.message);
          throw error;
        }
      },
      retry,
      opts.signal,
    );
  }
}

function clientConfig(credentials: TencentCredentials, endpoint: Endpoint, deps: AccountDeps): ClientConfig {
  const agent = deps.agents.for(endpoint);
  return {
    credential: { secretId: credentials.secretId, secretKey: credentials.secretKey, token: credentials.token },
    // Both APIs are global; an empty region leaves X-TC-Region out of the request.
    region: '',
    profile: {
      signMethod: 'TC3-HMAC-SHA256',
      // English messages: they end up in status conditions and Events.
      language: 'en-US',
      httpProfile: {
        endpoint: endpoint.host,
        protocol: endpoint.protocol,
        reqMethod: 'POST',
        // The SDK takes seconds and multiplies by 1000 for node-fetch's `timeout` (ms);
        // fractions are fine. Its default, 60 s, would stall a worker for a minute.
        reqTimeout: deps.context.requestTimeoutMs / 1000,
        ...(agent ? { agent } : {}),
      },
    },
  };
}
