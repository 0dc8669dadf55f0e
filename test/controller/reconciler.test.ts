// reconcile(key) as a table, planner-style: the state of the caches and the
// CDN in, the verdict out (result, Ready reason, status, CDN calls). The
// Kubernetes side is the cache the reconciler reads (BindingIndex, a Secret
// lookup) and a status sink; the CDN is the in-memory one, so each row is a
// pure function of its inputs on a fake clock. The same paths over HTTP are
// in operator.test.ts and the reliability suites.
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BindingStatus, CdnCertificateBinding } from '../../src/api/v1alpha1/schema.ts';
import type { Clock } from '../../src/clock.ts';
import { BindingIndex, keyOf } from '../../src/controller/index.ts';
import { Reconciler, type Result } from '../../src/controller/reconciler.ts';
import { UNSETTLED_RECHECK_MS } from '../../src/controller/schedule.ts';
import type { TlsMaterial } from '../../src/kube/secrets.ts';
import { Drivers } from '../../src/providers/drivers.ts';
import { MemoryCdn, memoryDriver, type FailRule } from '../../src/providers/memory/index.ts';
import { aBinding } from '../fixtures/bindings.ts';
import { issueCertificate, mismatchedKeyFor, type IssuedCert } from '../fixtures/certs.ts';
import { credentialsData } from '../harness/env.ts';

const RESYNC_MS = 60 * 60_000;
const DOMAIN = 'www.example.com';
// The fake clock starts at the real time (whole seconds, as status times are): the fixtures' certificates are valid then.
const NOW = Math.floor(Date.now() / 1000) * 1000;

let cert: IssuedCert;
let other: IssuedCert;
beforeAll(async () => {
  [cert, other] = await Promise.all([issueCertificate({ dnsNames: [DOMAIN] }), issueCertificate({ dnsNames: [DOMAIN] })]);
});

/** A clock that moves only when told. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return {
    now: () => t,
    date: () => new Date(NOW + t),
    sleep: async (ms) => void (t += ms),
    advance: (ms) => void (t += ms),
  };
}

interface World {
  /** The Secret the binding names: a certificate, a mismatched key, or none. */
  secret?: 'cert' | 'mismatch' | 'missing' | 'wrong-type';
  /** What the CDN serves before the round. */
  serving?: 'cert' | 'other' | 'nothing';
  /** The status a previous round wrote: none, or "in sync with cert" verified `ago` ms earlier. */
  status?: { ago: number } | undefined;
  spec?: { suspend?: boolean; domains?: string[] };
  fail?: FailRule[];
  credentials?: 'ok' | 'missing';
}

interface Verdict {
  result: Result;
  reason: string | undefined;
  status: BindingStatus | undefined;
  calls: string[];
  serving: string | undefined;
}

function syncedStatus(binding: CdnCertificateBinding, fingerprint: string, at: Date): BindingStatus {
  return {
    observedGeneration: 1,
    provider: 'alibaba',
    lastSyncTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', message: 'in sync', lastTransitionTime: at.toISOString(), observedGeneration: 1 }],
    certificate: { serialNumber: '01', fingerprintSHA256: fingerprint, notBefore: at.toISOString(), notAfter: at.toISOString(), dnsNames: [DOMAIN] },
    targets: (binding.spec.alibaba?.domains ?? []).map((name) => ({ name, state: 'Synced' as const, fingerprintSHA256: fingerprint })),
  };
}

async function round(world: World, clock = fakeClock()): Promise<Verdict> {
  const binding = aBinding({ domains: world.spec?.domains ?? [DOMAIN], secretName: 'tls', ...(world.spec?.suspend ? { suspend: true } : {}) });
  if (world.status) binding.status = syncedStatus(binding, cert.fingerprintSHA256, new Date(NOW - world.status.ago));
  const index = new BindingIndex();
  index.upsert(binding);
  const cdn = new MemoryCdn();
  const serving = world.serving ?? 'nothing';
  if (serving !== 'nothing') cdn.drift(DOMAIN, (serving === 'cert' ? cert : other).fingerprintSHA256);
  for (const rule of world.fail ?? []) cdn.failWith(rule);
  const keyPem = world.secret === 'mismatch' ? await mismatchedKeyFor(cert) : cert.keyPem;
  const material: TlsMaterial = {
    namespace: 'default',
    name: 'tls',
    uid: 's-1',
    resourceVersion: '1',
    type: world.secret === 'wrong-type' ? 'Opaque' : 'kubernetes.io/tls',
    crt: new TextEncoder().encode(cert.chainPem),
    key: new TextEncoder().encode(keyPem),
  };
  let written: BindingStatus | undefined;
  const reconciler = new Reconciler({
    index,
    secrets: { get: async () => (world.secret === 'missing' ? { found: false } : { found: true, secret: material }) },
    credentials: { read: async () => (world.credentials === 'missing' ? undefined : credentialsData('acct', 'secret-value')) },
    credentialsDefaults: { operatorNamespace: 'ops', secrets: { alibaba: 'creds' } },
    writer: {
      writeStatus: async (_b, s) => void (written = s),
      setFinalizers: async (b) => b,
    },
    events: { event: () => {} },
    providers: new Drivers([memoryDriver('alibaba', cdn)]),
    logger: pino({ level: 'silent' }),
    resyncIntervalMs: RESYNC_MS,
    clock,
    random: () => 0.5,
  });
  const result = await reconciler.reconcile(keyOf('default', binding.metadata.name));
  return {
    result,
    reason: written?.conditions?.find((c) => c.type === 'Ready')?.reason,
    status: written,
    // Cleanup (prune) is background housekeeping, not part of the verdict.
    calls: cdn.calls.filter((c) => c.action !== 'prune').map((c) => c.action),
    serving: cdn.serving(DOMAIN),
  };
}

interface Row {
  name: string;
  world: World;
  result: Result['type'];
  reason: string;
  /** Provider calls in order. */
  calls: string[];
  /** What the CDN serves after the round. */
  serves: 'cert' | 'other' | 'nothing';
  requeueAfterMs?: number;
}

const TABLE: Row[] = [
  { name: 'first sync: observe, push, verify', world: {}, result: 'success', reason: 'Synced', calls: ['observe', 'deploy', 'observe'], serves: 'cert', requeueAfterMs: RESYNC_MS },
  { name: 'already served: observe only', world: { serving: 'cert' }, result: 'success', reason: 'Synced', calls: ['observe'], serves: 'cert', requeueAfterMs: RESYNC_MS },
  { name: 'drift: the CDN serves another certificate', world: { serving: 'other' }, result: 'success', reason: 'Synced', calls: ['observe', 'deploy', 'observe'], serves: 'cert' },
  { name: 'status proves the sync, not due: no provider call', world: { serving: 'cert', status: { ago: 60_000 } }, result: 'success', reason: 'Synced', calls: [], serves: 'cert', requeueAfterMs: RESYNC_MS - 60_000 },
  { name: 'status proves the sync, drift check due: observe', world: { serving: 'other', status: { ago: RESYNC_MS + 1 } }, result: 'success', reason: 'Synced', calls: ['observe', 'deploy', 'observe'], serves: 'cert' },
  { name: 'Secret missing: terminal, no provider call', world: { secret: 'missing' }, result: 'terminal', reason: 'SecretNotFound', calls: [], serves: 'nothing' },
  { name: 'Secret of the wrong type', world: { secret: 'wrong-type' }, result: 'terminal', reason: 'InvalidCertificate', calls: [], serves: 'nothing' },
  { name: 'key does not match the certificate', world: { secret: 'mismatch', serving: 'other' }, result: 'terminal', reason: 'KeyMismatch', calls: [], serves: 'other' },
  { name: 'a domain the certificate does not cover', world: { spec: { domains: [DOMAIN, 'api.example.com'] } }, result: 'terminal', reason: 'DomainNotCovered', calls: [], serves: 'nothing' },
  { name: 'credentials Secret missing: retry with backoff', world: { credentials: 'missing' }, result: 'retry', reason: 'CredentialsNotFound', calls: [], serves: 'nothing' },
  { name: 'suspended: no provider call', world: { spec: { suspend: true }, serving: 'other' }, result: 'success', reason: 'Suspended', calls: [], serves: 'other' },
  {
    name: 'busy on push: retry, still Syncing',
    world: { fail: [{ action: 'deploy', code: 'ServiceBusy', retryable: true, times: 1 }] },
    result: 'retry',
    reason: 'Syncing',
    calls: ['observe', 'deploy'],
    serves: 'nothing',
  },
  {
    name: 'rejected on push: terminal ProviderRejected',
    world: { fail: [{ action: 'deploy', code: 'InvalidDomain.NotFound', retryable: false, times: 1 }] },
    result: 'terminal',
    reason: 'ProviderRejected',
    calls: ['observe', 'deploy'],
    serves: 'nothing',
  },
  {
    name: 'unreadable target: retry without pushing it',
    world: { fail: [{ action: 'observe', code: 'Throttling.User', retryable: true, times: 1 }] },
    result: 'retry',
    reason: 'Syncing',
    calls: ['observe'],
    serves: 'nothing',
  },
];

describe('reconcile: state in, verdict out', () => {
  it.each(TABLE)('$name', async (row) => {
    const v = await round(row.world);
    expect({ result: v.result.type, reason: v.reason, calls: v.calls }).toEqual({ result: row.result, reason: row.reason, calls: row.calls });
    const expected = row.serves === 'cert' ? cert.fingerprintSHA256 : row.serves === 'other' ? other.fingerprintSHA256 : undefined;
    expect(v.serving).toBe(expected);
    if (row.requeueAfterMs !== undefined) expect(v.result).toEqual({ type: 'success', requeueAfterMs: row.requeueAfterMs });
    if (row.reason === 'Synced') {
      expect(v.status?.targets?.map((t) => [t.name, t.state, t.fingerprintSHA256])).toEqual([[DOMAIN, 'Synced', cert.fingerprintSHA256]]);
      expect(v.status?.lastSyncTime).toBeDefined();
    }
  });

  it('a write that ended ambiguously keeps a verified binding on a short recheck, until the window passes on the clock', async () => {
    const clock = fakeClock();
    // One reconciler for every round: it remembers the window.
    const binding = aBinding({ domains: [DOMAIN], secretName: 'tls' });
    const index = new BindingIndex();
    index.upsert(binding);
    const cdn = new MemoryCdn();
    // A timeout is retryable and carries no HTTP status: the write may still land.
    cdn.failWith({ action: 'deploy', code: 'ETIMEDOUT', retryable: true, times: 1 });
    const material: TlsMaterial = {
      namespace: 'default', name: 'tls', uid: 's', resourceVersion: '1', type: 'kubernetes.io/tls',
      crt: new TextEncoder().encode(cert.chainPem), key: new TextEncoder().encode(cert.keyPem),
    };
    const reconciler = new Reconciler({
      index,
      secrets: { get: async () => ({ found: true, secret: material }) },
      credentials: { read: async () => credentialsData('acct', 'secret-value') },
      credentialsDefaults: { operatorNamespace: 'ops', secrets: { alibaba: 'creds' } },
      writer: { writeStatus: async () => undefined, setFinalizers: async (b) => b },
      events: { event: () => {} },
      providers: new Drivers([memoryDriver('alibaba', cdn)]),
      logger: pino({ level: 'silent' }),
      resyncIntervalMs: RESYNC_MS,
      clock,
      random: () => 0.5,
    });
    const key = keyOf('default', binding.metadata.name);
    expect((await reconciler.reconcile(key)).type).toBe('retry');
    expect(await reconciler.reconcile(key)).toEqual({ type: 'success', requeueAfterMs: UNSETTLED_RECHECK_MS });
    clock.advance(61_000);
    expect(await reconciler.reconcile(key)).toEqual({ type: 'success', requeueAfterMs: RESYNC_MS });
  });
});
