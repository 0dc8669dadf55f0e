// The planner decides, without side effects, what must change: which targets
// to push the certificate to, and what the outcome of a round means for each
// target and for the binding as a whole.
import type { TargetStatus } from '../api/v1alpha1/schema.ts';
import { Reason } from '../errors.ts';
import type { Observation, ProviderError } from '../providers/provider.ts';
import { rfc3339 } from './conditions.ts';

export interface Plan {
  /** Targets that serve something else (or nothing): push the certificate there. */
  deploy: string[];
  /** Targets already serving the certificate. */
  inSync: string[];
  /** Targets that could not be read this round. */
  unreadable: Array<{ target: string; error: ProviderError }>;
}

export function planDeploy(targets: readonly string[], observations: readonly Observation[], fingerprint: string): Plan {
  const byTarget = new Map(observations.map((o) => [o.target, o]));
  const plan: Plan = { deploy: [], inSync: [], unreadable: [] };
  for (const target of targets) {
    const seen = byTarget.get(target);
    if (seen?.state === 'error') plan.unreadable.push({ target, error: seen.error });
    else if (seen?.state === 'serving' && seen.fingerprintSHA256 === fingerprint) plan.inSync.push(target);
    else plan.deploy.push(target);
  }
  return plan;
}

export type RoundOutcome =
  /** Every target verified. */
  | 'synced'
  /** Pushed, not yet verified: look again shortly. */
  | 'pending'
  /** A transient failure: retry with backoff. */
  | 'retry'
  /** The provider refused: nothing will change until the binding or Secret does. */
  | 'terminal';

export interface Assessment {
  targets: TargetStatus[];
  ready: { status: 'True' | 'False'; reason: Reason; message: string };
  outcome: RoundOutcome;
}

export interface RoundFacts {
  targets: readonly string[];
  fingerprint: string;
  /** The latest observation of each target (after verification, where a push happened). */
  observations: ReadonlyMap<string, Observation>;
  /** Targets whose read or write failed this round. */
  failures: ReadonlyMap<string, ProviderError>;
  /** Certificate ids the provider returned for pushed targets. */
  certificateIds: ReadonlyMap<string, string>;
  previous: readonly TargetStatus[] | undefined;
  now: Date;
}

const MAX_LISTED = 3;

/** The status of every target and the binding's Ready condition after one round. */
export function assess(facts: RoundFacts): Assessment {
  const previous = new Map((facts.previous ?? []).map((t) => [t.name, t]));
  const targets = facts.targets.map((name) => targetStatus(name, facts, previous.get(name)));

  const failed = targets.filter((t) => t.state === 'Failed');
  const retrying = facts.targets.filter((t) => facts.failures.get(t)?.retryable);
  const pending = targets.filter((t) => t.state === 'Pending');
  const short = facts.fingerprint.slice(0, 12);

  if (failed.length > 0) {
    return {
      targets,
      ready: { status: 'False', reason: Reason.ProviderRejected, message: listProblems('the provider rejected', failed) },
      outcome: retrying.length > 0 ? 'retry' : 'terminal',
    };
  }
  if (retrying.length > 0) {
    const rows = targets.filter((t) => retrying.includes(t.name));
    return {
      targets,
      ready: { status: 'False', reason: Reason.Syncing, message: listProblems('retrying', rows) },
      outcome: 'retry',
    };
  }
  if (pending.length > 0) {
    return {
      targets,
      ready: {
        status: 'False',
        reason: Reason.Syncing,
        message: `waiting for ${pending.length} of ${targets.length} targets to serve certificate ${short}`,
      },
      outcome: 'pending',
    };
  }
  return {
    targets,
    ready: { status: 'True', reason: Reason.Synced, message: `${targets.length} targets serve certificate ${short}` },
    outcome: 'synced',
  };
}

function targetStatus(name: string, facts: RoundFacts, previous: TargetStatus | undefined): TargetStatus {
  const seen = facts.observations.get(name);
  const failure = facts.failures.get(name);
  const status: TargetStatus = { name, state: 'Pending' };
  if (seen?.state === 'serving') {
    status.fingerprintSHA256 = seen.fingerprintSHA256;
    if (seen.certificateId) status.certificateId = seen.certificateId;
  } else if (previous?.fingerprintSHA256 && seen === undefined) {
    status.fingerprintSHA256 = previous.fingerprintSHA256;
  }
  const pushedId = facts.certificateIds.get(name);
  if (pushedId) status.certificateId = pushedId;
  else if (!status.certificateId && previous?.certificateId && seen?.state !== 'disabled') {
    status.certificateId = previous.certificateId;
  }
  if (previous?.lastSyncTime) status.lastSyncTime = previous.lastSyncTime;

  if (failure) {
    status.state = failure.retryable ? 'Pending' : 'Failed';
    status.message = failure.describe();
  } else if (seen?.state === 'serving' && seen.fingerprintSHA256 === facts.fingerprint) {
    status.state = 'Synced';
    status.lastSyncTime = rfc3339(facts.now);
  } else {
    status.message = 'waiting for the CDN to serve the certificate';
  }
  return status;
}

function listProblems(prefix: string, rows: readonly TargetStatus[]): string {
  const listed = rows.slice(0, MAX_LISTED).map((t) => `${t.name}: ${t.message ?? t.state}`);
  const more = rows.length > MAX_LISTED ? `; and ${rows.length - MAX_LISTED} more` : '';
  return `${prefix} ${listed.join('; ')}${more}`;
}
