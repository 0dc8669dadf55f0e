// Transient and permanent failures through the real SDK: every documented
// code (one row each), busy and throttling storms, HTML error pages,
// timeouts and connection resets.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, type Outcome } from '../../../src/providers/provider.ts';
import { GATEWAY_ERRORS, SET_CERTIFICATE_ERRORS } from '../../emulators/alibaba/codes.ts';
import { BINDING, callsTo, certificate, CREDENTIALS, FAST_RETRY, rig, scope, type Rig, type TestCertificate } from './harness.ts';

const SET = 'SetCdnDomainSSLCertificate';
const DOMAIN = 'www.example.com';
const ATTEMPTS = FAST_RETRY.retries + 1;
const TIMEOUT_MS = 250;

let r: Rig;
let cert: TestCertificate;
beforeAll(async () => {
  // The rate limiter is not under test here (see ratelimit.test.ts): let retries go at backoff speed.
  r = await rig({ domains: [DOMAIN], requestTimeoutMs: TIMEOUT_MS, driver: { setCertificatePerSecond: 1000, describePerSecond: 1000 } });
  cert = await certificate();
});
afterAll(async () => {
  await r.emulator.stop();
});
beforeEach(() => {
  r.emulator.clearFaults();
  r.emulator.rateLimit(undefined);
  r.calls.length = 0;
});

async function deploy(): Promise<Outcome> {
  const provider = r.driver.connect(scope([DOMAIN]), CREDENTIALS);
  // A fresh fingerprint each time is not needed: re-uploading the same content is accepted.
  const [outcome] = await provider.deploy({ binding: BINDING, targets: [DOMAIN], certificate: cert.bundle, observed: [] });
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

function errorOf(outcome: Outcome): ProviderError {
  if (outcome.ok) throw new Error('expected a failure');
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error;
}

/** Set calls the emulator received since the test began. */
function setCalls() {
  return callsTo(r.emulator, SET).slice(-50);
}

// What the classification must be, written out here rather than read from
// the table under test. Everything the reference page lists is terminal
// except ServiceBusy; Certificate.Duplicated is resolved by the provider and,
// with nothing of our name listed, stays retryable (tested further in
// provider.test.ts).
const RETRYABLE = new Set([
  'ServiceBusy',
  'Certificate.Duplicated',
  'Throttling.User',
  'Throttling.Api',
  'Throttling',
  'ServiceUnavailable',
  'InternalError',
  'SignatureNonceUsed',
  'InvalidSecurityToken.Expired',
]);

const DOCUMENTED = Object.entries({ ...SET_CERTIFICATE_ERRORS, ...GATEWAY_ERRORS }).map(([code, doc]) => ({ code, ...doc }));

describe('classification, one row per documented code', () => {
  it.each(DOCUMENTED)('$code ($status)', async ({ code, status, message }) => {
    r.emulator.failWith(code, { action: SET });
    const before = callsTo(r.emulator, SET).length;
    const error = errorOf(await deploy());
    const attempts = callsTo(r.emulator, SET).slice(before);

    expect(error.code).toBe(code);
    expect(error.retryable).toBe(RETRYABLE.has(code));
    expect(error.provider).toBe('alibaba');
    if (code !== 'Certificate.Duplicated') {
      expect(error.httpStatus).toBe(status);
      expect(error.message).toBe(message);
      // Terminal codes are not retried in-call; retryable ones are, up to the policy.
      expect(attempts).toHaveLength(RETRYABLE.has(code) ? ATTEMPTS : 1);
    }
    const last = attempts.at(-1);
    expect(last?.requestId).toBeDefined();
    expect(error.requestId).toBe(last?.requestId);
    expect(error.describe()).toContain(`RequestId ${last?.requestId}`);
    expect(error.describe()).toContain(code);
    // Every attempt was recorded with its code.
    expect(r.calls.filter((c) => c.action === SET && c.code === code)).toHaveLength(attempts.length);
  });

  it('treats an unknown code with a 4xx status as terminal', async () => {
    r.emulator.failWith('Some.FutureCode', { action: SET, status: 400, message: 'Something new.' });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'Some.FutureCode', retryable: false, httpStatus: 400, message: 'Something new.' });
  });

  it.each([500, 502, 503, 504])('treats an unknown code with HTTP %i as retryable', async (status) => {
    r.emulator.failWith('Some.ServerSideCode', { action: SET, status });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'Some.ServerSideCode', retryable: true, httpStatus: status });
    expect(setCalls().filter((c) => c.code === 'Some.ServerSideCode').length).toBeGreaterThanOrEqual(ATTEMPTS);
  });
});

describe('storms', () => {
  it('rides out a short ServiceBusy storm within the in-call retries', async () => {
    r.emulator.busy(DOMAIN, { times: 2 });
    const outcome = await deploy();
    expect(outcome.ok).toBe(true);
    expect(r.calls.filter((c) => c.action === SET).map((c) => c.code)).toEqual(['ServiceBusy', 'ServiceBusy', 'OK']);
  });

  it('returns a retryable failed outcome when ServiceBusy outlasts the retries', async () => {
    r.emulator.busy('*', { times: 100 });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'ServiceBusy', retryable: true, httpStatus: 403 });
    expect(r.calls.filter((c) => c.action === SET)).toHaveLength(ATTEMPTS);
  });

  it('rides out throttling and waits at least the advertised retry-after', async () => {
    r.emulator.throttle({ times: 2, action: SET, retryAfterMs: 60 });
    const before = callsTo(r.emulator, SET).length;
    const outcome = await deploy();
    expect(outcome.ok).toBe(true);
    const attempts = callsTo(r.emulator, SET).slice(before);
    expect(attempts.map((c) => c.code)).toEqual(['Throttling.User', 'Throttling.User', 'OK']);
    // On the emulator's clock: each retry arrived no sooner than the hint allowed.
    for (let i = 1; i < attempts.length; i++) {
      expect((attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(60);
    }
  });

  it('returns a retryable failed outcome carrying the hint when throttling lasts', async () => {
    r.emulator.throttle({ action: SET, retryAfterMs: 5 });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'Throttling.User', retryable: true, retryAfterMs: 5, httpStatus: 400 });
  });
});

describe('transport failures', () => {
  it('retries an HTML 502 page (the SDK throws a bare SyntaxError) and succeeds', async () => {
    r.emulator.html5xx({ status: 502, times: 1, action: SET });
    expect((await deploy()).ok).toBe(true);
    expect(r.calls.filter((c) => c.action === SET).map((c) => c.code)).toEqual(['InvalidResponse', 'OK']);
  });

  it('reports lasting HTML error pages as retryable InvalidResponse', async () => {
    r.emulator.html5xx({ status: 503, action: SET });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'InvalidResponse', retryable: true });
    expect(error.message).toMatch(/not JSON/);
  });

  it('retries a request that never got an answer, within the configured timeout', async () => {
    r.emulator.hang({ times: 1, action: SET });
    const started = performance.now();
    expect((await deploy()).ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(r.calls.filter((c) => c.action === SET).map((c) => c.code)).toEqual(['ETIMEDOUT', 'OK']);
    expect(r.calls[0]?.seconds).toBeGreaterThanOrEqual(TIMEOUT_MS / 1000);
  });

  it('reports a lasting hang as retryable ETIMEDOUT after the retries, not a thrown error', async () => {
    r.emulator.hang({ action: SET });
    const started = performance.now();
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'ETIMEDOUT', retryable: true });
    // Each attempt gave up after the request timeout; none waited on its own.
    expect(performance.now() - started).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS);
    expect(r.calls.filter((c) => c.action === SET).every((c) => c.code === 'ETIMEDOUT' && c.seconds < 5)).toBe(true);
  });

  it('retries a connection reset and succeeds', async () => {
    r.emulator.reset({ times: 2, action: SET });
    expect((await deploy()).ok).toBe(true);
    expect(r.calls.filter((c) => c.action === SET).map((c) => c.code)).toEqual(['ECONNRESET', 'ECONNRESET', 'OK']);
  });

  it('reports lasting resets as retryable ECONNRESET', async () => {
    r.emulator.reset({ action: SET });
    const error = errorOf(await deploy());
    expect(error).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });

  it('reports a refused connection as retryable ECONNREFUSED', async () => {
    const gone = await rig({ domains: [DOMAIN] });
    await gone.emulator.stop();
    const provider = gone.driver.connect(scope([DOMAIN]), CREDENTIALS);
    const [seen] = await provider.observe({ binding: BINDING, targets: [DOMAIN] });
    if (seen?.state !== 'error') throw new Error('expected an error observation');
    expect(seen.error).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  });

  it('turns a failed read into an error observation, not a thrown error', async () => {
    r.emulator.reset({ action: 'DescribeDomainCertificateInfo' });
    const provider = r.driver.connect(scope([DOMAIN]), CREDENTIALS);
    const [seen] = await provider.observe({ binding: BINDING, targets: [DOMAIN] });
    if (seen?.state !== 'error') throw new Error('expected an error observation');
    expect(seen.error).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });
});
