// `npm run demo` in CI mode, as a child process: it must converge both
// bindings on the renewed certificates through the provider storms, report
// it in its JSON summary, and leave no process behind, also when it is
// interrupted or runs out of time.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './processes.ts';
import type { Summary } from './report.ts';

const NODE = existsSync(join(REPO_ROOT, 'node_modules/.bin/node')) ? join(REPO_ROOT, 'node_modules/.bin/node') : process.execPath;
const HEX64 = /^[0-9a-f]{64}$/;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
  summary: Summary | undefined;
  /** The processes the demo announced once its sandbox was up. */
  started: Array<{ name: string; pid: number; urls: string[] }>;
}

const running = new Set<ChildProcess>();

// A demo still running after its test (a failed assertion, a timeout) is killed; its
// children then stop themselves (test/harness/guard.ts).
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Runs the demo; `onLine` sees each stdout line as it comes (to interrupt it at a chosen point). */
function runDemo(args: string[], onLine?: (line: string, stop: (signal: NodeJS.Signals) => void) => void): Promise<Run> {
  const child = spawn(NODE, ['test/demo/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const run: Run = { code: null, signal: null, lines: [], stderr: '', summary: undefined, started: [] };
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  createInterface(child.stdout).on('line', (line) => {
    run.lines.push(line);
    if (line.startsWith('{"demo":')) {
      const parsed = JSON.parse(line) as { demo: string; processes?: Run['started'] };
      if (parsed.demo === 'sandbox') run.started = parsed.processes ?? [];
      else run.summary = parsed as Summary;
    }
    onLine?.(line, (signal) => child.kill(signal));
  });
  return new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ ...run, code, signal }));
  });
}

function output(run: Run): string {
  return `stdout:\n${run.lines.join('\n')}\nstderr:\n${run.stderr}`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Resolves with the connect error code (ECONNREFUSED when nothing listens), or `connected`. */
function probe(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

const ALL = ['alibaba-emulator', 'kube-apiserver', 'operator', 'tencent-emulator'];

/** Every process is gone and none of its ports accepts connections. */
async function expectNothingLeft(processes: ReadonlyArray<{ name: string; pid: number; urls: string[] }>): Promise<void> {
  for (const p of processes) {
    expect(isRunning(p.pid), `${p.name} (pid ${p.pid}) still running`).toBe(false);
    for (const url of p.urls) expect(await probe(url), `${p.name} still listening on ${url}`).toBe('ECONNREFUSED');
  }
}

describe('npm run demo --ci', () => {
  it('converges both bindings on the renewed certificates through the storms, and stops everything', async () => {
    // Its own deadline comes before the test's, so a run that hangs still cleans up and reports.
    const run = await runDemo(['--ci', '--timeout', '60']);
    expect(run.code, output(run)).toBe(0);
    const summary = run.summary;
    expect(summary, output(run)).toBeDefined();
    if (!summary) return;
    expect(summary.demo).toBe('ok');
    expect(summary.elapsedMs).toBeLessThan(60_000);

    const expected = { 'demo/example-com': ['alibaba', 'ServiceBusy'], 'demo/example-org': ['tencent', 'InvalidParameter.ActionInProgress'] };
    expect(summary.bindings.map((b) => b.name).sort()).toEqual(Object.keys(expected));
    for (const b of summary.bindings) {
      const [provider, code] = expected[b.name as keyof typeof expected];
      expect(b.provider).toBe(provider);
      expect(b.initialFingerprint).toMatch(HEX64);
      expect(b.renewedFingerprint).toMatch(HEX64);
      expect(b.renewedFingerprint).not.toBe(b.initialFingerprint);
      expect(b.converged).toBe(true);
      expect([b.ready, b.reason]).toEqual(['True', 'Synced']);
      expect(b.targets).toHaveLength(2);
      for (const t of b.targets) expect(t.servingFingerprint, `${b.name} ${t.name}`).toBe(b.renewedFingerprint);
      // The retries were visible: the status said Syncing with the provider's code.
      expect(b.retryCodes).toContain(code);
    }
    for (const storm of summary.storms) {
      expect(storm.seenInStatus).toBe(true);
      expect(storm.refusedCalls).toBeGreaterThan(0);
    }

    // From the operator's own metrics.
    expect(summary.retries.total).toBeGreaterThan(0);
    expect(summary.retries.byCode['ServiceBusy']).toBeGreaterThan(0);
    expect(summary.retries.byCode['InvalidParameter.ActionInProgress']).toBeGreaterThan(0);
    // Two domains, two certificates: at least four successful pushes; one EdgeOne push per certificate.
    expect(summary.providerCalls['alibaba']?.['SetCdnDomainSSLCertificate']?.['OK']).toBeGreaterThanOrEqual(4);
    expect(summary.providerCalls['tencent']?.['ModifyHostsCertificate']?.['OK']).toBeGreaterThanOrEqual(2);

    // The operator stopped cleanly on SIGTERM; so did the servers.
    for (const p of summary.processes) expect(p.exit, p.name).toBe('exit code 0');
    expect(run.started.map((p) => p.name).sort()).toEqual(ALL);
    expect(run.started.map((p) => p.pid).sort()).toEqual(summary.processes.map((p) => p.pid).sort());
    await expectNothingLeft(run.started);
    expect(run.lines.join('\n')).not.toContain('PRIVATE KEY');
  }, 90_000);

  it('stops every process and exits 130 when interrupted with SIGINT', async () => {
    let sent = false;
    const run = await runDemo(['--ci', '--timeout', '45'], (line, stop) => {
      // Mid-scenario: the operator is reconciling the new bindings.
      if (!sent && line.includes('created binding')) {
        sent = true;
        stop('SIGINT');
      }
    });
    expect(sent, output(run)).toBe(true);
    expect(run.code, output(run)).toBe(130);
    expect(run.summary?.demo).toBe('interrupted');
    expect(run.started.map((p) => p.name).sort()).toEqual(ALL);
    await expectNothingLeft(run.started);
  }, 60_000);

  it('fails with exit code 1 when it cannot converge in time, and still stops everything', async () => {
    const run = await runDemo(['--ci', '--timeout', '4']);
    try {
      expect(run.code, output(run)).toBe(1);
      expect(run.summary?.demo).toBe('failed');
      expect(run.summary?.error).toContain('did not converge within 4 s');
      expect(run.summary?.bindings.some((b) => b.converged)).toBe(false);
      // Depending on the machine's speed the deadline may come before the sandbox is complete:
      // the summary lists whatever was started.
      const processes = run.summary?.processes ?? [];
      expect(processes.length).toBeGreaterThan(0);
      for (const p of processes) expect(p.exit, p.name).not.toBe('running');
      await expectNothingLeft(processes);
    } finally {
      if (run.summary?.logs) rmSync(run.summary.logs, { recursive: true, force: true });
    }
  }, 60_000);
});
