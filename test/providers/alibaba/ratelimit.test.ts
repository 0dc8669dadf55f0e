// Many bindings sharing one set of credentials must together stay under the
// documented 30 SetCdnDomainSSLCertificate calls per second per account. The
// emulator enforces that limit with a sliding one-second window on its own
// clock and counts every call it refuses; the assertion is on that count, so
// no timing is asserted here.
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, BINDING, callsTo, certificate, CREDENTIALS, rig, scope, type Rig } from './harness.ts';

const SET = 'SetCdnDomainSSLCertificate';
const BINDINGS = 40;
const domains = Array.from({ length: BINDINGS }, (_, i) => `d${i}.example.com`);

let current: Rig | undefined;
afterEach(async () => {
  await current?.emulator.stop();
  current = undefined;
});

/** Deploys one domain per binding, all at once, each binding connecting on its own with the same credentials. */
async function massRenewal(r: Rig) {
  const { bundle } = await certificate({ dnsNames: ['*.example.com'] });
  return Promise.all(
    domains.map(async (domain, i) => {
      const provider = r.driver.connect(scope([domain]), { ...CREDENTIALS });
      const [outcome] = await provider.deploy({ binding: { ...BINDING, name: `b${i}` }, targets: [domain], certificate: bundle, observed: [] });
      return outcome;
    }),
  );
}

describe('per-account rate limit', () => {
  it('keeps concurrent deploys sharing credentials under 30 Set calls per second', async () => {
    const r = (current = await rig({ domains, driver: { retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } } }));
    r.emulator.rateLimit(30);

    const outcomes = await massRenewal(r);
    expect(outcomes.every((o) => o?.ok)).toBe(true);
    expect(r.emulator.rateLimited).toBe(0);
    expect(callsTo(r.emulator, SET)).toHaveLength(BINDINGS);
    expect(new Set(callsTo(r.emulator, SET).map((c) => c.accessKeyId))).toEqual(new Set([ACCESS_KEY_ID]));
  });

  it('would be throttled without the limiter (the control that shows the check can fail)', async () => {
    const r = (current = await rig({
      domains,
      driver: { setCertificatePerSecond: 10_000, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } },
    }));
    r.emulator.rateLimit(30);

    const outcomes = await massRenewal(r);
    expect(r.emulator.rateLimited).toBeGreaterThan(0);
    const throttled = outcomes.filter((o) => o && !o.ok && o.error.code === 'Throttling.User');
    expect(throttled.length).toBe(r.emulator.rateLimited);
    expect(throttled.every((o) => o && !o.ok && o.error.retryable && (o.error.retryAfterMs ?? 0) > 0)).toBe(true);
  });
});
