// The soak: the real operator (`node src/main.ts`) against the test API
// server and both cloud emulators, for 30 minutes by default, under random
// renewals and random faults from the reliability scenarios (provider busy
// windows, throttling, rate limits, 5xx/HTML, latency past the timeout,
// resets, hangs, revoked credentials; dropped and stalled watches, 410, 429
// and 500 on lists, 409 on status writes, API server restarts, Secrets
// deleted and re-created, specs edited; SIGKILL of the operator at random
// points). Every action is bounded (a number of requests, or a few seconds,
// then undone). Periodically, and at the end, the faults are lifted and the
// shared invariant must hold; renewals that stayed in their Secret for a
// minute must have been delivered. It also fuzzes Secret contents through
// the Reconciler (10,000 cases or more) and watches the operator's memory:
// after warm-up, over its last uninterrupted life (process faults only in
// the first third), the heap's troughs must not grow by more than the
// stated bound. Prints one JSON summary; exits 1 on any failure.
//
//   node test/soak/main.ts [--minutes 30] [--seed N] [--sites 8] [--fuzz 10000]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { waitFor } from '../harness/env.ts';
import type { OperatorProcess } from '../harness/process.ts';
import { fuzzMaterial, fuzzReconciler } from '../reliability/fuzz.ts';
import { InvariantError, renew, type InvariantReport } from '../reliability/invariant.ts';
import { prng, ProcessStack, ZONE } from '../reliability/operators.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string' },
    sites: { type: 'string', default: '8' },
    fuzz: { type: 'string' },
  },
  strict: true,
});

const MINUTES = Number(values.minutes);
const SEED = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000_007;
const SITES = Math.max(2, Number(values.sites));
const FUZZ_RUNS = Math.max(10_000, Number(values.fuzz ?? 0));
if (!(MINUTES > 0) || !Number.isFinite(SEED)) throw new Error('usage: main.ts [--minutes N] [--seed N] [--sites N] [--fuzz N]');

const RUN_MS = MINUTES * 60_000;
/** Process faults only in this first part of the run: the memory curve is read over the operator's last, uninterrupted life. */
const KILL_PHASE = 1 / 3;
/** A renewal that stayed in its Secret this long must have reached the CDN. */
const MUST_DELIVER_AFTER_MS = 60_000;
/** How often the chaos pauses for a full invariant check. */
const CHECK_EVERY_MS = Math.min(5 * 60_000, Math.max(45_000, RUN_MS / 4));
const SAMPLE_EVERY_MS = 5_000;
/** Memory bound: after warm-up, heap troughs may grow at most this much over the measured span. */
const HEAP_GROWTH_BOUND_MB = 24;
const RSS_GROWTH_BOUND_MB = 64;

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const started = Date.now();
const elapsed = () => Date.now() - started;
const log = (msg: string) => process.stderr.write(`[soak ${(elapsed() / 1000).toFixed(0).padStart(5)}s] ${msg}\n`);

interface Site {
  ns: string;
  provider: 'alibaba' | 'tencent';
  targets: string[];
  spare: string;
  withSpare: boolean;
}

interface Sample {
  at: number;
  pid: number;
  heapMB: number;
  rssMB: number;
}

const counts: Record<string, number> = {};
const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
const undo: Array<{ at: number; what: string; run: () => void | Promise<void> }> = [];
const samples: Sample[] = [];
const checks: Array<{ at: number; convergedInMs: number }> = [];

const stack = await ProcessStack.start();
const sites: Site[] = [];
let operator: OperatorProcess | undefined;
let summary: Record<string, unknown> = {};
let failure: string | undefined;

const cert = (site: Site): Promise<IssuedCert> =>
  issueCertificate({ dnsNames: [`${site.ns}.example.com`, `*.${site.ns}.example.com`], keyAlgorithm: random() < 0.85 ? 'ecdsa' : 'rsa', withIntermediate: random() < 0.5 });

async function startOperator(): Promise<OperatorProcess> {
  operator = await stack.operator({ RESYNC_INTERVAL: '10s', LOG_LEVEL: 'debug' });
  return operator;
}

async function credentials(site: Site, broken: boolean): Promise<void> {
  const data: Record<string, string> =
    site.provider === 'alibaba'
      ? { accessKeyId: stack.alibaba.accountId, accessKeySecret: broken ? `revoked-${site.ns}-Kq81zP` : stack.alibaba.keySecret }
      : { secretId: stack.tencent.secretId, secretKey: broken ? `revoked-${site.ns}-Wm52xT` : stack.tencent.secretKey };
  if (broken) stack.ledger.credential(Object.values(data)[1]!);
  await stack.env.core.replaceNamespacedSecret({ namespace: site.ns, name: 'creds', body: { metadata: { name: 'creds' }, stringData: data } });
}

async function setTargets(site: Site): Promise<void> {
  const targets = site.withSpare ? [...site.targets, site.spare] : site.targets;
  await stack.env.patchBinding(site.ns, 'site', site.provider === 'alibaba' ? { spec: { alibaba: { domains: targets } } } : { spec: { tencent: { zoneId: ZONE, hosts: targets } } });
}

async function setup(): Promise<void> {
  for (let i = 0; i < SITES; i++) {
    const provider = i % 2 === 0 ? 'alibaba' : 'tencent';
    const ns = await stack.namespace(provider === 'alibaba' ? 'ali' : 'ten');
    const labels = ['www', 'img', 'api'].slice(0, 2 + (i % 2));
    const all = provider === 'alibaba' ? stack.domains(ns, ...labels, 'extra') : stack.hosts(ns, ...labels, 'extra');
    const site: Site = { ns, provider, targets: all.slice(0, -1), spare: all.at(-1)!, withSpare: false };
    sites.push(site);
    await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'creds' }, stringData: {} } });
    await credentials(site, false);
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: await cert(site) });
    await stack.env.createBinding({
      namespace: ns,
      name: 'site',
      secretName: 'tls',
      credentials: 'creds',
      ...(provider === 'alibaba' ? { domains: site.targets } : { tencent: { zoneId: ZONE, hosts: site.targets } }),
    });
    stack.track(ns, 'site');
  }
}

// --- The actions ---------------------------------------------------------------

type Action = { name: string; weight: number; killPhaseOnly?: boolean; run: () => Promise<void> | void };
const later = (ms: number, what: string, run: () => void | Promise<void>) => undo.push({ at: Date.now() + ms, what, run });
const ali = () => stack.alibaba.emulator;
const ten = () => stack.tencent.emulator;
const api = () => stack.env.api;

const actions: Action[] = [
  { name: 'renew', weight: 10, run: async () => { const s = pick(sites); await renew(stack.env, stack.ledger, { namespace: s.ns, name: 'tls', cert: await cert(s) }); } },
  { name: 'renew-burst', weight: 2, run: async () => { await Promise.all(sites.map(async (s) => renew(stack.env, stack.ledger, { namespace: s.ns, name: 'tls', cert: await cert(s) }))); } },
  { name: 'secret-recreate', weight: 1, run: async () => { const s = pick(sites); await stack.env.deleteSecret(s.ns, 'tls'); await renew(stack.env, stack.ledger, { namespace: s.ns, name: 'tls', cert: await cert(s) }); } },
  { name: 'spec-edit', weight: 2, run: async () => { const s = pick(sites); s.withSpare = !s.withSpare; await setTargets(s); } },
  { name: 'credentials-revoked', weight: 1, run: async () => { const s = pick(sites); await credentials(s, true); later(5_000, 'credentials-restored', () => credentials(s, false)); } },
  // Alibaba Cloud CDN.
  { name: 'ali-busy', weight: 2, run: () => ali().busy('*', { untilMs: 2_000 }) },
  { name: 'ali-throttle', weight: 2, run: () => ali().throttle({ times: 8, retryAfterMs: 50 }) },
  { name: 'ali-rate-limit', weight: 1, run: () => { ali().rateLimit(4); later(5_000, 'ali-rate-limit-lifted', () => ali().rateLimit(undefined)); } },
  { name: 'ali-html5xx', weight: 2, run: () => { ali().html5xx({ status: pick([502, 503, 504]), times: 3 }); ali().failWith('InternalError', { times: 2 }); } },
  { name: 'ali-latency', weight: 1, run: () => { ali().latency(2_500); later(4_000, 'ali-latency-lifted', () => ali().latency(0)); } },
  { name: 'ali-reset', weight: 2, run: () => ali().reset({ times: 3 }) },
  { name: 'ali-hang', weight: 1, run: () => ali().hang({ times: 2, action: 'SetCdnDomainSSLCertificate' }) },
  { name: 'ali-key-disabled', weight: 1, run: () => { const { accountId, keySecret } = stack.alibaba; ali().addAccessKey(accountId, accountId, keySecret, { inactive: true }); later(5_000, 'ali-key-enabled', () => ali().addAccessKey(accountId, accountId, keySecret)); } },
  // Tencent Cloud.
  { name: 'ten-action-in-progress', weight: 2, run: () => { ten().configure({ actionInProgressMs: 1_500 }); later(5_000, 'ten-action-in-progress-off', () => ten().configure({ actionInProgressMs: 0 })); } },
  { name: 'ten-throttle', weight: 2, run: () => { ten().failWith('RequestLimitExceeded', { times: 4 }); ten().failWith('LimitExceeded.RateLimitExceeded', { action: 'ModifyHostsCertificate', times: 2 }); } },
  { name: 'ten-rate-limit', weight: 1, run: () => { ten().configure({ rateLimits: { ModifyHostsCertificate: 2, UploadCertificate: 2 }, defaultRateLimit: 5 }); later(5_000, 'ten-rate-limit-lifted', () => ten().configure({ rateLimits: { ModifyHostsCertificate: 20, UploadCertificate: 10, DeleteCertificate: 10 }, defaultRateLimit: 20 })); } },
  { name: 'ten-5xx', weight: 2, run: () => { ten().failHttp(pick([500, 502, 503]), { times: 3 }); ten().failWith('InternalError.ProxyServer', { times: 2 }); } },
  { name: 'ten-latency', weight: 1, run: () => { ten().latency(2_500); later(4_000, 'ten-latency-lifted', () => ten().latency(0)); } },
  { name: 'ten-reset', weight: 2, run: () => ten().reset({ times: 3 }) },
  { name: 'ten-hang', weight: 1, run: () => { ten().hang({ action: 'ModifyHostsCertificate', times: 1 }); ten().hang({ action: 'UploadCertificate', times: 1 }); } },
  { name: 'ten-key-gone', weight: 1, run: () => { ten().failWith('AuthFailure.SecretIdNotFound', { times: Number.POSITIVE_INFINITY }); later(5_000, 'ten-key-back', () => ten().clearFaults()); } },
  // Kubernetes.
  { name: 'k8s-drop-watches', weight: 3, run: () => void api().faults.dropWatches() },
  { name: 'k8s-stall-watches', weight: 1, run: () => { api().faults.stallWatches(); later(4_000, 'k8s-stall-lifted', () => { api().faults.clear(); api().faults.dropWatches(); }); } },
  { name: 'k8s-status-409', weight: 2, run: () => api().faults.inject({ verb: 'patch', resource: 'cdncertificatebindings', subresource: 'status', status: 409, times: 6 }) },
  { name: 'k8s-relist-errors', weight: 1, run: () => { for (const resource of ['secrets', 'cdncertificatebindings']) { api().faults.inject({ verb: 'list', resource, status: 429, times: 2, retryAfterSeconds: 0 }); api().faults.inject({ verb: 'list', resource, status: 500, times: 2 }); } api().compact(); api().faults.dropWatches(); } },
  { name: 'k8s-watch-410', weight: 1, run: () => { api().faults.inject({ verb: 'watch', status: 410, times: 2 }); api().faults.dropWatches(); } },
  { name: 'k8s-restart', weight: 1, run: () => api().restart() },
  // The operator process.
  {
    name: 'sigkill',
    weight: 5,
    killPhaseOnly: true,
    run: async () => {
      const p = operator!;
      const before = ali().calls.length + ten().calls.length;
      const k = Math.floor(random() * 5);
      await waitFor(`provider call ${k} before the kill`, () => ali().calls.length + ten().calls.length - before >= k, 5_000).catch(() => undefined);
      await stack.kill(p);
      await startOperator();
    },
  },
];

async function runUndos(all: boolean): Promise<void> {
  const due = undo.filter((u) => all || u.at <= Date.now());
  for (const u of due) {
    undo.splice(undo.indexOf(u), 1);
    await u.run();
  }
}

/** Lift every fault, undo every pending change, and check the invariant. */
async function quiesceAndCheck(final: boolean): Promise<InvariantReport> {
  await runUndos(true);
  api().faults.clear();
  ali().clearFaults();
  ali().rateLimit(undefined);
  ten().clearFaults();
  ten().configure({ actionInProgressMs: 0, rateLimits: { ModifyHostsCertificate: 20, UploadCertificate: 10, DeleteCertificate: 10 }, defaultRateLimit: 20 });
  // Revoked credentials are retried at RESYNC_INTERVAL (10 s): allow for it.
  const report = await stack.check({ timeoutMs: 60_000, ...(final ? { mustDeliverAfterMs: MUST_DELIVER_AFTER_MS } : {}) });
  checks.push({ at: elapsed(), convergedInMs: report.convergedInMs });
  return report;
}

async function sample(): Promise<void> {
  const p = operator;
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    const heap = await p.metric('cdn_cert_sync_nodejs_heap_size_used_bytes');
    const rss = await p.metric('cdn_cert_sync_process_resident_memory_bytes');
    if (heap > 0) samples.push({ at: elapsed(), pid: p.child.pid ?? 0, heapMB: heap / 2 ** 20, rssMB: rss / 2 ** 20 });
  } catch {
    // the process is being replaced
  }
}

/** Least-squares slope (MB per minute) and fitted growth over the span. */
function trend(points: Array<{ at: number; v: number }>): { slopeMBPerMin: number; growthMB: number } {
  const n = points.length;
  if (n < 2) return { slopeMBPerMin: 0, growthMB: 0 };
  const mx = points.reduce((s, p) => s + p.at, 0) / n;
  const my = points.reduce((s, p) => s + p.v, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.at - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.at - mx) * (p.v - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx; // MB per ms
  const span = points[n - 1]!.at - points[0]!.at;
  return { slopeMBPerMin: slope * 60_000, growthMB: slope * span };
}

function memoryVerdict() {
  const pid = samples.at(-1)?.pid;
  const life = samples.filter((s) => s.pid === pid);
  const lifeStart = life[0]?.at ?? 0;
  const lifeSpan = (life.at(-1)?.at ?? 0) - lifeStart;
  const warmup = Math.max(30_000, lifeSpan * 0.2);
  const measured = life.filter((s) => s.at - lifeStart >= warmup);
  // Troughs: the lowest heap of each window (after a GC), which a leak lifts and GC timing does not.
  const windowMs = Math.max(15_000, Math.min(60_000, (lifeSpan - warmup) / 8));
  const troughs: Array<{ at: number; v: number }> = [];
  for (let w = measured[0]?.at ?? 0; w <= (measured.at(-1)?.at ?? -1); w += windowMs) {
    const inWindow = measured.filter((s) => s.at >= w && s.at < w + windowMs);
    if (inWindow.length > 0) troughs.push({ at: w, v: Math.min(...inWindow.map((s) => s.heapMB)) });
  }
  const heap = trend(troughs);
  const rss = trend(measured.map((s) => ({ at: s.at, v: s.rssMB })));
  const enough = troughs.length >= 3;
  const pass = !enough || (heap.growthMB <= HEAP_GROWTH_BOUND_MB && rss.growthMB <= RSS_GROWTH_BOUND_MB);
  return {
    samples: samples.length,
    measuredLifeSeconds: Math.round(lifeSpan / 1000),
    warmupSeconds: Math.round(warmup / 1000),
    windows: troughs.length,
    heapTroughsMB: troughs.map((t) => Math.round(t.v * 10) / 10),
    heapSlopeMBPerMin: Math.round(heap.slopeMBPerMin * 100) / 100,
    heapGrowthMB: Math.round(heap.growthMB * 10) / 10,
    rssSlopeMBPerMin: Math.round(rss.slopeMBPerMin * 100) / 100,
    rssGrowthMB: Math.round(rss.growthMB * 10) / 10,
    bound: `heap troughs grow ≤ ${HEAP_GROWTH_BOUND_MB} MB and RSS ≤ ${RSS_GROWTH_BOUND_MB} MB over the measured span (after warm-up)`,
    judged: enough,
    pass,
  };
}

// --- The run -------------------------------------------------------------------

const sampler = setInterval(() => void sample(), SAMPLE_EVERY_MS);
try {
  log(`seed ${SEED}, ${MINUTES} min, ${SITES} sites; fuzzing ${FUZZ_RUNS} Secrets first`);
  const material = await fuzzMaterial();
  const fuzz = await fuzzReconciler(material, { numRuns: FUZZ_RUNS, seed: SEED });
  log(`fuzz: ${JSON.stringify(fuzz.byReason)} in ${fuzz.ms} ms`);
  summary.fuzz = fuzz;

  await setup();
  await startOperator();
  await quiesceAndCheck(false);
  log('all sites synced; chaos begins');

  const chaosStart = elapsed();
  const killPhaseEnd = chaosStart + (RUN_MS - chaosStart) * KILL_PHASE;
  let nextCheck = Date.now() + CHECK_EVERY_MS;
  let ticks = 0;
  const maxTicks = Math.ceil(RUN_MS / 250); // bounded whatever the clock does
  while (elapsed() < RUN_MS && ticks++ < maxTicks) {
    await runUndos(false);
    const allowed = actions.filter((a) => !a.killPhaseOnly || elapsed() < killPhaseEnd);
    const total = allowed.reduce((s, a) => s + a.weight, 0);
    let r = random() * total;
    const action = allowed.find((a) => (r -= a.weight) < 0) ?? allowed[0]!;
    count(action.name);
    await action.run();
    if (Date.now() >= nextCheck && RUN_MS - elapsed() > CHECK_EVERY_MS / 2) {
      const report = await quiesceAndCheck(false);
      log(`checkpoint: converged in ${report.convergedInMs} ms (${stack.ledger.renewals.length} renewals so far)`);
      nextCheck = Date.now() + CHECK_EVERY_MS;
    }
    // Pacing of the chaos (not synchronisation): 0.5 to 2.5 s between actions.
    await new Promise((resolve) => setTimeout(resolve, 500 + random() * 2_000));
  }
  log('chaos over; final check');
  const report = await quiesceAndCheck(true);
  summary.invariant = report;
} catch (err) {
  failure = err instanceof InvariantError ? err.message : err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
} finally {
  clearInterval(sampler);
}

await sample();
const memory = memoryVerdict();
if (!failure && !memory.pass) failure = `memory grew beyond the bound: heap troughs +${memory.heapGrowthMB} MB, RSS +${memory.rssGrowthMB} MB`;
summary = {
  pass: !failure,
  ...(failure ? { failure } : {}),
  seed: SEED,
  minutes: MINUTES,
  elapsedSeconds: Math.round(elapsed() / 1000),
  sites: SITES,
  renewals: stack.ledger.renewals.length,
  actions: counts,
  operatorProcesses: stack.procs.length,
  checks,
  ...summary,
  memory,
  run: randomBytes(4).toString('hex'),
};
await stack.stop().catch(() => undefined);
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exit(failure ? 1 : 0);
