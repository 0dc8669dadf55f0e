// Human-readable renderings of the results: a plain-text summary for stderr
// and Markdown for the README's performance section.
import type { Goal, Machine, ScenarioResult } from './lib/report.ts';
import type { Summary } from './lib/stats.ts';

export interface BenchOutput {
  machine: Machine;
  mode: string;
  startedAt: string;
  durationSeconds: number;
  scenarios: ScenarioResult[];
  failures?: Array<{ name: string; error: string }>;
  met: boolean;
}

type Any = Record<string, unknown>;

const fmt = (s: Summary | undefined, unit = '') => (s ? `p50 ${s.median}${unit}, p99 ${s.p99}${unit}` : 'n/a');

/** A few lines of the figures that matter, per scenario. */
export function highlights(s: ScenarioResult): string[] {
  const r = s.results as Any;
  switch (s.name) {
    case 'propagation':
      return Object.entries(r).map(([key, value]) => {
        const v = value as { renewals: number; latencyMs: Record<string, Summary> };
        const size = key.replace('bindings_', '');
        return (
          `${size} bindings, ${v.renewals} renewals: plain watch ${fmt(v.latencyMs.watch, ' ms')}; ` +
          `deploy call ${fmt(v.latencyMs.deploy, ' ms')}; Ready ${fmt(v.latencyMs.ready, ' ms')}`
        );
      });
    case 'mass-renewal':
      return Object.entries(r).map(([provider, value]) => {
        const v = value as { idealSeconds: number; elapsedSeconds: Summary; efficiency: Summary; rateLimitErrors: number; rounds: Any[] };
        const calls = v.rounds[v.rounds.length - 1]?.callsByAction as Record<string, number> | undefined;
        return (
          `${provider}: all Ready in ${fmt(v.elapsedSeconds, ' s')} over ${v.rounds.length} rounds (ideal ${v.idealSeconds} s, ` +
          `efficiency median ${v.efficiency.median}, worst ${v.efficiency.min}); ${v.rateLimitErrors} rate-limit errors; ` +
          `calls in the last round ${JSON.stringify(calls ?? {})}`
        );
      });
    case 'restart': {
      const runs = (r.restarts as Any[]) ?? [];
      const first = r.firstStart as Any;
      return [
        `first start: ${first?.reconcileSeconds} s to reconcile all`,
        `restarts: reconcile_total reached the binding count in ${fmt(r.reconcileSeconds as Summary, ' s')}; ${r.writeCalls} provider writes`,
        ...runs.map(
          (run, i) =>
            `restart ${i + 1}: ${run.driftChecksDue} drift checks due, ${run.driftChecks} done in the first ${s.setup.observeSeconds} s, peak ${run.peakDriftChecksPerSecond}/s, ` +
            `mean ${run.meanDriftChecksPerSecond}/s; ${run.readCalls} reads (peak ${run.peakReadCallsPerSecond}/s); RSS ${run.operatorRssMiB} MiB`,
        ),
      ];
    }
    case 'memory': {
      const phases = (r.phases as Record<string, Any>) ?? {};
      return [
        `steady-state RSS ${fmt(r.steadyRssMiB as Summary, ' MiB')}; peak ${r.peakRssMiB} MiB`,
        ...Object.entries(phases).map(
          ([name, p]) =>
            `${name}: ${p.seconds} s, ${p.reconciles} reconciles, ${p.cpuSeconds} CPU s` +
            (p.cpuSecondsPer1000Reconciles !== null ? ` (${p.cpuSecondsPer1000Reconciles} CPU s per 1,000 reconciles)` : '') +
            `, RSS ${fmt(p.rssMiB as Summary, ' MiB')}`,
        ),
      ];
    }
    default:
      return [];
  }
}

function goalLine(g: Goal): string {
  return `${g.met ? 'MET   ' : 'MISSED'} ${g.name}: ${g.value} ${g.unit} (limit ${g.limit}, ratio ${g.ratio})`;
}

export function summaryText(out: BenchOutput): string {
  const m = out.machine;
  const lines = [
    `cdn-cert-sync benchmarks (${out.mode}) on ${m.cores} cores, ${m.cpuModel}, Node ${m.nodeVersion}: ${out.durationSeconds} s`,
  ];
  for (const s of out.scenarios) {
    lines.push('', `== ${s.title} (${s.durationSeconds} s)`);
    for (const h of highlights(s)) lines.push(`   ${h}`);
    for (const g of s.goals) lines.push(`   ${goalLine(g)}`);
    for (const n of s.notes) lines.push(`   note: ${n}`);
  }
  for (const f of out.failures ?? []) lines.push('', `== ${f.name} FAILED: ${f.error}`);
  lines.push('', out.met ? 'All goals met.' : 'Some goals were missed (see above).');
  return lines.join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** One scenario's Markdown, delimited so that a later run of only some scenarios replaces only theirs. */
export function scenarioMarkdown(s: ScenarioResult, out: BenchOutput): string {
  const m = out.machine;
  const lines = [
    `<!-- bench:scenario ${s.name} -->`,
    `#### ${s.title}`,
    '',
    `Measured ${out.startedAt.slice(0, 10)} on ${m.cores} cores (${m.cpuModel}), Node ${m.nodeVersion}, ${m.platform}; ${s.durationSeconds} s.`,
    '',
    '| Goal | Measured | Limit | Ratio | Met |',
    '| --- | --- | --- | --- | --- |',
    ...s.goals.map((g) => `| ${cell(g.name)} | ${g.value} ${g.unit} | ${g.limit} ${g.unit} | ${g.ratio} | ${g.met ? 'yes' : '**no**'} |`),
    '',
    ...highlights(s).map((h) => `- ${h}`),
    ...s.notes.map((n) => `- Note: ${n}`),
    `<!-- /bench:scenario ${s.name} -->`,
  ];
  return lines.join('\n');
}
