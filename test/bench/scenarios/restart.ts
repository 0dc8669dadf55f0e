// Scenario 3, restart: N in-sync bindings (half Alibaba, half Tencent), the
// operator started, then restarted `restarts` times (SIGTERM, then a new
// process). For each restart, from the new process's start:
//   - provider write calls (goal 0: the statuses prove every target in sync);
//   - time until reconcile_total reaches N (goal under 30 s);
//   - drift checks (a binding's first provider read: DescribeDomainCertificateInfo or
//     DescribeAccelerationDomains) in any one-second window (goal: at most DRIFT_CHECK_RATE).
// A tenth of the bindings were last verified longer ago than RESYNC_INTERVAL,
// so their drift checks are due at once: the read budget is exercised, not
// just an idle restart. Each restart checks some of them; the next finds the rest still due.
import { issueCerts, layoutBindings, type BenchBinding } from '../lib/fixtures.ts';
import { sleep } from '../lib/processes.ts';
import { goal, type Goal, type ScenarioResult } from '../lib/report.ts';
import { Stack, type Log } from '../lib/stack.ts';
import { peakInWindow, round, summarize } from '../lib/stats.ts';
import { epochNow } from '../lib/watch.ts';

const POOL = 50;
const RESYNC_MS = 3_600_000;
const DRIFT_CHECK_RATE = 10;
const STALE_EVERY = 10;
const RECONCILE_GOAL_S = 30;
/** How long after a restart provider calls are collected. */
const OBSERVE_MS = 30_000;
const WRITE_ACTIONS = new Set(['SetCdnDomainSSLCertificate', 'UploadCertificate', 'ModifyHostsCertificate', 'DeleteCertificate']);
const FIRST_READS = new Set(['DescribeDomainCertificateInfo', 'DescribeAccelerationDomains']);

export interface RestartOptions {
  bindings: number;
  restarts: number;
  log: Log;
}

interface RestartRun {
  driftChecksDue: number;
  stopSeconds: number;
  reconcileSeconds: number;
  writeCalls: number;
  readCalls: number;
  readsByAction: Record<string, number>;
  driftChecks: number;
  /** What the budget allows in the window once every binding has been reconciled: min(due, rate x remaining seconds). */
  driftChecksExpected: number;
  peakDriftChecksPerSecond: number;
  peakReadCallsPerSecond: number;
  meanDriftChecksPerSecond: number;
  operatorCpuSecondsToReconciled: number;
  operatorRssMiB: number;
  apiRequests: Record<string, number>;
}

export async function restart(opts: RestartOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const stack = await Stack.start('restart', opts.log);
  let failed = false;
  const runs: RestartRun[] = [];
  let firstStart: Record<string, number> = {};
  try {
    const half = Math.floor(opts.bindings / 2);
    const bindings: BenchBinding[] = [...layoutBindings('alibaba', half), ...layoutBindings('tencent', opts.bindings - half)];
    const pool = await issueCerts(POOL);
    const now = Date.now();
    const stale = (b: BenchBinding) => b.index % STALE_EVERY === 0;
    await stack.seedInSync({
      bindings,
      certs: pool,
      certFor: (b) => b.index % POOL,
      // Recent ones spread over the last half hour (not due for another half hour at least).
      lastSyncFor: (b) => new Date(stale(b) ? now - RESYNC_MS - 120_000 : now - 60_000 - (b.index % 1_800) * 1_000),
    });
    const watch = await stack.bindingWatch();

    opts.log(`restart: first start with ${bindings.length} bindings`);
    const t0 = epochNow();
    const first = await stack.startOperator();
    const reconciled = await stack.waitReconciled(first, bindings.length, 300_000);
    firstStart = { reconcileSeconds: round((reconciled - t0) / 1000, 2), cpuSeconds: round(first.child.stats()?.cpuSeconds ?? Number.NaN, 2) };
    opts.log(`  first start: all reconciled in ${firstStart.reconcileSeconds} s`);
    await sleep(3_000);

    for (let r = 0; r < opts.restarts; r++) {
      const ts = epochNow();
      await stack.stopOperator();
      const stopSeconds = round((epochNow() - ts) / 1000, 2);
      await sleep(500);
      const due = [...watch.views.values()].filter((v) => Date.now() - Date.parse(v.lastSyncTime ?? '') > RESYNC_MS - 1_000).length;
      await stack.newCalls();
      await stack.apiRequests(true);

      const spawned = epochNow();
      const op = await stack.startOperator();
      const done = await stack.waitReconciled(op, bindings.length, 120_000);
      const cpu = op.child.stats()?.cpuSeconds ?? Number.NaN;
      const rss = op.child.stats()?.rssBytes ?? Number.NaN;
      const wait = spawned + OBSERVE_MS - epochNow();
      if (wait > 0) await sleep(wait);
      const calls = await stack.newCalls();
      const all = [...calls.alibaba, ...calls.tencent].filter((c) => c.at >= spawned);
      const writes = all.filter((c) => WRITE_ACTIONS.has(c.action));
      const reads = all.filter((c) => !WRITE_ACTIONS.has(c.action));
      const checks = reads.filter((c) => FIRST_READS.has(c.action));
      const readsByAction: Record<string, number> = {};
      for (const c of reads) readsByAction[c.action] = (readsByAction[c.action] ?? 0) + 1;
      const requests = await stack.apiRequests(true);
      const run: RestartRun = {
        driftChecksDue: due,
        stopSeconds,
        reconcileSeconds: round((done - spawned) / 1000, 2),
        writeCalls: writes.length,
        readCalls: reads.length,
        readsByAction,
        driftChecks: checks.length,
        driftChecksExpected: Math.max(0, Math.floor(Math.min(due, DRIFT_CHECK_RATE * (OBSERVE_MS / 1000 - (done - spawned) / 1000)))),
        peakDriftChecksPerSecond: peakInWindow(checks.map((c) => c.at)),
        peakReadCallsPerSecond: peakInWindow(reads.map((c) => c.at)),
        meanDriftChecksPerSecond: round(checks.length / (OBSERVE_MS / 1000), 2),
        operatorCpuSecondsToReconciled: round(cpu, 2),
        operatorRssMiB: round(rss / 2 ** 20, 1),
        apiRequests: Object.fromEntries(Object.entries(requests).filter(([k]) => k.startsWith('operator '))),
      };
      runs.push(run);
      opts.log(
        `  restart ${r + 1}: reconciled in ${run.reconcileSeconds} s, ${run.writeCalls} writes, ${run.driftChecks} drift checks ` +
          `(${due} due, ${run.driftChecksExpected} expected; peak ${run.peakDriftChecksPerSecond}/s), ${run.readCalls} reads (peak ${run.peakReadCallsPerSecond}/s)`,
      );
    }
    watch.stop();
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await stack.stop(failed || !!process.env.BENCH_KEEP_LOGS);
  }

  const reconcile = summarize(runs.map((r) => r.reconcileSeconds), 2);
  const writes = runs.reduce((sum, r) => sum + r.writeCalls, 0);
  const peak = Math.max(...runs.map((r) => r.peakDriftChecksPerSecond));
  const goals: Goal[] = [
    goal('provider write calls after restarts (all restarts)', writes, 0, 'calls'),
    goal(`p99 time until reconcile_total reaches ${opts.bindings} (s)`, reconcile.p99, RECONCILE_GOAL_S, 's'),
    goal('peak drift checks in any 1 s window (all restarts), limit DRIFT_CHECK_RATE', peak, DRIFT_CHECK_RATE, 'checks/s'),
  ];
  const notes: string[] = [];
  if (peak > DRIFT_CHECK_RATE) {
    notes.push(`Drift checks peaked at ${peak} in one second against DRIFT_CHECK_RATE=${DRIFT_CHECK_RATE}.`);
  }
  const done = runs.reduce((sum, r) => sum + r.driftChecks, 0);
  const expected = runs.reduce((sum, r) => sum + r.driftChecksExpected, 0);
  if (expected > 0 && done < expected / 2) {
    notes.push(`Only ${done} drift checks ran where the budget allowed ${expected}: due checks were not served at DRIFT_CHECK_RATE.`);
  }
  return {
    name: 'restart',
    title: 'Restart with in-sync bindings',
    setup: {
      bindings: opts.bindings,
      providers: 'half Alibaba, half Tencent',
      restarts: opts.restarts,
      staleFraction: 1 / STALE_EVERY,
      observeSeconds: OBSERVE_MS / 1000,
      operator: `defaults (CONCURRENCY 4, DRIFT_CHECK_RATE ${DRIFT_CHECK_RATE}, RESYNC_INTERVAL 1h)`,
    },
    results: { firstStart, reconcileSeconds: reconcile, writeCalls: writes, peakDriftChecksPerSecond: peak, driftChecksDone: done, driftChecksExpected: expected, restarts: runs },
    goals,
    met: goals.every((g) => g.met),
    notes,
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
}
