// `npm run demo`: the operator end to end on loopback, with nothing but
// `npm ci`. Starts a Kubernetes API server, Alibaba Cloud CDN and Tencent
// Cloud EdgeOne emulators and the real operator (node src/main.ts) as child
// processes; creates cert-manager-style TLS Secrets and two bindings; renews
// both certificates during provider storms; shows it all live; stops
// everything it started, whatever happens.
//
//   node test/demo/main.ts [--ci] [--keep] [--timeout SECONDS]
//
// Exit code 0 when both bindings converged on the renewed certificates
// within the time limit, 1 when not, 128+n after signal n.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyOf, Monitor, type Snapshot } from './monitor.ts';
import { describeExit, ProcessGroup } from './processes.ts';
import { buildSummary, operatorCalls, parseMetrics, summaryText, type OperatorCalls, type Summary } from './report.ts';
import { Sandbox, WORKLOAD_NAMESPACE } from './sandbox.ts';
import { ALIBABA_BINDING, BINDINGS, EventLog, Scenario, TENCENT_BINDING } from './scenario.ts';
import { LiveTable, PlainRenderer, stamp, type Renderer } from './table.ts';

const USAGE = `Usage: npm run demo [-- --ci] [-- --keep] [-- --timeout SECONDS]

  --ci         Non-interactive: plain lines, then one JSON summary line (also when CI=true).
  --keep       Keep everything running after the scenario, with kubectl hints; Ctrl-C stops it.
  --timeout N  Fail when the scenario has not converged after N seconds (default 90).
`;

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type StopSignal = keyof typeof SIGNALS;

let values: { ci?: boolean; keep?: boolean; timeout?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { ci: { type: 'boolean' }, keep: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const timeoutSeconds = Number(values.timeout ?? '90');
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
  process.stderr.write(`--timeout wants a number of seconds, got ${values.timeout}\n`);
  process.exit(2);
}

const started = Date.now();
const ci = values.ci === true || ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
const keep = values.keep === true;
const tty = !ci && process.stdout.isTTY === true;
const color = tty && !process.env.NO_COLOR;
const now = () => Date.now() - started;

const events = new EventLog(started);
const group = new ProcessGroup({
  onUnexpectedExit: (child, exit) => requestStop({ error: `${child.name} (pid ${child.pid}) exited unexpectedly (${describeExit(exit)})` }),
});
let renderer: Renderer = tty
  ? new LiveTable(process.stdout, { title: 'cdn-cert-sync demo', now, color })
  : new PlainRenderer(process.stdout);
events.onEvent((e) => renderer.event(e));

// Whatever else happens, no child outlives this process (guard.ts covers SIGKILL).
process.on('exit', () => {
  group.killAllNow();
  if (tty) process.stdout.write('\x1b[?25h'); // the live table hides the cursor
});

// Stop requests: a signal (twice: at once), a fatal error, or the deadline.
let stopReason: { signal?: StopSignal; error?: string } | undefined;
let requestStop: (reason: { signal?: StopSignal; error?: string }) => void = () => {};
const stopRequested = new Promise<{ signal?: StopSignal; error?: string }>((resolve) => {
  requestStop = (reason) => {
    if (stopReason) return;
    stopReason = reason;
    resolve(reason);
  };
});
for (const signal of Object.keys(SIGNALS) as StopSignal[]) {
  process.on(signal, () => {
    if (stopReason?.signal) {
      // The second Ctrl-C: no more waiting.
      group.killAllNow();
      process.exit(128 + SIGNALS[signal]);
    }
    requestStop({ signal });
  });
}
const fatal = (err: unknown) => requestStop({ error: `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

/** `work`, unless a stop is requested or the deadline passes first. */
async function guarded<T>(work: Promise<T>, deadlineAt: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not converge within ${timeoutSeconds} s`)), Math.max(0, deadlineAt - Date.now()));
  });
  const stopped = stopRequested.then((r): never => {
    throw new Error(r.signal ? `interrupted by ${r.signal}` : (r.error ?? 'stopped'));
  });
  try {
    return await Promise.race([work, deadline, stopped]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readCalls(sandbox: Sandbox): Promise<OperatorCalls | undefined> {
  try {
    const res = await fetch(sandbox.operator.metricsUrl, { signal: AbortSignal.timeout(3_000) });
    return res.ok ? operatorCalls(parseMetrics(await res.text())) : undefined;
  } catch {
    return undefined;
  }
}

function latestOf(s: Snapshot | undefined) {
  return new Map(
    (s?.bindings ?? []).map((v) => [keyOf(v.binding), { ready: v.ready, reason: v.reason, serving: new Map(v.targets.map((t) => [t.name, t.serving])) }]),
  );
}

function keepInstructions(sandbox: Sandbox): string {
  const ns = WORKLOAD_NAMESPACE;
  // The test API server has no server-side printing (kubectl shows NAME and AGE only): ask for columns.
  const ready = '.status.conditions[?(@.type=="Ready")]';
  return [
    '',
    'Everything is still running. In another terminal:',
    '',
    `  kubectl --kubeconfig ${sandbox.kubeconfig} get ccb -A`,
    '',
    `  export KUBECONFIG=${sandbox.kubeconfig}`,
    `  kubectl get ccb -A -o custom-columns='NAMESPACE:.metadata.namespace,NAME:.metadata.name,READY:${ready}.status,REASON:${ready}.reason,CERTIFICATE:.status.certificate.fingerprintSHA256'`,
    `  kubectl describe ccb -n ${ns} ${ALIBABA_BINDING.name}`,
    `  kubectl get events -n ${ns} -o custom-columns='TYPE:.type,REASON:.reason,OBJECT:.involvedObject.name,MESSAGE:.message'`,
    `  kubectl patch ccb -n ${ns} ${TENCENT_BINDING.name} --type merge -p '{"spec":{"suspend":true}}'`,
    `  curl -s ${sandbox.operator.metricsUrl} | grep '^cdn_cert_sync_provider_api_calls_total'`,
    `  curl -s ${sandbox.alibaba.url}/__emulator/domains/example.com       # what Alibaba CDN serves`,
    `  curl -s ${sandbox.tencent.admin}/__emulator/zones/${TENCENT_BINDING.zoneId}   # what EdgeOne serves`,
    `  tail -f ${sandbox.operator.logFile}`,
    '',
    'Press Ctrl-C to stop everything.',
  ].join('\n');
}

async function main(): Promise<number> {
  const deadlineAt = started + timeoutSeconds * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'cdn-cert-sync-demo-'));
  let sandbox: Sandbox | undefined;
  let monitor: Monitor | undefined;
  let scenario: Scenario | undefined;
  let outcome: Summary['demo'] = 'failed';
  let error: string | undefined;
  let calls: OperatorCalls | undefined;

  events.add(`starting the sandbox (logs in ${dir})`);
  try {
    await guarded(
      (async () => {
        sandbox = await Sandbox.start({
          group,
          dir,
          layout: { alibabaDomains: ALIBABA_BINDING.targets, tencentZone: { zoneId: TENCENT_BINDING.zoneId ?? '', hosts: TENCENT_BINDING.targets } },
          step: (text) => events.add(text),
        });
        if (ci) process.stdout.write(`${JSON.stringify({ demo: 'sandbox', processes: sandbox.processes })}\n`);
        monitor = new Monitor(sandbox, BINDINGS, started);
        monitor.onSnapshot((s) => renderer.snapshot(s));
        scenario = new Scenario({ sandbox, monitor, events, interactive: !ci, stepTimeoutMs: 45_000 });
        monitor.start();
        await scenario.run();
      })(),
      deadlineAt,
    );
    outcome = 'ok';
  } catch (err) {
    outcome = stopReason?.signal ? 'interrupted' : 'failed';
    error = errorText(err);
    events.add(outcome === 'interrupted' ? error : `FAILED: ${error}`);
  }

  if (sandbox && !stopReason) calls = await readCalls(sandbox);
  const summarize = (extra: { logs?: string } = {}) =>
    buildSummary({
      outcome,
      error,
      elapsedMs: now(),
      progress: scenario?.progress ?? [],
      storms: scenario?.storms ?? [],
      latest: latestOf(monitor?.latest),
      calls,
      processes: group.children.map((c) => ({
        name: c.name,
        pid: c.pid,
        urls: sandbox?.processes.find((p) => p.pid === c.pid)?.urls ?? [],
        exit: 'running',
      })),
      logs: extra.logs,
    });

  let summaryPrinted = false;
  if (keep && sandbox && !stopReason) {
    renderer.stop();
    renderer.print(summaryText(summarize(), color));
    summaryPrinted = outcome === 'ok';
    renderer.print(keepInstructions(sandbox));
    // Keep showing what happens while a person experiments.
    renderer = tty ? new LiveTable(process.stdout, { title: 'cdn-cert-sync demo (kept running; Ctrl-C stops)', now, color }) : new PlainRenderer(process.stdout);
    if (monitor) renderer.snapshot(monitor.latest);
    const reason = await stopRequested;
    if (reason.error) {
      outcome = 'failed';
      error = reason.error;
    }
  }

  // Stop everything: the operator first (it drains and exits 0 on SIGTERM), then the servers.
  monitor?.stop();
  renderer.stop();
  process.stdout.write(`${stamp(now())} stopping every process\n`);
  await group.stopAll();
  await sandbox?.closeLogs();
  const leftovers = group.children.filter((c) => c.running);
  if (leftovers.length > 0 && outcome === 'ok') {
    outcome = 'failed';
    error = `processes still running: ${leftovers.map((c) => `${c.name} (${c.pid})`).join(', ')}`;
  }

  const keepLogs = outcome === 'failed';
  if (!keepLogs) rmSync(dir, { recursive: true, force: true });
  const summary = summarize(keepLogs ? { logs: dir } : {});
  summary.processes = await Promise.all(
    group.children.map(async (c) => ({
      name: c.name,
      pid: c.pid,
      urls: sandbox?.processes.find((p) => p.pid === c.pid)?.urls ?? [],
      exit: c.running ? 'running' : describeExit(await c.exited),
    })),
  );
  if (keepLogs) {
    // The operator's last lines, and those of any process that did not stop cleanly.
    for (const c of group.children) {
      if (c.running) continue;
      const exit = await c.exited;
      const tail = c.tail();
      if (tail && (c.name === 'operator' || exit.code !== 0)) process.stderr.write(`\n${c.name} (${describeExit(exit)}), last output:\n${tail}\n`);
    }
  }
  if (!(summaryPrinted && outcome === 'ok')) process.stdout.write(`${summaryText(summary, color)}\n`);
  if (ci) process.stdout.write(`${JSON.stringify(summary)}\n`);

  if (outcome === 'interrupted' && stopReason?.signal) return 128 + SIGNALS[stopReason.signal];
  return outcome === 'ok' ? 0 : 1;
}

main().then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void group.stopAll().finally(() => process.exit(1));
  },
);
