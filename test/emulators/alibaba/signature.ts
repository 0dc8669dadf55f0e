// Verifying Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), the
// scheme @alicloud/openapi-core signs RPC calls with:
//
//   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n
//                      CanonicalHeaders \n SignedHeaders \n HashedRequestPayload
//   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//   Signature        = hex(hmac-sha256(AccessKeySecret, StringToSign))
//   Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2>,Signature=<hex>
//
// CanonicalQueryString: parameters sorted by name, names and values
// percent-encoded per RFC 3986 (space as %20, `*` as %2A, `~` kept);
// CanonicalHeaders: each signed header `name:trimmed value\n`, names lowercase
// and sorted; HashedRequestPayload: the x-acs-content-sha256 header, which
// must be the hex SHA-256 of the body.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './codes.ts';

export const ALGORITHM = 'ACS3-HMAC-SHA256';
/** Headers a request must sign; the SDK signs these and every other x-acs-* header. */
const REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface AccessKey {
  id: string;
  secret: string;
  accountId: string;
  securityToken?: string | undefined;
  inactive?: boolean | undefined;
}

export interface SignedRequest {
  method: string;
  /** Path and raw query, as on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses the Authorization header; throws IncompleteSignature when it is not a V3 one. */
export function parseAuthorization(header: string | undefined): Authorization {
  if (!header?.startsWith(`${ALGORITHM} `)) throw new ApiError('IncompleteSignature');
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) throw new ApiError('IncompleteSignature');
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

/** RFC 3986 percent-encoding, as the V3 canonical forms use it. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The request's query parameters, decoded (form-style: `+` is a space, as the SDK never sends a bare `+`). */
export function queryParams(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
}

export function canonicalRequest(req: SignedRequest, signedHeaders: readonly string[], hashedPayload: string): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const canonicalUri = decodeURIComponent(path).split('/').map(percentEncode).join('/') || '/';
  const canonicalQuery = queryParams(req.url)
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = [...signedHeaders].map((h) => h.toLowerCase()).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headerValue(req.headers, name)}\n`).join('');
  return [req.method.toUpperCase(), canonicalUri, canonicalQuery, canonicalHeaders, names.join(';'), hashedPayload].join('\n');
}

export function sign(secret: string, canonical: string): string {
  const stringToSign = `${ALGORITHM}\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

export interface VerifyOptions {
  lookup: (accessKeyId: string) => AccessKey | undefined;
  /** Nonces seen in the last 15 minutes, with when. */
  nonces: Map<string, number>;
  now: () => number;
}

/**
 * Checks a request's signature and returns the access key that signed it.
 * Throws the ApiError Alibaba Cloud's gateway would answer with.
 */
export function verify(req: SignedRequest, opts: VerifyOptions): AccessKey {
  const auth = parseAuthorization(headerValue(req.headers, 'authorization'));
  const key = opts.lookup(auth.accessKeyId);
  if (!key) throw new ApiError('InvalidAccessKeyId.NotFound');
  if (key.inactive) throw new ApiError('InvalidAccessKeyId.Inactive');

  const signed = new Set(auth.signedHeaders.map((h) => h.toLowerCase()));
  if (REQUIRED_SIGNED.some((h) => !signed.has(h))) throw new ApiError('IncompleteSignature');

  const payloadHash = headerValue(req.headers, 'x-acs-content-sha256');
  if (payloadHash !== createHash('sha256').update(req.body).digest('hex')) throw new ApiError('SignatureDoesNotMatch');

  const expected = sign(key.secret, canonicalRequest(req, auth.signedHeaders, payloadHash));
  const given = Buffer.from(auth.signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    throw new ApiError('SignatureDoesNotMatch');
  }

  // Only a correctly signed request can tell us about its clock and nonce.
  const date = Date.parse(headerValue(req.headers, 'x-acs-date'));
  if (Number.isNaN(date)) throw new ApiError('InvalidTimeStamp.Format');
  if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) throw new ApiError('InvalidTimeStamp.Expired');
  const nonce = headerValue(req.headers, 'x-acs-signature-nonce');
  const now = opts.now();
  for (const [seen, at] of opts.nonces) if (now - at > MAX_CLOCK_SKEW_MS) opts.nonces.delete(seen);
  if (opts.nonces.has(nonce)) throw new ApiError('SignatureNonceUsed');
  opts.nonces.set(nonce, now);

  if (key.securityToken !== undefined) {
    const token = headerValue(req.headers, 'x-acs-security-token');
    if (token !== key.securityToken || headerValue(req.headers, 'x-acs-accesskey-id') !== key.id) {
      throw new ApiError('InvalidSecurityToken.MismatchWithAccessKey');
    }
  }
  return key;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim();
}
