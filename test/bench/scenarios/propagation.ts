// Scenario 1, propagation: with N in-sync Alibaba bindings, renew Secrets one
// at a time and time, from just before the Secret write:
//   watch   a plain client-node Watch on TLS Secrets in the driver sees the update (the yardstick);
//   observe the emulator receives the operator's first read of the domain;
//   deploy  the emulator receives SetCdnDomainSSLCertificate for the domain;
//   ready   the driver's binding watch sees Ready=True with the new fingerprint.
// Goal: p99 deploy latency within 100 ms of the p99 watch latency measured alongside.
import { issueCerts, layoutBindings } from '../lib/fixtures.ts';
import { goal, type ScenarioResult } from '../lib/report.ts';
import { Stack, type Log } from '../lib/stack.ts';
import { sleep } from '../lib/processes.ts';
import { summarize } from '../lib/stats.ts';
import { epochNow } from '../lib/watch.ts';

const POOL = 20;
const SLACK_MS = 100;

export interface PropagationOptions {
  sizes: number[];
  renewals: number;
  log: Log;
}

interface Sample {
  watchMs: number;
  observeMs: number;
  deployMs: number;
  readyMs: number;
}

export async function propagation(opts: PropagationOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const results: Record<string, unknown> = {};
  const goals = [];
  const notes: string[] = [];
  for (const size of opts.sizes) {
    opts.log(`propagation: ${size} bindings, ${opts.renewals} renewals one at a time`);
    const run = await propagationRun(size, opts.renewals, opts.log);
    const watch = summarize(run.samples.map((s) => s.watchMs));
    const deploy = summarize(run.samples.map((s) => s.deployMs));
    const observe = summarize(run.samples.map((s) => s.observeMs));
    const ready = summarize(run.samples.map((s) => s.readyMs));
    const excess = summarize(run.samples.map((s) => s.deployMs - s.watchMs));
    const watchToObserve = summarize(run.samples.map((s) => s.observeMs - s.watchMs));
    const observeToDeploy = summarize(run.samples.map((s) => s.deployMs - s.observeMs));
    results[`bindings_${size}`] = {
      renewals: run.samples.length,
      missed: run.missed,
      startupSeconds: run.startupSeconds,
      providerCallsAtStartup: run.startupCalls,
      latencyMs: { watch, observe, deploy, ready },
      breakdownMs: { deployMinusWatch: excess, watchToObserve, observeToDeploy },
    };
    const limit = watch.p99 + SLACK_MS;
    goals.push(goal(`${size} bindings: p99 Secret write -> deploy call (ms), limit p99 plain watch + ${SLACK_MS} ms`, deploy.p99, limit, 'ms'));
    if (run.missed > 0) notes.push(`${size} bindings: ${run.missed} renewals did not complete within the timeout and are left out.`);
    if (deploy.p99 > limit) {
      notes.push(
        `${size} bindings: deploy p99 ${deploy.p99} ms vs watch p99 ${watch.p99} ms; between the watch event and the deploy call: ` +
          `to the first provider read p99 ${watchToObserve.p99} ms, read to deploy p99 ${observeToDeploy.p99} ms.`,
      );
    }
  }
  return {
    name: 'propagation',
    title: 'Renewal propagation: Secret write to CDN deploy call',
    setup: { provider: 'alibaba', sizes: opts.sizes, renewalsPerSize: opts.renewals, certificatePool: POOL, slackMs: SLACK_MS, operator: 'defaults (CONCURRENCY 4, DRIFT_CHECK_RATE 10, RESYNC_INTERVAL 1h)' },
    results,
    goals,
    met: goals.every((g) => g.met),
    notes,
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
}

async function propagationRun(size: number, renewals: number, log: Log) {
  const stack = await Stack.start(`propagation-${size}`, log);
  let failed = false;
  try {
    const bindings = layoutBindings('alibaba', size);
    const pool = await issueCerts(POOL);
    const fresh = await issueCerts(renewals);
    const syncedAt = new Date(Date.now() - 60_000);
    await stack.seedInSync({ bindings, certs: pool, certFor: (b) => b.index % POOL, lastSyncFor: () => syncedAt });
    const bindingWatch = await stack.bindingWatch();
    const secretWatch = await stack.secretWatch();

    const spawned = epochNow();
    const op = await stack.startOperator();
    const reconciled = await stack.waitReconciled(op, size, 300_000);
    const startupSeconds = Number(((reconciled - spawned) / 1000).toFixed(2));
    await sleep(2_000);
    const startup = await stack.newCalls();
    const startupCalls = startup.alibaba.length + startup.tencent.length;
    log(`  operator started: ${size} bindings reconciled in ${startupSeconds} s, ${startupCalls} provider calls`);

    const samples: Sample[] = [];
    let missed = 0;
    // A stride co-prime with the size visits distinct bindings spread over every namespace.
    const stride = strideFor(size);
    for (let j = 0; j < renewals; j++) {
      const b = bindings[(j * stride) % size]!;
      const cert = fresh[j]!;
      const t0 = epochNow();
      const rv = await stack.renew(b, cert);
      const [watchAt, readyAt] = await Promise.all([
        secretWatch.when(b.namespace, b.secretName, rv, 15_000),
        bindingWatch.readyWith(b.key, cert.summary.fingerprintSHA256, 30_000),
      ]);
      const calls = await stack.newCalls();
      const observe = calls.alibaba.find((c) => c.action === 'DescribeDomainCertificateInfo' && c.target === b.target && c.at >= t0);
      const deploy = calls.alibaba.find((c) => c.action === 'SetCdnDomainSSLCertificate' && c.target === b.target && c.at >= t0);
      if (watchAt === undefined || readyAt === undefined || !observe || !deploy) {
        missed += 1;
        log(`  renewal ${j} of ${b.key} incomplete (watch ${!!watchAt}, observe ${!!observe}, deploy ${!!deploy}, ready ${!!readyAt})`);
        continue;
      }
      samples.push({ watchMs: watchAt - t0, observeMs: observe.at - t0, deployMs: deploy.at - t0, readyMs: readyAt - t0 });
      await sleep(50);
    }
    secretWatch.stop();
    bindingWatch.stop();
    const deploy = summarize(samples.map((s) => s.deployMs));
    const watch = summarize(samples.map((s) => s.watchMs));
    log(`  watch p50/p99 ${watch.median}/${watch.p99} ms; deploy p50/p99 ${deploy.median}/${deploy.p99} ms`);
    return { samples, missed, startupSeconds, startupCalls };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await stack.stop(failed || !!process.env.BENCH_KEEP_LOGS);
  }
}

function strideFor(size: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7919;
  while (gcd(stride, size) !== 1) stride += 2;
  return stride;
}
