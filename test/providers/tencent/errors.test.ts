// The classification table, one row per code: each code is produced the way
// it reaches the provider (an API error answered by the emulator through the
// real SDK, a real reset, timeout or status), and the resulting
// ProviderError must carry the code and the expected retryability.
//
// The expectations are written out here independently of ERROR_TABLE, and
// a last test checks that every rule of the table is exercised by a row.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, type Outcome } from '../../../src/providers/provider.ts';
import { ERROR_TABLE, classify, ruleFor } from '../../../src/providers/tencent/driver.ts';
import { transportCode } from '../../../src/providers/tencent/errors.ts';
import { servedCertificate } from '../../../src/providers/tencent/served.ts';
import { BINDING, bundle, HOSTS, startHarness, waitFor, type Harness, type TestBundle } from '../../emulators/tencent/testing.ts';

type Expected = boolean | 'afterUpload';

// The SDK's exception class is CommonJS and not re-exported by its entry point; require gives the class itself.
type SdkExceptionClass = (typeof import('tencentcloud-sdk-nodejs-common/tencentcloud/common/exception/tencent_cloud_sdk_exception.js'))['default'];
const TencentCloudSDKHttpException = (
  createRequire(import.meta.url)('tencentcloud-sdk-nodejs-common/tencentcloud/common/exception/tencent_cloud_sdk_exception.js') as {
    default: SdkExceptionClass;
  }
).default;

/** API error codes, answered by the emulator on ModifyHostsCertificate. */
const API_CODES: ReadonlyArray<[code: string, retryable: Expected]> = [
  // Every code of the ModifyHostsCertificate reference page.
  ['FailedOperation', false],
  ['FailedOperation.CertificateHasExpired', false],
  ['FailedOperation.CertificateNotFound', 'afterUpload'],
  ['FailedOperation.InvalidZoneStatus', false],
  ['FailedOperation.ModifyFailed', true],
  ['InternalError.ConfigLocked', false],
  ['InternalError.GetRoleError', true],
  ['InternalError.ProxyServer', true],
  ['InternalError.RouteError', true],
  ['InternalError.SystemError', true],
  ['InternalError.UnknowError', true],
  ['InvalidParameter.ActionInProgress', true],
  ['InvalidParameter.CertNotMatchDomain', false],
  ['InvalidParameter.CertToExpire', false],
  ['InvalidParameter.CertTooShortKeySize', false],
  ['InvalidParameter.CnameWildHostNotAllowApplyCertificate', false],
  ['InvalidParameter.HostStatusNotAllowApplyCertificate', false],
  ['InvalidParameter.InvalidCertInfo', false],
  ['InvalidParameter.InvalidHttpsCertInfo', false],
  ['InvalidParameter.InvalidHttpsTlsVersion', false],
  ['InvalidParameter.ZoneIsGrayPublishing', true],
  ['LimitExceeded.RateLimitExceeded', true],
  ['OperationDenied', false],
  ['OperationDenied.ConfigLocked', false],
  ['OperationDenied.DisableZoneNotCompleted', true],
  ['OperationDenied.ErrZoneIsAlreadyPaused', false],
  ['OperationDenied.VersionControlIsGraying', false],
  ['ResourceInUse', true],
  ['ResourceUnavailable.CertNotFound', 'afterUpload'],
  ['ResourceUnavailable.HostNotFound', false],
  ['UnauthorizedOperation.CamUnauthorized', false],
  // Common codes.
  ['AuthFailure.SignatureFailure', false],
  ['AuthFailure.SecretIdNotFound', false],
  ['AuthFailure.SignatureExpire', false],
  ['AuthFailure.UnauthorizedOperation', false],
  ['InternalError', true],
  ['RequestLimitExceeded', true],
  ['RequestLimitExceeded.UinLimitExceeded', true],
  ['ServiceUnavailable', true],
  ['ResourceInsufficient', true],
  ['InvalidParameterValue.ZoneNotFound', false],
  ['UnauthorizedOperation.NoPermission', false],
  ['MissingParameter', false],
  ['SomeCode.NobodyHasSeenYet', false],
  // SSL Certificates codes the provider can meet.
  ['FailedOperation.CertificateParseError', false],
  ['FailedOperation.CertificateMismatch', false],
  ['FailedOperation.CertificateMatchError', false],
  ['FailedOperation.CertificateInvalid', false],
  ['FailedOperation.DeleteResourceFailed', false],
  ['FailedOperation.RoleNotFoundAuthorization', false],
  ['FailedOperation.AuthError', false],
  ['FailedOperation.CAMAuthorizedFail', false],
  ['FailedOperation.NetworkError', true],
  ['FailedOperation.SystemError', true],
];

/**
 * Codes the provider produces itself or from transport failures. Each is
 * provoked below, except DeleteTask.Pending and DeleteTask.BoundResources
 * (prune.test.ts) and UnreadableCertificate (the emulator only stores
 * certificates that parse; its precondition is tested below).
 */
const OTHER_CODES: ReadonlyArray<[code: string, retryable: boolean]> = [
  ['ETIMEDOUT', true],
  ['ECONNRESET', true],
  ['ECONNREFUSED', true],
  ['EPIPE', true],
  ['ENOTFOUND', true],
  ['EAI_AGAIN', true],
  ['TransportError', true],
  ['InvalidResponse', true],
  ['Aborted', true],
  ['HTTP502', true],
  ['HTTP503', true],
  ['HTTP408', true],
  ['HTTP429', true],
  ['HTTP403', false],
  ['HTTP404', false],
  ['UnreadableCertificate', false],
  ['CredentialsInvalid', false],
  ['DeleteTask.Pending', true],
  ['DeleteTask.Timeout', true],
  ['DeleteTask.BoundResources', false],
  ['DeleteTask.RoleNotAuthorized', false],
  ['DeleteTask.Failed', false],
];

const RETRIES = 1;
let h: Harness;
let cert: TestBundle;

beforeAll(async () => {
  h = await startHarness({
    requestTimeoutMs: 300,
    driver: { retry: { retries: RETRIES, minTimeoutMs: 1, maxTimeoutMs: 5 } },
  });
  cert = await bundle();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(() => {
  h.emulator.clearFaults();
});

function failure(outcomes: Outcome[]): ProviderError {
  const outcome = outcomes[0];
  if (!outcome || outcome.ok) throw new Error('expected a failed outcome');
  return outcome.error;
}

const deploy = (observed: Parameters<ReturnType<Harness['provider']>['deploy']>[0]['observed'] = []) =>
  h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed });

describe('API error codes through the SDK', () => {
  it.each(API_CODES)('%s -> retryable %s', async (code, expected) => {
    h.emulator.failWith(code, { action: 'ModifyHostsCertificate', times: Infinity, message: `the service says ${code}` });
    const before = h.emulator.calls.length;

    const error = failure(await deploy());

    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(expected !== false);
    expect(error.provider).toBe('tencent');
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toBe(`ModifyHostsCertificate: the service says ${code}`);
    const attempts = h.emulator.calls.slice(before).filter((c) => c.action === 'ModifyHostsCertificate').length;
    expect(attempts).toBe(expected === false ? 1 : RETRIES + 1);

    if (expected === 'afterUpload') {
      // Binding an id reused from an observation uploaded nothing: then the id really is gone.
      const reused = await deploy([{ target: 'x.example.com', state: 'serving', fingerprintSHA256: cert.leaf.fingerprintSHA256, certificateId: 'ab12CD34' }]);
      expect(failure(reused)).toMatchObject({ code, retryable: false });
    }
  });
});

describe('transport failures through the SDK', () => {
  it('ETIMEDOUT: no answer within requestTimeoutMs', async () => {
    h.emulator.hang({ action: 'UploadCertificate', times: Infinity });
    const error = failure(await deploy());
    expect(error).toMatchObject({ code: 'ETIMEDOUT', retryable: true });
    expect(h.emulator.calls.filter((c) => c.code === 'HANG')).toHaveLength(RETRIES + 1);
  });

  it('ECONNRESET: the connection is destroyed', async () => {
    h.emulator.reset({ action: 'UploadCertificate', times: Infinity });
    expect(failure(await deploy())).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });

  it('ECONNREFUSED: nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { tencentDriver } = await import('../../../src/providers/tencent/driver.ts');
    const { pino } = await import('pino');
    const driver = tencentDriver(
      { settings: { teoEndpoint: `http://127.0.0.1:${port}`, sslEndpoint: `http://127.0.0.1:${port}`, credentialsSecret: undefined }, requestTimeoutMs: 500, recordCall: () => {}, logger: pino({ level: 'silent' }) },
      { retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } },
    );
    const provider = driver.connect({ provider: 'tencent', spec: { zoneId: 'zone-x', hosts: ['example.com'] } }, h.credentials);
    const error = failure(await provider.deploy({ binding: BINDING, targets: ['example.com'], certificate: cert, observed: [] }));
    expect(error).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  });

  it.each([
    [502, true],
    [503, true],
    [408, true],
    [429, true],
    [403, false],
    [404, false],
  ] as const)('HTTP%i -> retryable %s', async (status, retryable) => {
    h.emulator.failHttp(status, { action: 'UploadCertificate', times: Infinity });
    const error = failure(await deploy());
    expect(error).toMatchObject({ code: `HTTP${status}`, retryable, httpStatus: status });
  });

  it('InvalidResponse: a 200 answer that is not JSON (a proxy page)', async () => {
    h.emulator.failHttp(200, { action: 'UploadCertificate', times: Infinity });
    expect(failure(await deploy())).toMatchObject({ code: 'InvalidResponse', retryable: true });
  });

  it('Aborted: the operator cancels a call in flight', async () => {
    h.emulator.hang({ action: 'UploadCertificate', times: Infinity });
    const controller = new AbortController();
    const outcomes = h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [], signal: controller.signal });
    await waitFor(() => h.emulator.calls.some((c) => c.code === 'HANG'), 2_000, 'the upload to hang');
    controller.abort();
    expect(failure(await outcomes)).toMatchObject({ code: 'Aborted', retryable: true });
  });

  it.each([
    ['request to http://127.0.0.1:1/ failed, reason: getaddrinfo ENOTFOUND teo.example.invalid', 'ENOTFOUND'],
    ['request to http://127.0.0.1:1/ failed, reason: getaddrinfo EAI_AGAIN teo.tencentcloudapi.com', 'EAI_AGAIN'],
    ['request to http://127.0.0.1:1/ failed, reason: write EPIPE', 'EPIPE'],
    ['request to http://127.0.0.1:1/ failed, reason: read ECONNRESET', 'ECONNRESET'],
    ['request to http://127.0.0.1:1/ failed, reason: socket hang up', 'ECONNRESET'],
    ['network timeout at: https://teo.tencentcloudapi.com/', 'ETIMEDOUT'],
    ['The user aborted a request.', 'Aborted'],
    ['request to https://teo.tencentcloudapi.com/ failed, reason: unable to verify the first certificate', 'TransportError'],
  ])('node-fetch message %j -> %s (as the SDK re-throws it)', (message, code) => {
    // The SDK keeps only node-fetch's message: new TencentCloudSDKHttpException(e.message, "", traceId).
    const thrown = new TencentCloudSDKHttpException(message, '', 'trace-id');
    const error = classify(thrown, { action: 'UploadCertificate', scrub: (t) => t });
    expect(transportCode(message)).toBe(code);
    expect(error).toMatchObject({ code, retryable: true, requestId: undefined });
  });
});

describe('codes the provider produces itself', () => {
  it.each([
    [2, 'DeleteTask.Failed', false],
    [3, 'DeleteTask.RoleNotAuthorized', false],
    [5, 'DeleteTask.Timeout', true],
  ] as const)('deletion task status %i -> %s', async (status, code, retryable) => {
    const provider = h.provider();
    const first = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    const oldId = first[0]?.ok ? first[0].certificateId : undefined;
    h.emulator.configure({ deleteTaskStatus: status });
    try {
      const result = await provider.prune?.({ binding: BINDING, recorded: [oldId as string], inUse: [] });
      expect(result?.failed.map((f) => [f.error.code, f.error.retryable])).toContainEqual([code, retryable]);
    } finally {
      h.emulator.configure({ deleteTaskStatus: undefined });
    }
  });

  it('UnreadableCertificate: raised when the PEM behind an id does not parse', () => {
    expect(servedCertificate('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')).toBeUndefined();
    expect(servedCertificate(cert.chainPem)).toEqual({ fingerprintSHA256: cert.leaf.fingerprintSHA256, notAfter: cert.leaf.notAfter });
  });

  it('CredentialsInvalid: a credentials Secret without secretKey', () => {
    let thrown: unknown;
    try {
      h.driver.connect({ provider: 'tencent', spec: { zoneId: 'zone-x', hosts: ['example.com'] } }, { secretId: 'AKIDonly' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'CredentialsInvalid', retryable: false });
  });
});

describe('ERROR_TABLE', () => {
  it('has a row above exercising every rule, and each row agrees with the rule that matches it', () => {
    const rows: Array<[string, Expected]> = [...API_CODES, ...OTHER_CODES];
    for (const rule of ERROR_TABLE) {
      const exercised = rows.some(([code]) => ruleFor(code) === rule);
      expect(exercised, `no test row for rule ${rule.code}`).toBe(true);
    }
    for (const [code, expected] of rows) expect(ruleFor(code)?.retryable ?? false, code).toBe(expected);
  });

  it('lists exact codes before the wildcard of their family, so no rule is shadowed', () => {
    ERROR_TABLE.forEach((rule, i) => {
      const earlier = ERROR_TABLE.slice(0, i).find((r) => r.code.endsWith('*') && rule.code.startsWith(r.code.slice(0, -1)));
      expect(earlier, `${rule.code} is shadowed by ${earlier?.code}`).toBeUndefined();
    });
  });
});
