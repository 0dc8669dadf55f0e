// The end of the demo: what converged and how fast, the retries the storms
// caused, and the provider calls the operator made (from its own /metrics),
// as a human summary and as one JSON line for CI.
import { keyOf } from './monitor.ts';
import { seconds, short, type BindingProgress, type StormProgress } from './scenario.ts';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (comments and malformed lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

export interface OperatorCalls {
  /** provider → action → code → count. */
  byAction: Record<string, Record<string, Record<string, number>>>;
  /** Provider calls that failed (code other than OK). */
  failed: number;
  failedByCode: Record<string, number>;
  workqueueRetries: number;
}

export function operatorCalls(samples: readonly MetricSample[]): OperatorCalls {
  const out: OperatorCalls = { byAction: {}, failed: 0, failedByCode: {}, workqueueRetries: 0 };
  for (const s of samples) {
    if (s.name === 'cdn_cert_sync_provider_api_calls_total') {
      const { provider = '?', action = '?', code = '?' } = s.labels;
      const actions = (out.byAction[provider] ??= {});
      const codes = (actions[action] ??= {});
      codes[code] = (codes[code] ?? 0) + s.value;
      if (code !== 'OK') {
        out.failed += s.value;
        out.failedByCode[code] = (out.failedByCode[code] ?? 0) + s.value;
      }
    } else if (s.name === 'cdn_cert_sync_workqueue_retries_total') {
      out.workqueueRetries += s.value;
    }
  }
  return out;
}

export interface ProcessReport {
  name: string;
  pid: number;
  urls: string[];
  /** `exit code 0`, `signal SIGKILL`, or `running` (which would be a bug). */
  exit: string;
}

export interface Summary {
  demo: 'ok' | 'failed' | 'interrupted';
  error?: string;
  elapsedMs: number;
  bindings: Array<{
    name: string;
    provider: string;
    initialFingerprint: string | null;
    renewedFingerprint: string | null;
    /** Converged on the renewed certificate. */
    converged: boolean;
    ready: string | null;
    reason: string | null;
    /** From creation to Ready on the first certificate. */
    initialSyncMs: number | null;
    /** From the renewal to every target serving the renewed certificate. */
    convergeMs: number | null;
    /** Provider codes the binding's status showed while retrying. */
    retryCodes: string[];
    targets: Array<{ name: string; servingFingerprint: string | null }>;
  }>;
  storms: Array<{ provider: string; code: string; action: string; durationMs: number | null; refusedCalls: number | null; seenInStatus: boolean }>;
  retries: { total: number; byCode: Record<string, number>; workqueue: number };
  providerCalls: OperatorCalls['byAction'];
  processes: ProcessReport[];
  /** The logs directory, when kept (after a failure). */
  logs?: string;
}

export interface SummaryInput {
  outcome: Summary['demo'];
  error: string | undefined;
  elapsedMs: number;
  progress: readonly BindingProgress[];
  storms: readonly StormProgress[];
  /** The latest readings of each binding. */
  latest: ReadonlyMap<string, { ready: string | undefined; reason: string | undefined; serving: Map<string, string | undefined> }>;
  calls: OperatorCalls | undefined;
  processes: ProcessReport[];
  logs: string | undefined;
}

export function buildSummary(input: SummaryInput): Summary {
  const calls = input.calls ?? { byAction: {}, failed: 0, failedByCode: {}, workqueueRetries: 0 };
  return {
    demo: input.outcome,
    ...(input.error ? { error: input.error } : {}),
    elapsedMs: Math.round(input.elapsedMs),
    bindings: input.progress.map((p) => {
      const latest = input.latest.get(keyOf(p.binding));
      return {
        name: keyOf(p.binding),
        provider: p.binding.provider,
        initialFingerprint: p.initialFingerprint ?? null,
        renewedFingerprint: p.renewedFingerprint ?? null,
        converged: p.convergedAtMs !== undefined,
        ready: latest?.ready ?? null,
        reason: latest?.reason ?? null,
        initialSyncMs: p.initialSyncAtMs !== undefined && p.createdAtMs !== undefined ? p.initialSyncAtMs - p.createdAtMs : null,
        convergeMs: p.convergedAtMs !== undefined && p.renewedAtMs !== undefined ? p.convergedAtMs - p.renewedAtMs : null,
        retryCodes: [...p.retryCodes].sort(),
        targets: p.binding.targets.map((name) => ({ name, servingFingerprint: latest?.serving.get(name) ?? null })),
      };
    }),
    storms: input.storms.map((s) => ({
      provider: s.provider,
      code: s.code,
      action: s.action,
      durationMs: s.injectedAtMs !== undefined && s.clearedAtMs !== undefined ? s.clearedAtMs - s.injectedAtMs : null,
      refusedCalls: s.refusedCalls ?? null,
      seenInStatus: s.seenAtMs !== undefined,
    })),
    retries: { total: calls.failed, byCode: calls.failedByCode, workqueue: calls.workqueueRetries },
    providerCalls: calls.byAction,
    processes: input.processes,
    ...(input.logs ? { logs: input.logs } : {}),
  };
}

/** The summary for a person. */
export function summaryText(s: Summary, color: boolean): string {
  const paint = (text: string, code: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  const verdict = s.demo === 'ok' ? paint('converged', '32') : s.demo === 'interrupted' ? paint('interrupted', '33') : paint('FAILED', '31');
  lines.push('', `${paint('Summary', '1')}: ${verdict} in ${seconds(s.elapsedMs)}`);
  if (s.error) lines.push(`  ${paint(s.error, '31')}`);
  for (const b of s.bindings) {
    const mark = b.converged ? paint('✔', '32') : paint('✘', '31');
    const serving = b.targets.map((t) => `${t.name}=${short(t.servingFingerprint ?? undefined)}`).join(', ');
    lines.push(`  ${mark} ${b.name} (${b.provider}): ${serving}`);
    const details: string[] = [];
    if (b.initialSyncMs !== null) details.push(`Ready ${seconds(b.initialSyncMs)} after creation on ${short(b.initialFingerprint ?? undefined)}`);
    if (b.renewedFingerprint) {
      details.push(
        b.convergeMs !== null
          ? `renewed to ${short(b.renewedFingerprint)}: served everywhere ${seconds(b.convergeMs)} after the renewal`
          : `renewed to ${short(b.renewedFingerprint)}: not served everywhere yet (${b.ready ?? '-'}/${b.reason ?? '-'})`,
      );
    }
    if (b.retryCodes.length > 0) details.push(`status showed Syncing with ${b.retryCodes.join(', ')}`);
    if (details.length > 0) lines.push(`      ${details.join('; ')}`);
  }
  for (const storm of s.storms) {
    if (storm.durationMs === null) continue;
    lines.push(`  storm: ${storm.provider} ${storm.action} answered ${storm.code} for ${seconds(storm.durationMs)} (${storm.refusedCalls ?? '?'} calls refused)`);
  }
  const byCode = Object.entries(s.retries.byCode).map(([code, n]) => `${code} ${n}`).join(', ');
  lines.push(`  retries: ${s.retries.total} provider calls failed and were retried${byCode ? ` (${byCode})` : ''}; ${s.retries.workqueue} work-queue retries`);
  const providers = Object.entries(s.providerCalls);
  if (providers.length > 0) {
    lines.push('  provider calls by action (operator /metrics):');
    for (const [provider, actions] of providers) {
      for (const [action, codes] of Object.entries(actions).sort(([a], [b]) => a.localeCompare(b))) {
        const total = Object.values(codes).reduce((a, b) => a + b, 0);
        const failed = Object.entries(codes).filter(([code]) => code !== 'OK').map(([code, n]) => `${n} ${code}`);
        lines.push(`    ${provider.padEnd(8)} ${action.padEnd(36)} ${String(total).padStart(3)}${failed.length > 0 ? `  (${failed.join(', ')})` : ''}`);
      }
    }
  }
  const stopped = s.processes.filter((p) => p.exit !== 'running').length;
  lines.push(`  processes: ${s.processes.length} started, ${stopped} stopped (${s.processes.map((p) => `${p.name} ${p.exit}`).join(', ')})`);
  if (s.logs) lines.push(`  logs kept in ${s.logs}`);
  return lines.join('\n');
}
