// Lists are paged: every page is read (client-node's typed Secret list names
// the continue token `_continue`), so Secrets that existed before the
// operator started come from the list, not one GET each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { OPERATOR_TOKEN, TestEnv } from '../harness/env.ts';

let env: TestEnv;
const COUNT = 7;

beforeAll(async () => {
  env = await TestEnv.start({ deferOperator: true, tuning: { listPageSize: 2 } });
  await env.createNamespace('paged');
  const cert = await issueCertificate({ dnsNames: ['*.paged.example.com'] });
  for (let i = 0; i < COUNT; i++) {
    await env.applySecret(tlsSecret({ namespace: 'paged', name: `tls-${i}`, cert }));
    await env.createBinding({ namespace: 'paged', name: `b${i}`, secretName: `tls-${i}`, domains: [`b${i}.paged.example.com`] });
  }
  await env.startOperator();
});
afterAll(async () => {
  await env.stop();
});

describe('paged lists', () => {
  it('read every page of bindings and TLS Secrets, with no GET per Secret', async () => {
    for (let i = 0; i < COUNT; i++) await env.waitForReason('paged', `b${i}`, 'Synced');
    const ours = env.api.requests.filter((r) => r.user === OPERATOR_TOKEN && r.resource === 'secrets');
    expect(ours.filter((r) => r.verb === 'list').length).toBeGreaterThanOrEqual(Math.ceil(COUNT / 2));
    expect(ours.filter((r) => r.verb === 'get' && r.namespace === 'paged')).toEqual([]);
    expect(env.operator!.secrets.size).toBe(COUNT);
  });
});
