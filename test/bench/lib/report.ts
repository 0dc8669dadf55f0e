// The shape of the benchmark's results: one object per scenario, each with
// its measurements and goals. A goal compares a value measured in the run
// with a limit (measured in the same run where there is one, such as a
// plain watch client's latency) and says whether it was met.
import { cpus } from 'node:os';

export interface Goal {
  /** What is compared, in words. */
  name: string;
  value: number;
  limit: number;
  unit: string;
  /** value / limit; `better` says which way is good (lower: at most 1 is met; higher: at least 1). */
  ratio: number;
  better: 'lower' | 'higher';
  met: boolean;
}

export function goal(name: string, value: number, limit: number, unit: string, better: 'lower' | 'higher' = 'lower'): Goal {
  const ratio = limit === 0 ? (value === 0 ? 0 : Number.POSITIVE_INFINITY) : value / limit;
  const met = Number.isFinite(value) && (better === 'lower' ? value <= limit : value >= limit);
  return { name, value: round(value), limit: round(limit), unit, ratio: round(ratio), better, met };
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** Sizes, settings and what was repeated. */
  setup: Record<string, unknown>;
  /** Measurements: medians, p99s, counts. */
  results: Record<string, unknown>;
  goals: Goal[];
  met: boolean;
  /** Plain-language notes, including where the time goes when a goal is missed. */
  notes: string[];
  durationSeconds: number;
}

export interface Machine {
  cores: number;
  nodeVersion: string;
  cpuModel: string;
  platform: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    nodeVersion: process.version,
    cpuModel: (list[0]?.model ?? 'unknown').trim(),
    platform: `${process.platform}-${process.arch}`,
  };
}

function round(x: number, digits = 3): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
}
