// The benchmarks (`npm run bench`, after `npm run build`): the operator
// (dist/main.js) as its own process against the test Kubernetes API server
// and the Alibaba Cloud CDN and Tencent Cloud EdgeOne emulators, each a
// process of its own, all on loopback.
//
//   node test/bench/main.ts [--quick] [--scenario NAME]... [--no-readme]
//
// Scenarios: propagation, mass-renewal, restart, memory (default: all).
// --quick runs smaller sizes (a smoke run of a few minutes).
// JSON results on stdout (one object); progress and a summary on stderr; the
// results and the machine are written into README.md between
// <!-- bench:start --> and <!-- bench:end --> unless --no-readme (full runs
// only; a run of some scenarios replaces only theirs). BENCH_KEEP_LOGS=1
// keeps every process's log (they are kept anyway when a scenario fails).
// A full run takes about 25 minutes on two cores; --quick about 5.
//
// Timing on a shared two-core machine is noisy: every goal is a ratio
// against a limit measured in the same run (or a fixed budget), reported
// with medians and p99s; nothing here fails on an absolute time.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/processes.ts';
import { machine, type ScenarioResult } from './lib/report.ts';
import { updateReadme } from './readme.ts';
import { massRenewal } from './scenarios/mass-renewal.ts';
import { memory } from './scenarios/memory.ts';
import { propagation } from './scenarios/propagation.ts';
import { restart } from './scenarios/restart.ts';
import { summaryText } from './summary.ts';

const SCENARIOS = ['propagation', 'mass-renewal', 'restart', 'memory'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true, default: [] },
    'no-readme': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write('usage: node test/bench/main.ts [--quick] [--scenario propagation|mass-renewal|restart|memory]... [--no-readme]\n');
  process.exit(0);
}
const unknown = values.scenario.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; one of ${SCENARIOS.join(', ')}\n`);
  process.exit(2);
}
if (!existsSync(join(REPO_ROOT, 'dist', 'main.js'))) {
  process.stderr.write('dist/main.js is missing: run `npm run build` first (npm run bench does)\n');
  process.exit(2);
}

const selected: ScenarioName[] = values.scenario.length > 0 ? (values.scenario as ScenarioName[]) : [...SCENARIOS];
const quick = values.quick;
const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const runners: Record<ScenarioName, () => Promise<ScenarioResult>> = {
  propagation: () => propagation({ sizes: quick ? [200, 1_000] : [1_000, 5_000], renewals: quick ? 40 : 200, log }),
  'mass-renewal': () =>
    massRenewal({
      bindings: quick ? 100 : 1_000,
      rounds: quick ? 2 : 3,
      log,
    }),
  restart: () => restart({ bindings: quick ? 2_000 : 10_000, restarts: quick ? 2 : 3, log }),
  memory: () => memory({ bindings: quick ? 2_000 : 10_000, opaque: quick ? 4_000 : 20_000, phaseSeconds: quick ? 20 : 60, log }),
};

const started = new Date();
const scenarios: ScenarioResult[] = [];
const failures: Array<{ name: string; error: string }> = [];
for (const name of selected) {
  log(`=== ${name}${quick ? ' (quick)' : ''}`);
  try {
    scenarios.push(await runners[name]());
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${name} failed: ${error}`);
    failures.push({ name, error: error.split('\n')[0] ?? error });
  }
}

const output = {
  machine: machine(),
  mode: quick ? 'quick' : 'full',
  startedAt: started.toISOString(),
  durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
  scenarios,
  ...(failures.length > 0 ? { failures } : {}),
  met: failures.length === 0 && scenarios.every((s) => s.met),
};

process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
process.stderr.write(`\n${summaryText(output)}\n`);

if (!values['no-readme']) {
  const outcome = updateReadme(join(REPO_ROOT, 'README.md'), output);
  log(outcome);
}
// Results are reported, never asserted: a missed goal is data, not a crash.
process.exitCode = failures.length > 0 ? 1 : 0;
