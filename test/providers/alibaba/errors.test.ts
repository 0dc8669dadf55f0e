// The classification table, row by row, with the error objects the SDK
// builds, plus the shapes only a unit test can produce (path-only timeout
// messages, odd bodies, non-Error throws). The same codes go through the real
// SDK and the emulator in faults.test.ts.
import * as OpenApi from '@alicloud/openapi-core';
import { describe, expect, it } from 'vitest';
import { classify, CredentialsUnavailableError, ERROR_RULES, isRetryableCode } from '../../../src/providers/alibaba/errors.ts';
import { ProviderError } from '../../../src/providers/provider.ts';
import { Scrubber } from '../../../src/providers/scrub.ts';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n';
const SECRET = 'accessKeySecret-0123456789';
const scrubber = new Scrubber([KEY, SECRET]);

/** What the SDK throws for an HTTP error answer (see @alicloud/openapi-core's doRequest). */
function sdkError(status: number, body: Record<string, unknown>, retryAfter?: number): Error {
  const code = String(body['Code']);
  const init = {
    statusCode: status,
    code,
    message: `code: ${status}, ${String(body['Message'])} request id: ${String(body['RequestId'])}`,
    data: body,
    requestId: String(body['RequestId']),
  };
  if (code.includes('Throttling')) return new OpenApi.ThrottlingError({ ...init, retryAfter });
  return status < 500 ? new OpenApi.ClientError(init) : new OpenApi.ServerError(init);
}

describe('the table', () => {
  it.each(ERROR_RULES)('$code → retryable=$retryable', (rule) => {
    const body = { RequestId: 'REQ-1', HostId: 'cdn.aliyuncs.com', Code: rule.code, Message: `about ${rule.code}` };
    const error = classify(sdkError(rule.httpStatus, body), scrubber);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      provider: 'alibaba',
      code: rule.code,
      retryable: rule.retryable,
      requestId: 'REQ-1',
      httpStatus: rule.httpStatus,
      message: `about ${rule.code}`,
    });
  });

  it('lists each code once', () => {
    expect(new Set(ERROR_RULES.map((r) => r.code)).size).toBe(ERROR_RULES.length);
  });

  it('retries any Throttling code and any 5xx, and nothing else unknown', () => {
    expect(isRetryableCode('Throttling.Whatever', 400)).toBe(true);
    expect(isRetryableCode('Unknown.Code', 500)).toBe(true);
    expect(isRetryableCode('Unknown.Code', 599)).toBe(true);
    expect(isRetryableCode('Unknown.Code', 404)).toBe(false);
    expect(isRetryableCode('Unknown.Code', undefined)).toBe(false);
    // A known code keeps its verdict whatever the status.
    expect(isRetryableCode('ServiceBusy', 403)).toBe(true);
    expect(isRetryableCode('InvalidDomain.NotFound', 500)).toBe(false);
  });
});

describe('SDK error shapes', () => {
  it('takes retryAfter from a ThrottlingError as retryAfterMs', () => {
    const error = classify(sdkError(400, { RequestId: 'R', Code: 'Throttling.User', Message: 'slow down' }, 1500), scrubber);
    expect(error).toMatchObject({ code: 'Throttling.User', retryable: true, retryAfterMs: 1500 });
  });

  it('names an answer without a code after its HTTP status', () => {
    const error = classify(new OpenApi.ServerError({ statusCode: 502, code: 'undefined', data: {}, requestId: 'undefined' }), scrubber);
    expect(error).toMatchObject({ code: 'HTTP502', retryable: true, requestId: undefined, httpStatus: 502 });
  });

  it('scrubs a vendor message that echoes a parameter', () => {
    const body = { RequestId: 'R', Code: 'SSLPri.Malformed', Message: `bad key ${KEY} for ${SECRET}` };
    const error = classify(sdkError(400, body), scrubber);
    expect(error.message).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[REDACTED]');
  });

  it('classifies a bare SyntaxError (an HTML error page) as retryable InvalidResponse', () => {
    let thrown: unknown;
    try {
      JSON.parse('<html><body>502 Bad Gateway</body></html>');
    } catch (err) {
      thrown = err;
    }
    expect(classify(thrown, scrubber)).toMatchObject({ code: 'InvalidResponse', retryable: true });
  });

  it('cuts the request line from both of httpx\'s timeout messages', () => {
    const query = `DomainName=a.example.com&SSLPri=${encodeURIComponent(KEY)}&SSLProtocol=on`;
    const full = Object.assign(new Error(`ReadTimeout(300). POST http://127.0.0.1:1/?${query} failed.`), { name: 'RequestTimeoutError' });
    const path = Object.assign(new Error(`ReadTimeout: 300. POST /?${query} failed.`), { name: 'RequestTimeoutError' });
    const connect = Object.assign(new Error(`ConnectTimeout: Connect http://127.0.0.1:1/?${query} failed.`), { name: 'RequestTimeoutError' });
    for (const err of [full, path, connect]) {
      const error = classify(err, new Scrubber([]));
      expect(error).toMatchObject({ code: 'ETIMEDOUT', retryable: true });
      expect(error.message).not.toContain('SSLPri');
      expect(error.message).not.toContain('a.example.com');
    }
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH'])(
    'classifies socket error %s as retryable, keeping the code',
    (code) => {
      const err = Object.assign(new Error(`connect ${code} 127.0.0.1:443POST https://cdn.aliyuncs.com/?SSLPri=x failed.`), { code });
      const error = classify(err, scrubber);
      expect(error).toMatchObject({ code, retryable: true });
      expect(error.message).not.toContain('SSLPri');
    },
  );

  it('classifies "socket hang up" without a code as ECONNRESET', () => {
    expect(classify(new Error('socket hang up'), scrubber)).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });

  it('classifies a failing ambient credential chain as retryable', () => {
    const error = classify(new CredentialsUnavailableError('no provider in the chain produced credentials'), scrubber);
    expect(error).toMatchObject({ code: 'CredentialsUnavailable', retryable: true });
  });

  it('classifies anything else as terminal UnexpectedError, scrubbed', () => {
    expect(classify(new TypeError(`cannot read ${SECRET}`), scrubber)).toMatchObject({ code: 'UnexpectedError', retryable: false });
    expect(classify(new TypeError(`cannot read ${SECRET}`), scrubber).message).not.toContain(SECRET);
    expect(classify('a string', scrubber)).toMatchObject({ code: 'UnexpectedError', retryable: false, message: 'a string' });
  });

  it('passes a ProviderError through unchanged', () => {
    const original = new ProviderError({ provider: 'alibaba', code: 'X', message: 'm', retryable: true });
    expect(classify(original, scrubber)).toBe(original);
  });
});
