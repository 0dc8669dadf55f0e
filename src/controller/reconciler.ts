// reconcile(key), level-based: it reads the binding and its Secret from the
// caches (never the event that woke it), validates the certificate, asks the
// provider what the targets serve, pushes only what differs, verifies, and
// writes status once, only if it changed. Its only outcomes are success
// (maybe with a requeue after a delay), retry with backoff, and terminal
// failure.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.ts';
import {
  API_VERSION,
  FINALIZER,
  KIND,
  type BindingStatus,
  type CdnCertificateBinding,
  type CertificateSummary,
  type TargetStatus,
} from '../api/v1alpha1/schema.ts';
import { parseTlsSecret, uncoveredTargets } from '../certs/index.ts';
import type { CertificateBundle } from '../certs/types.ts';
import { OperatorError, Reason } from '../errors.ts';
import type { EventSink } from '../kube/events.ts';
import { TLS_SECRET_TYPE, type SecretLookup } from '../kube/secrets.ts';
import { providerModule, scopeOf, targetsOf, type ProviderName } from '../providers/catalog.ts';
import type { Drivers } from '../providers/drivers.ts';
import { ProviderError, type BindingRef, type Observation, type Provider, type ProviderScope } from '../providers/provider.ts';
import { eventTypeFor, findCondition, isTransition, READY, rfc3339, setCondition } from './conditions.ts';
import { resolveCredentials, type CredentialsDefaults, type CredentialsSource } from './credentials.ts';
import { keyOf, type BindingIndex } from './index.ts';
import { assess, planDeploy, type RoundOutcome } from './planner.ts';
import { SyncSchedule, type DriftBudget } from './schedule.ts';

export type Result =
  | { type: 'success'; requeueAfterMs?: number }
  | { type: 'retry'; reason: string }
  | { type: 'terminal'; reason: string };

export interface BindingWrites {
  writeStatus(binding: CdnCertificateBinding, status: BindingStatus): Promise<CdnCertificateBinding | undefined>;
  setFinalizers(binding: CdnCertificateBinding, finalizers: string[]): Promise<CdnCertificateBinding>;
}

export interface SecretSource {
  get(namespace: string, name: string): Promise<SecretLookup>;
}

/** What the metrics want to know after a reconcile; implemented in telemetry/. */
export interface BindingObserver {
  synced(key: string, servedNotAfter: Date | undefined, at: Date): void;
  forget(key: string): void;
}

export interface ReconcilerOptions {
  index: BindingIndex;
  secrets: SecretSource;
  credentials: CredentialsSource;
  credentialsDefaults: CredentialsDefaults;
  writer: BindingWrites;
  events: EventSink;
  providers: Drivers;
  logger: Logger;
  /** How often a binding in sync is checked against the CDN for drift. */
  resyncIntervalMs: number;
  /** How soon to look again after a push the CDN has not confirmed yet. */
  verifyDelayMs?: number;
  /**
   * Budget for periodic drift checks (provider reads of bindings already in
   * sync), shared by all bindings so that checks that fall due together are
   * spread out instead of bursting. Changes (a renewal, a spec edit) are
   * never held back by it.
   */
  driftChecks?: DriftBudget;
  /** False once this replica must stop writing (lost leadership); checked before every Kubernetes write. */
  mayWrite?: () => boolean;
  observer?: BindingObserver;
  /** The one clock (and the drift budget's, which the caller builds on it). */
  clock?: Clock;
  random?: () => number;
}

/** What one round concluded, before it is written down. */
interface Verdict {
  ready: { status: 'True' | 'False'; reason: Reason; message: string };
  certificate?: CertificateSummary;
  targets?: TargetStatus[];
  lastSyncTime?: string;
  result: Result;
}

function summary(bundle: CertificateBundle): CertificateSummary {
  const { leaf } = bundle;
  return {
    serialNumber: leaf.serialNumber,
    fingerprintSHA256: leaf.fingerprintSHA256,
    notBefore: rfc3339(leaf.notBefore),
    notAfter: rfc3339(leaf.notAfter),
    dnsNames: leaf.dnsNames,
  };
}

function failure(err: OperatorError): Verdict {
  const reason = err.reason ?? Reason.Syncing;
  const result: Result = err.retry === 'backoff' ? { type: 'retry', reason } : { type: 'terminal', reason };
  return { ready: { status: 'False', reason, message: err.message }, result };
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #clock: Clock;
  readonly #schedule: SyncSchedule;
  /** Background cleanups in flight, by binding key. */
  readonly #pruning = new Map<string, Promise<void>>();

  constructor(opts: ReconcilerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#schedule = new SyncSchedule({
      clock: this.#clock,
      resyncIntervalMs: opts.resyncIntervalMs,
      driftChecks: opts.driftChecks,
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  async reconcile(key: string): Promise<Result> {
    let binding = this.#o.index.get(key);
    if (!binding) {
      this.#schedule.forget(key);
      this.#o.observer?.forget(key);
      return { type: 'success' };
    }
    const log = this.#o.logger.child({ binding: key });
    if (binding.metadata.deletionTimestamp) return this.#finalize(binding, log);

    const wantsFinalizer = binding.spec.deletionPolicy === 'Disable';
    const finalizers = binding.metadata.finalizers ?? [];
    if (wantsFinalizer !== finalizers.includes(FINALIZER)) {
      const next = wantsFinalizer ? [...finalizers, FINALIZER] : finalizers.filter((f) => f !== FINALIZER);
      this.#assertMayWrite();
      binding = await this.#o.writer.setFinalizers(binding, next);
      log.debug({ finalizer: wantsFinalizer }, 'updated finalizer');
    }

    const verdict = await this.#sync(binding, log);
    await this.#record(binding, verdict, log);
    return verdict.result;
  }

  async #sync(binding: CdnCertificateBinding, log: Logger): Promise<Verdict> {
    const key = keyOf(binding.metadata.namespace, binding.metadata.name);
    const scope = scopeOf(binding.spec);
    if (!scope) {
      return failure(new OperatorError('CCS_PROVIDER_REJECTED', 'spec names no provider this operator was built with'));
    }
    const previous = binding.status;
    if (binding.spec.suspend) {
      return {
        ready: { status: 'False', reason: Reason.Suspended, message: 'spec.suspend is true: no provider calls are made' },
        ...(previous?.certificate ? { certificate: previous.certificate } : {}),
        ...(previous?.targets ? { targets: previous.targets } : {}),
        result: { type: 'success' },
      };
    }

    const conflict = this.#o.index.conflictFor(key);
    if (conflict) return failure(new OperatorError('CCS_TARGET_CONFLICT', conflict.targets.join(', '), conflict.owner));

    let bundle: CertificateBundle;
    try {
      bundle = await this.#certificate(binding, targetsOf(scope));
    } catch (err) {
      if (err instanceof OperatorError) return failure(err);
      throw err;
    }
    const certificate = summary(bundle);

    // A status that proves every target served this certificate for this
    // generation is still the truth until the next drift check is due (and
    // the drift-check budget has a slot): no provider call. This is why a
    // restart makes none. Not while a write may still land late.
    if (!this.#schedule.isUnsettled(key) && this.#isDriftCheck(binding, bundle)) {
      const due = this.#schedule.driftCheckDue(previous!.lastSyncTime!);
      if (due > 0) this.#o.observer?.synced(key, bundle.leaf.notAfter, new Date(previous!.lastSyncTime!));
      const wait = due > 0 ? due : this.#schedule.driftCheckWait(key);
      if (wait > 0) {
        return {
          ready: { status: 'True', reason: Reason.Synced, message: findCondition(previous?.conditions, READY)?.message ?? '' },
          certificate,
          ...(previous?.targets ? { targets: previous.targets } : {}),
          ...(previous?.lastSyncTime ? { lastSyncTime: previous.lastSyncTime } : {}),
          result: { type: 'success', requeueAfterMs: Math.ceil(wait) },
        };
      }
    }

    let provider: Provider;
    try {
      provider = await this.#connect(binding, scope);
    } catch (err) {
      if (err instanceof OperatorError) return { ...failure(err), certificate, ...(previous?.targets ? { targets: previous.targets } : {}) };
      throw err;
    }
    const verdict = await this.#push(binding, scope, provider, bundle, log);
    return { ...verdict, certificate };
  }

  /** Reads and validates the Secret; throws an OperatorError naming the problem. */
  async #certificate(binding: CdnCertificateBinding, targets: readonly string[]): Promise<CertificateBundle> {
    const { namespace } = binding.metadata;
    const name = binding.spec.secretName;
    const lookup = await this.#o.secrets.get(namespace, name);
    if (!lookup.found) throw new OperatorError('CCS_SECRET_NOT_FOUND', name);
    if (lookup.secret.type !== TLS_SECRET_TYPE) throw new OperatorError('CCS_SECRET_WRONG_TYPE', name, lookup.secret.type);
    const parsed = parseTlsSecret(lookup.secret.crt, lookup.secret.key, this.#clock.date());
    if (!parsed.ok) {
      const code = parsed.reason === 'KeyMismatch' ? 'CCS_CERT_KEY_MISMATCH' : parsed.reason === 'CertificateExpired' ? 'CCS_CERT_EXPIRED' : 'CCS_CERT_INVALID';
      throw new OperatorError(code, `Secret ${name}: ${parsed.message}`);
    }
    const uncovered = uncoveredTargets(parsed.bundle.leaf.dnsNames, targets);
    if (uncovered.length > 0) {
      throw new OperatorError('CCS_DOMAIN_NOT_COVERED', uncovered.join(', '), parsed.bundle.leaf.dnsNames.join(', ') || 'none');
    }
    return parsed.bundle;
  }

  /** Whether the status proves every target served this certificate for this generation at lastSyncTime. */
  #isDriftCheck(binding: CdnCertificateBinding, bundle: CertificateBundle): boolean {
    const status = binding.status;
    const ready = findCondition(status?.conditions, READY);
    if (!status?.lastSyncTime || ready?.status !== 'True' || status.observedGeneration !== binding.metadata.generation) return false;
    if (status.certificate?.fingerprintSHA256 !== bundle.leaf.fingerprintSHA256) return false;
    const scope = scopeOf(binding.spec);
    const targets = scope ? targetsOf(scope) : [];
    const byName = new Map((status.targets ?? []).map((t) => [t.name, t]));
    return targets.every((t) => {
      const s = byName.get(t);
      return s?.state === 'Synced' && s.fingerprintSHA256 === bundle.leaf.fingerprintSHA256;
    });
  }

  async #connect(binding: CdnCertificateBinding, scope: ProviderScope): Promise<Provider> {
    const module = providerModule(scope.provider);
    if (!module) throw new OperatorError('CCS_PROVIDER_REJECTED', `no provider ${scope.provider} in this operator`);
    const driver = await this.#o.providers.driver(module);
    const credentials = await resolveCredentials(binding, module, driver, this.#o.credentials, this.#o.credentialsDefaults);
    return driver.connect(scope, credentials);
  }

  async #push(
    binding: CdnCertificateBinding,
    scope: ProviderScope,
    provider: Provider,
    bundle: CertificateBundle,
    log: Logger,
  ): Promise<Verdict> {
    const ref = bindingRef(binding);
    const targets = targetsOf(scope);
    const fingerprint = bundle.leaf.fingerprintSHA256;
    const observations = new Map<string, Observation>();
    const failures = new Map<string, ProviderError>();
    const certificateIds = new Map<string, string>();

    for (const o of await guard(provider.name, provider.observe({ binding: ref, targets }), targets)) observations.set(o.target, o);
    const plan = planDeploy(targets, [...observations.values()], fingerprint);
    for (const { target, error } of plan.unreadable) failures.set(target, error);

    if (plan.deploy.length > 0) {
      log.info({ targets: plan.deploy.length, fingerprint: fingerprint.slice(0, 12) }, 'pushing certificate');
      const outcomes = await guardOutcomes(
        provider.name,
        provider.deploy({ binding: ref, targets: plan.deploy, certificate: bundle, observed: [...observations.values()] }),
        plan.deploy,
      );
      const pushed: string[] = [];
      for (const outcome of outcomes) {
        if (outcome.ok) {
          pushed.push(outcome.target);
          if (outcome.certificateId) certificateIds.set(outcome.target, outcome.certificateId);
        } else {
          failures.set(outcome.target, outcome.error);
          if (mayApplyLate(outcome.error)) this.#schedule.markUnsettled(keyOf(binding.metadata.namespace, binding.metadata.name));
        }
      }
      if (pushed.length > 0) {
        // Verify: Ready means the CDN was seen serving it, not that a call returned 200.
        for (const o of await guard(provider.name, provider.observe({ binding: ref, targets: pushed }), pushed)) {
          observations.set(o.target, o);
          if (o.state === 'error') failures.set(o.target, o.error);
        }
      }
    }

    const now = this.#clock.date();
    const assessment = assess({
      targets,
      fingerprint,
      observations,
      failures,
      certificateIds,
      previous: binding.status?.targets,
      now,
    });
    for (const t of assessment.targets) if (t.state !== 'Synced') log.debug({ target: t.name, state: t.state, detail: t.message }, 'target not in sync');

    if (assessment.outcome === 'synced') {
      if (plan.deploy.length > 0) {
        // Ready may have stayed True through a renewal: say what changed.
        this.#o.events.event(involved(binding), 'Normal', 'Deployed', `certificate ${fingerprint.slice(0, 12)} deployed to ${plan.deploy.join(', ')}`);
      }
      this.#pruneInBackground(binding, provider, assessment.targets, log);
      const served = [...observations.values()].flatMap((o) => (o.state === 'serving' && o.notAfter ? [o.notAfter] : []));
      const earliest = served.length > 0 ? new Date(Math.min(...served.map((d) => d.getTime()))) : bundle.leaf.notAfter;
      this.#o.observer?.synced(keyOf(binding.metadata.namespace, binding.metadata.name), earliest, now);
    }
    return {
      ready: assessment.ready,
      targets: assessment.targets,
      ...(assessment.outcome === 'synced'
        ? { lastSyncTime: rfc3339(now) }
        : binding.status?.lastSyncTime
          ? { lastSyncTime: binding.status.lastSyncTime }
          : {}),
      result: this.#resultOf(assessment.outcome, assessment.ready.reason, keyOf(binding.metadata.namespace, binding.metadata.name)),
    };
  }

  /**
   * Cleanup is housekeeping: it runs after the round, off the worker, so a
   * slow deletion (Tencent deletes asynchronously and is polled) never holds
   * back the next binding's renewal. One cleanup per binding at a time.
   */
  #pruneInBackground(binding: CdnCertificateBinding, provider: Provider, targets: readonly TargetStatus[], log: Logger): void {
    if (!provider.prune) return;
    const key = keyOf(binding.metadata.namespace, binding.metadata.name);
    if (this.#pruning.has(key)) return;
    const done = this.#prune(binding, provider, targets, log).finally(() => this.#pruning.delete(key));
    this.#pruning.set(key, done);
  }

  /** Resolves when every background cleanup has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pruning.size > 0) await Promise.all(this.#pruning.values());
  }

  /** Deletes provider-side copies the binding no longer uses; failures only warn. */
  async #prune(binding: CdnCertificateBinding, provider: Provider, targets: readonly TargetStatus[], log: Logger): Promise<void> {
    if (!provider.prune) return;
    const inUse = [...new Set(targets.flatMap((t) => (t.certificateId ? [t.certificateId] : [])))];
    const recorded = [...new Set((binding.status?.targets ?? []).flatMap((t) => (t.certificateId ? [t.certificateId] : [])))];
    try {
      const result = await provider.prune({ binding: bindingRef(binding), recorded, inUse });
      if (result.deleted.length > 0) log.info({ deleted: result.deleted }, 'deleted unused provider certificates');
      if (result.failed.length > 0) {
        const detail = result.failed.map((f) => `${f.certificateId}: ${f.error.describe()}`).join('; ');
        this.#o.events.event(involved(binding), 'Warning', 'CleanupFailed', `could not delete unused certificates (will retry): ${detail}`);
      }
    } catch (err) {
      const detail = err instanceof ProviderError ? err.describe() : 'unexpected error';
      this.#o.events.event(involved(binding), 'Warning', 'CleanupFailed', `could not delete unused certificates (will retry): ${detail}`);
    }
  }

  #resultOf(outcome: RoundOutcome, reason: Reason, key: string): Result {
    switch (outcome) {
      case 'synced':
        return { type: 'success', requeueAfterMs: this.#schedule.afterSync(key) };
      case 'pending':
        return { type: 'success', requeueAfterMs: this.#o.verifyDelayMs ?? 2_000 };
      case 'retry':
        return { type: 'retry', reason };
      case 'terminal':
        return { type: 'terminal', reason };
    }
  }

  /** Deletion with policy Disable: turn HTTPS off, then let the binding go. */
  async #finalize(binding: CdnCertificateBinding, log: Logger): Promise<Result> {
    const finalizers = binding.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return { type: 'success' };
    const key = keyOf(binding.metadata.namespace, binding.metadata.name);
    const scope = scopeOf(binding.spec);
    const release = async () => {
      this.#assertMayWrite();
      await this.#o.writer.setFinalizers(binding, finalizers.filter((f) => f !== FINALIZER));
      this.#o.observer?.forget(key);
      return { type: 'success' } as const;
    };
    if (!scope) return release();
    if (binding.spec.suspend) {
      await this.#record(binding, {
        ready: { status: 'False', reason: Reason.Suspended, message: 'deletion waits: spec.suspend is true, so HTTPS cannot be disabled' },
        result: { type: 'success' },
      }, log);
      return { type: 'success' };
    }
    // Never disable a target that an older binding owns.
    const ownedByOthers = new Set(this.#o.index.conflictFor(key)?.targets ?? []);
    const targets = targetsOf(scope).filter((t) => !ownedByOthers.has(t));
    if (targets.length === 0) return release();

    let provider: Provider;
    try {
      provider = await this.#connect(binding, scope);
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      const verdict = failure(err);
      await this.#record(binding, verdict, log);
      return verdict.result;
    }
    const outcomes = await guardOutcomes(provider.name, provider.disable({ binding: bindingRef(binding), targets }), targets);
    const failed = outcomes.flatMap((o) => (o.ok ? [] : [{ target: o.target, error: o.error }]));
    if (failed.length === 0) {
      log.info({ targets: targets.length }, 'disabled HTTPS on every target; releasing the binding');
      this.#o.events.event(involved(binding), 'Normal', 'Disabled', `HTTPS disabled on ${targets.length} targets`);
      return release();
    }
    const terminal = failed.some((f) => !f.error.retryable);
    const message = `disabling HTTPS before deletion failed: ${failed.slice(0, 3).map((f) => `${f.target}: ${f.error.describe()}`).join('; ')}`;
    const reason = terminal ? Reason.ProviderRejected : Reason.Syncing;
    const result: Result = failed.some((f) => f.error.retryable) ? { type: 'retry', reason } : { type: 'terminal', reason };
    await this.#record(binding, { ready: { status: 'False', reason, message }, result }, log);
    return result;
  }

  #assertMayWrite(): void {
    if (this.#o.mayWrite && !this.#o.mayWrite()) throw new Error('this replica lost its leader lease: not writing');
  }

  /** Writes the verdict into status (if it changed) and pairs an Event with every Ready transition. */
  async #record(binding: CdnCertificateBinding, verdict: Verdict, log: Logger): Promise<void> {
    const previous = binding.status ?? {};
    const now = this.#clock.date();
    const conditions = setCondition(previous.conditions, { type: READY, ...verdict.ready, observedGeneration: binding.metadata.generation ?? 0 }, now);
    const scope = scopeOf(binding.spec);
    const status: BindingStatus = {
      ...(binding.metadata.generation !== undefined ? { observedGeneration: binding.metadata.generation } : {}),
      ...(scope ? { provider: scope.provider as ProviderName } : {}),
      ...((verdict.lastSyncTime ?? previous.lastSyncTime) ? { lastSyncTime: verdict.lastSyncTime ?? previous.lastSyncTime } : {}),
      conditions,
      ...((verdict.certificate ?? previous.certificate) ? { certificate: verdict.certificate ?? previous.certificate } : {}),
      ...((verdict.targets ?? previous.targets) ? { targets: verdict.targets ?? previous.targets } : {}),
    };
    this.#assertMayWrite();
    const updated = await this.#o.writer.writeStatus(binding, status);
    if (updated) this.#o.index.statusWritten(updated);
    const before = findCondition(previous.conditions, READY);
    const after = findCondition(conditions, READY);
    if (after && isTransition(before, after)) {
      log.info({ ready: after.status, reason: after.reason }, after.message);
      this.#o.events.event(involved(binding), eventTypeFor(after), after.reason, after.message);
    }
  }
}

/**
 * Whether a failed write may still take effect: the request may have reached
 * the CDN (a timeout, a reset, a gateway 5xx). A vendor's "busy" or
 * "throttled" answer (a 4xx) says it was not applied.
 */
function mayApplyLate(error: ProviderError): boolean {
  return error.retryable && (error.httpStatus === undefined || error.httpStatus >= 500);
}

function bindingRef(binding: CdnCertificateBinding): BindingRef {
  return { namespace: binding.metadata.namespace, name: binding.metadata.name, uid: binding.metadata.uid };
}

function involved(binding: CdnCertificateBinding) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    namespace: binding.metadata.namespace,
    name: binding.metadata.name,
    uid: binding.metadata.uid,
    resourceVersion: binding.metadata.resourceVersion,
  };
}

/** A provider that throws instead of reporting (a bug) fails every target with a retryable error. */
function unexpected(provider: Provider['name'], err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderError({
    provider,
    code: 'InternalError',
    message: `provider failed unexpectedly (${err instanceof Error ? err.name : typeof err})`,
    retryable: true,
  });
}

async function guard(provider: Provider['name'], call: Promise<Observation[]>, targets: readonly string[]): Promise<Observation[]> {
  try {
    return await call;
  } catch (err) {
    const error = unexpected(provider, err);
    return targets.map((target) => ({ target, state: 'error', error }));
  }
}

async function guardOutcomes(
  provider: Provider['name'],
  call: Promise<Array<{ target: string; ok: true; certificateId?: string } | { target: string; ok: false; error: ProviderError }>>,
  targets: readonly string[],
) {
  try {
    return await call;
  } catch (err) {
    const error = unexpected(provider, err);
    return targets.map((target) => ({ target, ok: false as const, error }));
  }
}
