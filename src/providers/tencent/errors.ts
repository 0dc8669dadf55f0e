// Every way a Tencent Cloud call can fail, mapped to the one question the
// controller asks: retry with backoff (Syncing), or stop and tell a human
// (ProviderRejected)?
//
// ERROR_TABLE is the single place that decides. Rules are tried in order and
// the first match wins, so an exact code is listed before the wildcard of its
// family (`InternalError.ConfigLocked` before `InternalError*`). A code no rule
// matches is terminal: an error we have never seen is more likely a
// misconfiguration than a blip, and ProviderRejected shows it to a human with
// its code, message and RequestId instead of retrying it in silence.
//
// The Node SDK throws one class, TencentCloudSDKHttpException, for three
// different things, told apart by their fields (see tencentcloud-sdk-nodejs
// common/abstract_client.js):
// - an API error answered in a 200 `{"Response": {"Error": {...}}}`: `code`
//   and `requestId` are set, `message` is the vendor's message;
// - an HTTP status other than 200: `httpCode` is set, `message` is the status
//   text, there is no code;
// - a transport failure (timeout, reset, refused, DNS): node-fetch's error
//   is re-thrown with only its message kept (`network timeout at: <url>`,
//   `request to <url> failed, reason: socket hang up`), so the transport code
//   is recovered from that text.
// The class itself is not exported by the SDK's entry point, so it is
// recognised by shape.
import { ProviderError } from '../provider.ts';

/** `CODE` matches exactly; `PREFIX*` matches every code that starts with PREFIX. */
export interface ErrorRule {
  code: string;
  /**
   * `true`: retry. `false`: terminal. `'afterUpload'`: retryable only when
   * the call used a certificate uploaded moments earlier in the same deploy
   * (SSL Certificates and EdgeOne are separate services; a fresh upload can
   * take a moment to become visible to EdgeOne), terminal otherwise.
   */
  retryable: boolean | 'afterUpload';
  /** The vendor's limits are per second; waiting less than that only hits the same window again. */
  retryAfterMs?: number;
  /** Why; the tests print it next to each row. */
  why: string;
}

const ONE_SECOND = 1_000;

export const ERROR_TABLE: readonly ErrorRule[] = [
  // --- Throttling and "busy": the call itself was fine, the timing was not.
  { code: 'InvalidParameter.ActionInProgress', retryable: true, retryAfterMs: ONE_SECOND, why: 'a previous change to the host is still being applied' },
  { code: 'LimitExceeded.RateLimitExceeded', retryable: true, retryAfterMs: ONE_SECOND, why: 'per-second API rate limit' },
  { code: 'RequestLimitExceeded*', retryable: true, retryAfterMs: ONE_SECOND, why: 'common per-second frequency limit (account, IP or region)' },
  { code: 'ResourceInUse', retryable: true, why: 'the resource is occupied by another operation' },
  { code: 'ServiceUnavailable', retryable: true, why: 'the service is temporarily unavailable' },
  { code: 'ResourceInsufficient', retryable: true, why: 'temporary backend capacity shortage' },
  {
    code: 'InvalidParameter.ZoneIsGrayPublishing',
    retryable: true,
    why: 'the site is being upgraded ("try again later"); the work queue backs off until it is done',
  },
  {
    code: 'OperationDenied.DisableZoneNotCompleted',
    retryable: true,
    why: 'the site is in the middle of being disabled; the next attempt gets a definite answer (ErrZoneIsAlreadyPaused)',
  },

  // --- Locks a human set: retrying cannot lift them, so they are terminal even inside InternalError*.
  { code: 'InternalError.ConfigLocked', retryable: false, why: 'the site configuration is locked in the console; someone must unlock it' },
  { code: 'OperationDenied.ConfigLocked', retryable: false, why: 'the site configuration is locked in the console; someone must unlock it' },

  // --- Server-side faults.
  { code: 'InternalError*', retryable: true, why: 'server-side fault (SystemError, ProxyServer, RouteError, GetRoleError, UnknowError, ...)' },
  { code: 'FailedOperation.ModifyFailed', retryable: true, why: 'the backend failed to apply the change; nothing about the request is wrong' },
  { code: 'FailedOperation.NetworkError', retryable: true, why: 'SSL Certificates: the CA system is busy' },
  { code: 'FailedOperation.SystemError', retryable: true, why: 'SSL Certificates: a system error' },

  // --- Eventual consistency between SSL Certificates and EdgeOne.
  { code: 'ResourceUnavailable.CertNotFound', retryable: 'afterUpload', why: 'a certificate uploaded moments ago may not be visible to EdgeOne yet' },
  { code: 'FailedOperation.CertificateNotFound', retryable: 'afterUpload', why: 'as ResourceUnavailable.CertNotFound' },

  // --- The certificate or the hosts are wrong: the Secret or the spec must change.
  { code: 'InvalidParameter.CertNotMatchDomain', retryable: false, why: 'the certificate does not cover the host' },
  { code: 'InvalidParameter.CertToExpire', retryable: false, why: 'the certificate is about to expire' },
  { code: 'InvalidParameter.CertTooShortKeySize', retryable: false, why: 'the key is too short' },
  { code: 'InvalidParameter.InvalidCertInfo', retryable: false, why: 'the certificate information is wrong' },
  { code: 'InvalidParameter.InvalidHttpsCertInfo', retryable: false, why: 'the HTTPS certificate is invalid' },
  { code: 'InvalidParameter.InvalidHttpsTlsVersion', retryable: false, why: 'the host\'s TLS version setting is invalid' },
  { code: 'InvalidParameter.CnameWildHostNotAllowApplyCertificate', retryable: false, why: 'wildcard host in CNAME mode' },
  { code: 'InvalidParameter.HostStatusNotAllowApplyCertificate', retryable: false, why: 'the host\'s CNAME is not switched to EdgeOne' },
  { code: 'FailedOperation.CertificateHasExpired', retryable: false, why: 'the certificate has expired' },
  { code: 'ResourceUnavailable.HostNotFound', retryable: false, why: 'the host does not exist in the zone or is not proxied' },
  { code: 'InvalidParameterValue.ZoneNotFound', retryable: false, why: 'the zone does not exist in this account' },
  { code: 'FailedOperation.InvalidZoneStatus', retryable: false, why: 'the site is in a state that allows no change' },
  { code: 'OperationDenied.ErrZoneIsAlreadyPaused', retryable: false, why: 'EdgeOne is disabled for the site' },
  { code: 'OperationDenied.VersionControlIsGraying', retryable: false, why: 'a test version must be released or rolled back first' },
  { code: 'OperationDenied*', retryable: false, why: 'operation denied' },
  { code: 'FailedOperation', retryable: false, why: 'an unspecified failure: its message says why, and retrying blind would hide it' },
  { code: 'FailedOperation.CertificateParseError', retryable: false, why: 'SSL Certificates could not parse the certificate or key' },
  { code: 'FailedOperation.CertificateMismatch', retryable: false, why: 'the key does not match the certificate' },
  { code: 'FailedOperation.CertificateMatchError', retryable: false, why: 'the key does not match the certificate' },
  { code: 'FailedOperation.CertificateInvalid', retryable: false, why: 'SSL Certificates rejected the certificate' },
  { code: 'FailedOperation.DeleteResourceFailed', retryable: false, why: 'the certificate is still bound to a cloud resource' },
  { code: 'FailedOperation.RoleNotFoundAuthorization', retryable: false, why: 'the SSL service role SSL_QCSLinkedRoleInReplaceLoadCertificate is not authorized' },

  // --- Credentials and permissions: the credentials Secret or the CAM policy must change.
  { code: 'AuthFailure*', retryable: false, why: 'bad credentials, signature, token or clock (SignatureFailure, SecretIdNotFound, SignatureExpire, ...)' },
  { code: 'UnauthorizedOperation*', retryable: false, why: 'the CAM policy does not allow the action' },
  { code: 'FailedOperation.AuthError', retryable: false, why: 'SSL Certificates: no permission' },
  { code: 'FailedOperation.CAMAuthorizedFail', retryable: false, why: 'SSL Certificates: CAM authorization failed' },

  // --- Transport: the request may never have arrived; all of it is safe to repeat.
  { code: 'ETIMEDOUT', retryable: true, why: 'no answer within the request timeout' },
  { code: 'ECONNRESET', retryable: true, why: 'the connection was reset or closed before an answer' },
  { code: 'ECONNREFUSED', retryable: true, why: 'nothing accepted the connection' },
  { code: 'EPIPE', retryable: true, why: 'the connection broke while sending' },
  { code: 'ENOTFOUND', retryable: true, why: 'DNS did not resolve the endpoint (often transient in clusters)' },
  { code: 'EAI_AGAIN', retryable: true, why: 'temporary DNS failure' },
  { code: 'TransportError', retryable: true, why: 'another network failure reported by the HTTP client' },
  { code: 'InvalidResponse', retryable: true, why: 'a 200 answer that was not the documented JSON (a proxy or gateway page)' },
  { code: 'Aborted', retryable: true, why: 'the operator cancelled the call (shutdown); nothing was decided' },
  { code: 'HTTP5*', retryable: true, why: 'gateway or server failure' },
  { code: 'HTTP408', retryable: true, why: 'request timeout at a gateway' },
  { code: 'HTTP429', retryable: true, retryAfterMs: ONE_SECOND, why: 'throttled at a gateway' },
  { code: 'HTTP*', retryable: false, why: 'any other status (403 from a proxy, 404 from a wrong endpoint) needs a configuration fix' },

  // --- Problems we detect ourselves.
  { code: 'UnreadableCertificate', retryable: false, why: 'a bound certificate id whose public certificate does not parse (such as an SM2 certificate)' },
  { code: 'CredentialsInvalid', retryable: false, why: 'the credentials Secret lacks secretId or secretKey' },

  // --- Our own deletion-task outcomes (DescribeDeleteCertificatesTaskResult Status; see DELETE_TASK_STATUS).
  { code: 'DeleteTask.Pending', retryable: true, why: 'the asynchronous deletion had not finished when we stopped waiting' },
  { code: 'DeleteTask.Timeout', retryable: true, why: 'SSL Certificates timed out checking the bound resources' },
  { code: 'DeleteTask.BoundResources', retryable: false, why: 'the certificate is still bound to a cloud resource' },
  { code: 'DeleteTask.RoleNotAuthorized', retryable: false, why: 'the SSL service role is not authorized' },
  { code: 'DeleteTask.Failed', retryable: false, why: 'SSL Certificates refused the deletion' },
];

/** The first rule matching `code`, if any. */
export function ruleFor(code: string): ErrorRule | undefined {
  return ERROR_TABLE.find((rule) => (rule.code.endsWith('*') ? code.startsWith(rule.code.slice(0, -1)) : code === rule.code));
}

export function isRetryableCode(code: string, afterUpload = false): boolean {
  const retryable = ruleFor(code)?.retryable ?? false;
  return retryable === 'afterUpload' ? afterUpload : retryable;
}

/**
 * DescribeDeleteCertificatesTaskResult `Status` values (0 = still running,
 * 1 = deleted) mapped to the codes above.
 */
export const DELETE_TASK_STATUS: Readonly<Record<number, { code: string; message: string }>> = {
  2: { code: 'DeleteTask.Failed', message: 'the deletion task failed' },
  3: {
    code: 'DeleteTask.RoleNotAuthorized',
    message: 'the deletion task failed: the service role SSL_QCSLinkedRoleInReplaceLoadCertificate is not authorized',
  },
  4: { code: 'DeleteTask.BoundResources', message: 'the certificate is still bound to cloud resources' },
  5: { code: 'DeleteTask.Timeout', message: 'the deletion task timed out checking bound cloud resources' },
};

export interface ClassifyContext {
  /** The API action, named in the message. */
  action: string;
  /** The call used a certificate this deploy uploaded (see ErrorRule.retryable). */
  afterUpload?: boolean;
  /** Removes key material and credentials; applied to every vendor text. */
  scrub: (text: string) => string;
}

const MAX_MESSAGE = 500;

/** Any thrown value from a Tencent call, as a ProviderError with a scrubbed message. */
export function classify(err: unknown, ctx: ClassifyContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const { code, message, requestId, httpStatus } = describe(err);
  const rule = ruleFor(code);
  return new ProviderError({
    provider: 'tencent',
    code,
    message: ctx.scrub(`${ctx.action}: ${message}`).slice(0, MAX_MESSAGE),
    retryable: isRetryableCode(code, ctx.afterUpload ?? false),
    requestId: requestId || undefined,
    retryAfterMs: rule?.retryAfterMs,
    httpStatus,
  });
}

/** A ProviderError for a problem we detect ourselves (an answer without the field we need). */
export function providerError(code: string, message: string, scrub: (text: string) => string, requestId?: string): ProviderError {
  return new ProviderError({
    provider: 'tencent',
    code,
    message: scrub(message).slice(0, MAX_MESSAGE),
    retryable: isRetryableCode(code),
    requestId,
    retryAfterMs: ruleFor(code)?.retryAfterMs,
  });
}

interface Described {
  code: string;
  message: string;
  requestId?: string | undefined;
  httpStatus?: number | undefined;
}

/** The SDK exception's shape: `requestId` and `traceId` always, `code` or `httpCode` when known. */
interface SdkException extends Error {
  requestId: string;
  traceId: string;
  code?: unknown;
  httpCode?: unknown;
}

function isSdkException(err: unknown): err is SdkException {
  return err instanceof Error && typeof (err as Partial<SdkException>).requestId === 'string' && 'traceId' in err;
}

function describe(err: unknown): Described {
  if (isSdkException(err)) {
    if (typeof err.code === 'string' && err.code !== '') {
      return { code: err.code, message: err.message, requestId: err.requestId };
    }
    if (typeof err.httpCode === 'number') {
      return { code: `HTTP${err.httpCode}`, message: `HTTP ${err.httpCode} ${err.message}`.trim(), httpStatus: err.httpCode };
    }
    return { code: transportCode(err.message), message: err.message };
  }
  if (err instanceof Error) {
    // Thrown outside the SDK's try blocks: node-fetch failing to parse the
    // body as JSON, or a 200 body without `Response` (TypeError).
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && ruleFor(code)?.code === code) return { code, message: err.message };
    if (err.name === 'AbortError') return { code: 'Aborted', message: err.message };
    if (err.name === 'FetchError' && /invalid json/i.test(err.message)) return { code: 'InvalidResponse', message: 'the answer was not JSON' };
    if (err instanceof TypeError) return { code: 'InvalidResponse', message: 'the answer did not have the documented shape' };
    return { code: transportCode(err.message), message: err.message };
  }
  return { code: 'TransportError', message: String(err) };
}

/** The transport code in a node-fetch message, as the SDK passes it on. */
export function transportCode(message: string): string {
  if (/aborted/i.test(message)) return 'Aborted';
  if (/network timeout|ETIMEDOUT|timed? ?out/i.test(message)) return 'ETIMEDOUT';
  if (/ECONNRESET|socket hang up|other side closed|premature close/i.test(message)) return 'ECONNRESET';
  for (const code of ['ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']) if (message.includes(code)) return code;
  return 'TransportError';
}
