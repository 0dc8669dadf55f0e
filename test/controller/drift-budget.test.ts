// Drift checks of bindings already in sync share one budget (DRIFT_CHECK_RATE):
// checks that fall due together are spread out, and none is starved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { TestEnv, waitFor } from '../harness/env.ts';

const RATE = 2;
const COUNT = 8;
let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.start({ config: { resyncIntervalMs: 2_000, driftCheckRate: RATE } });
  await env.createNamespace('drift');
  const cert = await issueCertificate({ dnsNames: ['*.drift.example.com'] });
  await env.applySecret(tlsSecret({ namespace: 'drift', name: 'tls', cert }));
  for (let i = 0; i < COUNT; i++) await env.createBinding({ namespace: 'drift', name: `b${i}`, secretName: 'tls', domains: [`b${i}.drift.example.com`] });
  for (let i = 0; i < COUNT; i++) await env.waitForReason('drift', `b${i}`, 'Synced');
});
afterAll(async () => {
  await env.stop();
});

describe('drift-check budget', () => {
  it('serves every due check at the budgeted rate, without bursts or starvation', async () => {
    const since = Date.now();
    const checks = () => env.cdn.calls.filter((c) => c.action === 'observe' && c.at >= since && c.binding.startsWith('drift/'));
    await waitFor('every binding checked at least twice', () => {
      const per = new Map<string, number>();
      for (const c of checks()) per.set(c.binding, (per.get(c.binding) ?? 0) + 1);
      return per.size === COUNT && [...per.values()].every((n) => n >= 2);
    }, 30_000);
    const times = checks().map((c) => c.at).sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1_000) j++;
      peak = Math.max(peak, j - i);
    }
    expect(peak).toBeLessThanOrEqual(RATE + 1);
    expect(env.cdn.writes().filter((c) => c.at >= since)).toEqual([]);
  }, 40_000);
});
