// The one place that decides what an Alibaba Cloud CDN failure means: a
// ProviderError that is retryable (the controller keeps the binding Syncing
// and backs off) or terminal (ProviderRejected until the binding, the Secret
// or the credentials change).
//
// What the SDK (@alicloud/openapi-core over @darabonba/typescript and httpx)
// throws:
// - an HTTP 4xx/5xx with a JSON body: `ClientError` (4xx), `ServerError`
//   (5xx) or `ThrottlingError` (any code containing "Throttling"; carries
//   `retryAfter` in ms from the `x-acs-retry-after` header), with `code`,
//   `statusCode`, `requestId` and the parsed body in `data`;
// - an error response whose body is not JSON (an HTML 502 page from a load
//   balancer): a bare `SyntaxError` from JSON.parse, status code lost;
// - a transport failure: the Node.js error (`code` ECONNRESET, ECONNREFUSED...)
//   or httpx's `RequestTimeoutError` (no code), whose message ends with
//   `POST <full URL with every parameter, the private key included> failed.`
//   That tail is cut here and the rest scrubbed: the URL never leaves.
import * as OpenApi from '@alicloud/openapi-core';
import { ProviderError } from '../provider.ts';
import type { Scrubber } from '../scrub.ts';

export interface ErrorRule {
  code: string;
  /** The HTTP status Alibaba Cloud documents for the code. */
  httpStatus: number;
  retryable: boolean;
  /** Why: the operator's reading of the vendor's description. */
  why: string;
}

/**
 * Every vendor code with a known meaning. Codes not listed here are terminal,
 * except any code starting with `Throttling` and any HTTP 5xx, which are retryable.
 */
export const ERROR_RULES: readonly ErrorRule[] = [
  // SetCdnDomainSSLCertificate's documented errors.
  { code: 'ServiceBusy', httpStatus: 403, retryable: true, why: 'the domain is being configured; it clears by itself' },
  { code: 'InvalidDomain.NotFound', httpStatus: 404, retryable: false, why: 'the domain does not exist in this account' },
  { code: 'IllegalOperation', httpStatus: 403, retryable: false, why: 'the operation is not permitted on this domain' },
  { code: 'InvalidDomain.Offline', httpStatus: 400, retryable: false, why: 'the domain is disabled' },
  { code: 'OperationDenied', httpStatus: 403, retryable: false, why: 'the CDN service of the account is suspended (overdue payment)' },
  { code: 'InvalidSSLProtocol.ValueNotSupported', httpStatus: 400, retryable: false, why: 'invalid SSLProtocol' },
  { code: 'SSLPub.MissingParameter', httpStatus: 400, retryable: false, why: 'no certificate sent' },
  { code: 'SSLPri.MissingParameter', httpStatus: 400, retryable: false, why: 'no private key sent' },
  { code: 'InvalidCertificate', httpStatus: 400, retryable: false, why: 'the certificate is malformed' },
  { code: 'InvalidSSLPri', httpStatus: 400, retryable: false, why: 'the private key is malformed' },
  { code: 'Certificate.MissMatch', httpStatus: 400, retryable: false, why: 'the private key does not match the certificate' },
  { code: 'InvalidCertificate.TooLong', httpStatus: 400, retryable: false, why: 'the certificate chain is too long' },
  { code: 'InvalidCertName.TooLong', httpStatus: 400, retryable: false, why: 'the certificate name is over 128 characters' },
  { code: 'SetDomainSSLPub.ParameterError', httpStatus: 400, retryable: false, why: 'invalid parameters' },
  { code: 'Certificate.StatusError', httpStatus: 400, retryable: false, why: 'the certificate does not exist or its status is invalid' },
  { code: 'DeleteFailed', httpStatus: 400, retryable: false, why: 'the CDN failed to delete the certificate' },
  { code: 'Certificate.NotFind', httpStatus: 400, retryable: false, why: 'the certificate was not found' },
  // Terminal as an error; the provider resolves it for its own deterministic names first.
  { code: 'Certificate.Duplicated', httpStatus: 400, retryable: false, why: 'the certificate name is already taken' },
  { code: 'Certificate.FormatError', httpStatus: 400, retryable: false, why: 'the certificate format is invalid' },
  { code: 'Certificate.KeyNull', httpStatus: 400, retryable: false, why: 'no private key sent' },
  { code: 'SSLPri.Malformed', httpStatus: 400, retryable: false, why: 'the private key format is invalid' },
  { code: 'Certificate.NotPermittedOff', httpStatus: 400, retryable: false, why: 'turning HTTPS off needs Alibaba Cloud support' },
  { code: 'Certificate.SettedNotEffect', httpStatus: 400, retryable: false, why: 'set, but held back by Alibaba Cloud; needs support' },
  // The API gateway's codes, common to every Alibaba Cloud API.
  { code: 'ServiceUnavailable', httpStatus: 503, retryable: true, why: 'the service is temporarily unavailable' },
  { code: 'InternalError', httpStatus: 500, retryable: true, why: 'an unknown server-side failure' },
  { code: 'Throttling', httpStatus: 400, retryable: true, why: 'flow control' },
  { code: 'Throttling.User', httpStatus: 400, retryable: true, why: 'flow control of the account' },
  { code: 'Throttling.Api', httpStatus: 400, retryable: true, why: 'flow control of the API' },
  // Each SDK attempt signs with a fresh nonce, so a retry cannot collide again.
  { code: 'SignatureNonceUsed', httpStatus: 400, retryable: true, why: 'a signature nonce was reused' },
  // Expiring STS tokens are refreshed by the ambient credential chain, or by rotating the credentials Secret.
  { code: 'InvalidSecurityToken.Expired', httpStatus: 400, retryable: true, why: 'the STS token expired' },
  { code: 'SignatureDoesNotMatch', httpStatus: 400, retryable: false, why: 'wrong accessKeySecret' },
  { code: 'IncompleteSignature', httpStatus: 400, retryable: false, why: 'the request signature is malformed' },
  { code: 'InvalidAccessKeyId.NotFound', httpStatus: 404, retryable: false, why: 'unknown accessKeyId' },
  { code: 'InvalidAccessKeyId.Inactive', httpStatus: 400, retryable: false, why: 'the access key is disabled' },
  { code: 'InvalidSecurityToken.MismatchWithAccessKey', httpStatus: 400, retryable: false, why: 'the STS token belongs to another key' },
  { code: 'InvalidSecurityToken.Malformed', httpStatus: 400, retryable: false, why: 'the STS token is malformed' },
  { code: 'InvalidTimeStamp.Expired', httpStatus: 400, retryable: false, why: 'the clock of the operator is off by more than 15 minutes' },
  { code: 'Forbidden.RAM', httpStatus: 403, retryable: false, why: 'the RAM policy does not allow the action' },
  { code: 'Forbidden', httpStatus: 403, retryable: false, why: 'not authorized' },
  { code: 'NoPermission', httpStatus: 403, retryable: false, why: 'not authorized' },
];

const RULES = new Map(ERROR_RULES.map((rule) => [rule.code, rule]));

/** Node.js socket errors that a new connection may not hit again. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Thrown by our ambient credential wrapper (./client.ts) when the default chain cannot produce credentials. */
export class CredentialsUnavailableError extends Error {
  override readonly name = 'CredentialsUnavailableError';
}

/** Whether a vendor code (as answered over HTTP with `httpStatus`) is worth retrying. */
export function isRetryableCode(code: string, httpStatus: number | undefined): boolean {
  const rule = RULES.get(code);
  if (rule) return rule.retryable;
  if (code.startsWith('Throttling')) return true;
  return httpStatus !== undefined && httpStatus >= 500;
}

/** Turns anything the SDK threw into a scrubbed ProviderError. */
export function classify(err: unknown, scrubber: Scrubber): ProviderError {
  if (err instanceof ProviderError) return err;

  if (err instanceof OpenApi.AlibabaCloudError) {
    const data = isRecord(err.data) ? err.data : {};
    const status = typeof err.statusCode === 'number' ? err.statusCode : undefined;
    const vendorCode = stringOr(data['Code'], err.code);
    const code = vendorCode && vendorCode !== 'undefined' ? vendorCode : `HTTP${status ?? ''}`;
    const requestId = stringOr(data['RequestId'], err.requestId);
    const vendorMessage = stringOr(data['Message'], undefined) ?? `HTTP ${status ?? '?'} without a message`;
    const retryAfter = err instanceof OpenApi.ThrottlingError ? err.retryAfter : undefined;
    return new ProviderError({
      provider: 'alibaba',
      code,
      message: safeText(vendorMessage, scrubber),
      retryable: isRetryableCode(code, status),
      requestId: requestId && requestId !== 'undefined' ? requestId : undefined,
      retryAfterMs: typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
      httpStatus: status,
    });
  }

  if (err instanceof SyntaxError) {
    // An error page from something in front of the API (gateway, proxy,
    // load balancer) rather than the API itself: transient by nature.
    return transport('InvalidResponse', 'the CDN API answered with a body that is not JSON (such as an HTML error page)', err, scrubber);
  }

  if (err instanceof CredentialsUnavailableError) {
    return transport('CredentialsUnavailable', `no ambient Alibaba Cloud credentials: ${err.message}`, undefined, scrubber);
  }

  if (err instanceof Error) {
    const sysCode = (err as NodeJS.ErrnoException).code;
    if (err.name === 'RequestTimeoutError' || err.name.startsWith('RequestTimeout')) {
      return transport('ETIMEDOUT', 'the CDN API did not answer in time', err, scrubber);
    }
    if (typeof sysCode === 'string' && TRANSIENT_SOCKET_CODES.has(sysCode)) {
      return transport(sysCode, 'the connection to the CDN API failed', err, scrubber);
    }
    if (/socket hang up/i.test(err.message)) return transport('ECONNRESET', 'the connection to the CDN API failed', err, scrubber);
  }

  // A bug or an unexpected SDK state: retrying the same request would fail the same way.
  return new ProviderError({
    provider: 'alibaba',
    code: 'UnexpectedError',
    message: safeText(describe(err), scrubber),
    retryable: false,
  });
}

function transport(code: string, summary: string, err: unknown, scrubber: Scrubber): ProviderError {
  const detail = err === undefined ? '' : `: ${describe(err)}`;
  return new ProviderError({ provider: 'alibaba', code, message: safeText(`${summary}${detail}`, scrubber), retryable: true });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * httpx appends `<METHOD> <url or path?query> failed.` (with or without a
 * space before it) to transport errors. The request line is dropped before
 * scrubbing; the scrubber then catches whatever secret is left in any form.
 */
function safeText(text: string, scrubber: Scrubber): string {
  const withoutRequest = text
    .replace(/\s*(GET|POST|PUT|DELETE|HEAD|PATCH)\s+\S+\s+failed\.?/g, ' ($1 request failed)')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?'"]*|\s\/)\?\S*/gi, '$1?[REDACTED]');
  return scrubber.scrub(withoutRequest).replace(/\s+/g, ' ').trim().slice(0, 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringOr(value: unknown, fallback: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
