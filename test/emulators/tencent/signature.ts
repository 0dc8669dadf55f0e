// TC3-HMAC-SHA256 verification, as Tencent Cloud API 3.0 signs requests:
//
//   Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request,
//                  SignedHeaders=content-type;host, Signature=<hex>
//
//   CanonicalRequest = method \n path \n query \n
//                      <name>:<value>\n for each signed header \n
//                      signed header names \n hex(sha256(body))
//   StringToSign     = "TC3-HMAC-SHA256" \n X-TC-Timestamp \n
//                      <date>/<service>/tc3_request \n hex(sha256(CanonicalRequest))
//   SigningKey       = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
//
// The service is taken from the credential scope, as signed; the emulator
// serves both APIs on one address, so `127` (the SDK's service name for an
// endpoint of 127.0.0.1) signs as well as `teo`.
//
// The `host` header is canonicalised without its port: the Node SDK signs
// the URL's hostname, and Tencent's endpoints use the default port, where
// the two agree.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './state.ts';

export interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface Verified {
  secretId: string;
  service: string;
}

/** Clock skew the service tolerates. */
export const MAX_SKEW_SECONDS = 300;

const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/\s]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9-]+)\/tc3_request, ?SignedHeaders=([a-z0-9;.-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * The SecretId and service of a correctly signed request, or an ApiError
 * with the code the service answers. `secretKeyOf` returns undefined for an
 * unknown SecretId.
 */
export function verifyTc3(req: SignedRequest, secretKeyOf: (secretId: string) => string | undefined, nowSeconds: number): Verified {
  const authorization = header(req, 'authorization');
  const match = AUTHORIZATION.exec(authorization ?? '');
  if (!match) throw new ApiError('AuthFailure.InvalidAuthorization', 'The Authorization header is missing or not a TC3-HMAC-SHA256 signature.');
  const [, secretId = '', date = '', service = '', signedHeaders = '', signature = ''] = match;

  const timestamp = Number(header(req, 'x-tc-timestamp'));
  if (!Number.isInteger(timestamp)) throw new ApiError('MissingParameter', 'The X-TC-Timestamp header is missing.');
  if (Math.abs(nowSeconds - timestamp) > MAX_SKEW_SECONDS) {
    throw new ApiError('AuthFailure.SignatureExpire', 'The signature expired: the timestamp differs from server time by more than 5 minutes.');
  }
  if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) {
    throw new ApiError('AuthFailure.SignatureFailure', 'The credential scope date does not match X-TC-Timestamp.');
  }

  const secretKey = secretKeyOf(secretId);
  if (secretKey === undefined) throw new ApiError('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');

  const names = signedHeaders.split(';');
  if (!names.includes('content-type') || !names.includes('host')) {
    throw new ApiError('AuthFailure.SignatureFailure', 'SignedHeaders must include content-type and host.');
  }
  const canonicalHeaders = names.map((name) => `${name}:${canonicalValue(req, name)}\n`).join('');
  const canonicalRequest = [req.method, req.path, req.query, canonicalHeaders, signedHeaders, sha256Hex(req.body)].join('\n');
  const stringToSign = ['TC3-HMAC-SHA256', String(timestamp), `${date}/${service}/tc3_request`, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw new ApiError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
  }
  return { secretId, service };
}

/** The credential scope's service of a request, without verifying anything. */
export function scopeService(req: Pick<SignedRequest, 'headers'>): string | undefined {
  return AUTHORIZATION.exec(header(req, 'authorization') ?? '')?.[3];
}

function canonicalValue(req: SignedRequest, name: string): string {
  const value = (header(req, name) ?? '').trim();
  return name === 'host' ? value.replace(/:\d+$/, '').toLowerCase() : value;
}

function header(req: Pick<SignedRequest, 'headers'>, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
