// Building the Alibaba Cloud CDN SDK client (@alicloud/cdn20180510 v5).
//
// The SDK sends every action as an RPC-style POST to `/` with all parameters
// in the URL query string, signed with ACS3-HMAC-SHA256. It has its own retry
// loop and 3 s default timeouts; both are replaced here: timeouts come from
// the operator's settings and retrying is ours (./api.ts), so that retries go
// through the rate limiter and are counted.
import Cdn from '@alicloud/cdn20180510';
import CredentialModule from '@alicloud/credentials';
import * as OpenApi from '@alicloud/openapi-core';
import { RetryOptions, RuntimeOptions } from '@darabonba/typescript';
import { CredentialsUnavailableError } from './errors.ts';

/**
 * The class a CommonJS package exports as `exports.default`. Node's ESM
 * loader hands us `module.exports` (so the class is at `.default`), while
 * loaders with interop (vitest) hand us the class itself.
 */
function commonJsDefault<T>(imported: unknown): T {
  return (typeof imported === 'function' ? imported : (imported as { default: unknown }).default) as T;
}

const CdnClientClass = commonJsDefault<typeof Cdn.default>(Cdn);
const Credential = commonJsDefault<typeof CredentialModule.default>(CredentialModule);

export type CdnClient = InstanceType<typeof Cdn.default>;
type CredentialModel = Awaited<ReturnType<InstanceType<typeof Credential>['getCredential']>>;

export const DEFAULT_ENDPOINT = 'https://cdn.aliyuncs.com';

export interface CdnEndpoint {
  /** host[:port], as the SDK's `endpoint`. */
  host: string;
  protocol: 'https' | 'http';
}

/** `https://cdn.aliyuncs.com` by default; an override such as `http://127.0.0.1:18080` sets host and protocol. */
export function parseEndpoint(url: string | undefined): CdnEndpoint {
  const parsed = new URL(url && url.trim() !== '' ? url : DEFAULT_ENDPOINT);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`alibabaCdnEndpoint must be an http(s) URL, got protocol ${parsed.protocol}`);
  }
  if (parsed.pathname !== '/' || parsed.search !== '') {
    throw new TypeError('alibabaCdnEndpoint must be a bare origin such as https://cdn.aliyuncs.com');
  }
  return { host: parsed.host, protocol: parsed.protocol === 'https:' ? 'https' : 'http' };
}

export interface StaticCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
}

/**
 * The pod's ambient identity through @alicloud/credentials' default chain:
 * environment keys, then RRSA (ALIBABA_CLOUD_ROLE_ARN,
 * ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE exchanged
 * for STS tokens, refreshed before they expire), then profiles and the ECS
 * metadata service. It remembers the secrets it handed out so that error
 * messages can be scrubbed of them, and marks its own failures so they are
 * not mistaken for API errors.
 */
export class AmbientCredential extends Credential {
  #secrets: string[] = [];

  override async getCredential(): Promise<CredentialModel> {
    let model: CredentialModel;
    try {
      model = await super.getCredential();
    } catch (err) {
      throw new CredentialsUnavailableError(err instanceof Error ? err.message : String(err));
    }
    this.#secrets = [model.accessKeySecret, model.securityToken, model.bearerToken].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    );
    return model;
  }

  /** The secret parts of the credentials most recently handed to the SDK. */
  secrets(): readonly string[] {
    return this.#secrets;
  }
}

export interface ClientInit {
  endpoint: CdnEndpoint;
  credentials: StaticCredentials | AmbientCredential;
  timeoutMs: number;
}

export function createCdnClient(init: ClientInit): CdnClient {
  const auth =
    init.credentials instanceof AmbientCredential
      ? { credential: init.credentials }
      : {
          accessKeyId: init.credentials.accessKeyId,
          accessKeySecret: init.credentials.accessKeySecret,
          securityToken: init.credentials.securityToken,
        };
  const config = new OpenApi.$OpenApiUtil.Config({
    ...auth,
    endpoint: init.endpoint.host,
    protocol: init.endpoint.protocol,
    connectTimeout: init.timeoutMs,
    readTimeout: init.timeoutMs,
    signatureAlgorithm: 'ACS3-HMAC-SHA256',
    userAgent: 'cdn-cert-sync',
    // The SDK's own retry loop stays off: a retry must wait for the rate limiter.
    retryOptions: new RetryOptions({ retryable: false }),
  });
  return new CdnClientClass(config);
}

/** Per-call options: our timeouts, and the SDK's retry switched off under both of its names. */
export function runtimeOptions(timeoutMs: number): RuntimeOptions {
  return new RuntimeOptions({
    autoretry: false,
    maxAttempts: 0,
    connectTimeout: timeoutMs,
    readTimeout: timeoutMs,
  });
}
