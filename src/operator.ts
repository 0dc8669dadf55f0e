// Wires the pieces into a running operator: reflectors fill the caches,
// handlers turn changes into binding keys, workers reconcile them. No
// process-level concerns here (signals, exit codes): main.ts owns those, so
// tests run the very same operator in process.
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';
import type { CdnCertificateBinding } from './api/v1alpha1/schema.ts';
import { defaultCredentialsSecrets, type Config } from './config.ts';
import { Controller } from './controller/controller.ts';
import { BindingIndex, keyOf } from './controller/index.ts';
import { WorkQueue, type BackoffPolicy } from './controller/queue.ts';
import { Reconciler } from './controller/reconciler.ts';
import { BindingWriter, bindingsPath, listBindings } from './kube/bindings.ts';
import type { KubeClients } from './kube/client.ts';
import { EventRecorder } from './kube/events.ts';
import { Reflector, type ListPage, type ReflectorHandler } from './kube/reflector.ts';
import { CredentialsReader, TLS_SECRET_TYPE, TlsSecretStore } from './kube/secrets.ts';
import { RateLimiter } from './providers/ratelimit.ts';
import type { Drivers } from './providers/drivers.ts';
import type { Check } from './telemetry/server.ts';
import type { Metrics } from './telemetry/metrics.ts';

export type OperatorConfig = Pick<
  Config,
  | 'watchNamespaces'
  | 'podNamespace'
  | 'concurrency'
  | 'resyncIntervalMs'
  | 'driftCheckRate'
  | 'providers'
>;

export interface OperatorOptions {
  config: OperatorConfig;
  kube: KubeClients;
  /** The provider drivers, loaded on first use. */
  providers: Drivers;
  logger: Logger;
  metrics?: Metrics;
  /** This replica's name, for Events (the pod name). */
  instance: string;
  /** False once this replica must stop writing (it lost leadership). Unset: always true. */
  mayWrite?: () => boolean;
  /** The one clock of the loop (default: the real one). */
  clock?: Clock;
  /** Test and benchmark knobs; production uses the defaults. */
  tuning?: {
    queueBackoff?: BackoffPolicy;
    stallTimeoutMs?: number;
    watchTimeoutSeconds?: [number, number];
    reflectorBackoff?: { baseMs: number; maxMs: number };
    verifyDelayMs?: number;
    credentialsCacheMs?: number;
    /** /healthz fails when a watch made no progress for this long (default 5 minutes). */
    watchHealthMs?: number;
    /** Items per list page (default 500). */
    listPageSize?: number;
  };
}

/** A watch that has made no progress for this long fails /healthz. */
const WATCH_HEALTH_MS = 5 * 60_000;

export class Operator {
  readonly index = new BindingIndex();
  readonly queue: WorkQueue<string>;
  readonly secrets: TlsSecretStore;
  readonly events: EventRecorder;
  readonly reconciler: Reconciler;
  readonly #controller: Controller;
  readonly #bindingReflectors: Reflector<CdnCertificateBinding>[] = [];
  readonly #secretReflectors: Reflector<{ metadata?: { resourceVersion?: string } }>[] = [];
  readonly #o: OperatorOptions;
  #cachesSynced = false;
  #leading = false;

  constructor(opts: OperatorOptions) {
    this.#o = opts;
    const { kube, logger, metrics, config, tuning } = opts;
    this.queue = new WorkQueue<string>({
      ...(tuning?.queueBackoff ? { backoff: tuning.queueBackoff } : {}),
      ...(metrics ? { metrics: metrics.queue() } : {}),
    });
    this.secrets = new TlsSecretStore({
      core: kube.core,
      isReferenced: (ns, name) => this.index.isSecretReferenced(ns, name),
      onChange: (ns, name) => this.#enqueueAll(this.index.bindingsForSecret(ns, name)),
    });
    this.events = new EventRecorder({ core: kube.core, logger, component: 'cdn-cert-sync', instance: opts.instance });
    this.reconciler = new Reconciler({
      index: this.index,
      secrets: this.secrets,
      credentials: new CredentialsReader(kube.core, tuning?.credentialsCacheMs),
      credentialsDefaults: {
        operatorNamespace: config.podNamespace,
        secrets: defaultCredentialsSecrets(config),
      },
      writer: new BindingWriter(kube.custom),
      events: this.events,
      providers: opts.providers,
      logger,
      resyncIntervalMs: config.resyncIntervalMs,
      // Burst of one: checks that fall due together (a restart) go out at the rate, not in a burst.
      driftChecks: new RateLimiter(config.driftCheckRate, 1, opts.clock ?? realClock),
      clock: opts.clock ?? realClock,
      ...(opts.mayWrite ? { mayWrite: opts.mayWrite } : {}),
      ...(tuning?.verifyDelayMs !== undefined ? { verifyDelayMs: tuning.verifyDelayMs } : {}),
      ...(metrics ? { observer: metrics.bindings() } : {}),
    });
    this.#controller = new Controller({
      queue: this.queue,
      reconcile: (key) => this.reconciler.reconcile(key),
      concurrency: config.concurrency,
      terminalRequeueMs: config.resyncIntervalMs,
      logger,
      ...(metrics ? { metrics: metrics.reconciles() } : {}),
    });

    const namespaces = config.watchNamespaces.length > 0 ? config.watchNamespaces : [undefined];
    const bindings = this.#bindingHandler();
    for (const namespace of namespaces) {
      this.#bindingReflectors.push(
        this.#reflector(`bindings${namespace ? `/${namespace}` : ''}`, namespace, listBindings(kube.custom, namespace), bindingsPath(namespace), {}, bindings),
      );
      this.#secretReflectors.push(
        this.#reflector(
          `secrets${namespace ? `/${namespace}` : ''}`,
          namespace,
          async (page) => {
            const q = { fieldSelector: `type=${TLS_SECRET_TYPE}`, limit: page.limit, _continue: page.continue };
            return (namespace
              ? await kube.core.listNamespacedSecret({ ...q, namespace })
              : await kube.core.listSecretForAllNamespaces(q)) as unknown as ListPage<{ metadata?: { resourceVersion?: string } }>;
          },
          namespace ? `/api/v1/namespaces/${namespace}/secrets` : '/api/v1/secrets',
          { fieldSelector: `type=${TLS_SECRET_TYPE}` },
          this.secrets as unknown as ReflectorHandler<{ metadata?: { resourceVersion?: string } }>,
        ),
      );
    }
  }

  /**
   * Fills the caches: bindings first, so that the Secret list already knows
   * which Secrets to keep. Workers start only with startWorkers() (at once,
   * or when this replica becomes the leader), so a standby keeps warm caches.
   */
  async startCaches(): Promise<void> {
    for (const r of this.#bindingReflectors) r.start();
    await Promise.all(this.#bindingReflectors.map((r) => r.synced()));
    for (const r of this.#secretReflectors) r.start();
    await Promise.all(this.#secretReflectors.map((r) => r.synced()));
    this.#cachesSynced = true;
    this.#o.logger.info({ bindings: this.index.size, secrets: this.secrets.size }, 'caches synced');
  }

  startWorkers(): void {
    this.#leading = true;
    for (const key of this.index.keys()) this.queue.add(key);
    this.#controller.start();
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Stops intake, waits (bounded) for in-flight reconciles, closes watches. Returns false if the drain timed out. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    const drained = await this.#controller.stop(drainTimeoutMs);
    await Promise.race([this.reconciler.idle(), new Promise((resolve) => setTimeout(resolve, Math.min(drainTimeoutMs, 5_000)).unref())]);
    await Promise.all([...this.#bindingReflectors, ...this.#secretReflectors].map((r) => r.stop()));
    await Promise.race([this.events.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    return drained;
  }

  /** /healthz: every watch made progress recently. */
  livenessChecks(): Check[] {
    return [...this.#bindingReflectors, ...this.#secretReflectors].map((r) => ({
      name: `watch:${r.name}`,
      check: () => {
        const idle = r.sinceProgress();
        const limit = this.#o.tuning?.watchHealthMs ?? WATCH_HEALTH_MS;
        return idle > limit ? `no list or watch progress for ${Math.round(idle / 1000)}s` : undefined;
      },
    }));
  }

  /** /readyz: caches synced. */
  readinessChecks(): Check[] {
    return [{ name: 'caches', check: () => (this.#cachesSynced ? undefined : 'caches not synced yet') }];
  }

  #reflector<T extends { metadata?: { resourceVersion?: string } }>(
    name: string,
    namespace: string | undefined,
    list: (opts: { limit: number; continue?: string }) => Promise<ListPage<T>>,
    watchPath: string,
    watchQuery: Record<string, string>,
    handler: ReflectorHandler<T>,
  ): Reflector<T> {
    const { tuning } = this.#o;
    return new Reflector<T>({
      name,
      namespace,
      list,
      watchPath,
      watchQuery,
      watch: this.#o.kube.watch,
      handler,
      logger: this.#o.logger,
      ...(tuning?.stallTimeoutMs !== undefined ? { stallTimeoutMs: tuning.stallTimeoutMs } : {}),
      ...(tuning?.watchTimeoutSeconds ? { watchTimeoutSeconds: tuning.watchTimeoutSeconds } : {}),
      ...(tuning?.reflectorBackoff ? { backoff: tuning.reflectorBackoff } : {}),
      ...(tuning?.listPageSize ? { pageSize: tuning.listPageSize } : {}),
    });
  }

  #bindingHandler(): ReflectorHandler<CdnCertificateBinding> {
    const seen = new Set<string>();
    const upsert = (binding: CdnCertificateBinding) => {
      const key = keyOf(binding.metadata.namespace, binding.metadata.name);
      const old = this.index.get(key);
      const affected = this.index.upsert(binding);
      if (old && old.spec.secretName !== binding.spec.secretName) this.#forgetSecretIfUnused(old);
      // Our own status writes come back as MODIFIED events; they change nothing to act on.
      if (old && !needsReconcile(old, binding)) return;
      this.#enqueueAll(affected);
    };
    const remove = (binding: CdnCertificateBinding) => {
      const { namespace, name } = binding.metadata;
      const affected = this.index.remove(namespace, name);
      this.#forgetSecretIfUnused(binding);
      this.#enqueueAll([...affected, keyOf(namespace, name)]);
    };
    return {
      replace: (items, namespace) => {
        this.index.forgetWrites();
        const present = new Set(items.map((b) => keyOf(b.metadata.namespace, b.metadata.name)));
        for (const key of seen) {
          const old = this.index.get(key);
          if (present.has(key) || (namespace !== undefined && old && old.metadata.namespace !== namespace)) continue;
          seen.delete(key);
          if (old) remove(old);
        }
        for (const b of items) {
          seen.add(keyOf(b.metadata.namespace, b.metadata.name));
          upsert(b);
        }
      },
      upsert: (b) => {
        seen.add(keyOf(b.metadata.namespace, b.metadata.name));
        upsert(b);
      },
      delete: (b) => {
        seen.delete(keyOf(b.metadata.namespace, b.metadata.name));
        remove(b);
      },
    };
  }

  #forgetSecretIfUnused(binding: CdnCertificateBinding): void {
    const { namespace } = binding.metadata;
    if (!this.index.isSecretReferenced(namespace, binding.spec.secretName)) this.secrets.forget(namespace, binding.spec.secretName);
  }

  #enqueueAll(keys: readonly string[]): void {
    if (!this.#leading) return;
    for (const key of keys) this.queue.add(key);
  }
}

/** Whether a change to a binding can change the result of reconciling it. */
function needsReconcile(old: CdnCertificateBinding, next: CdnCertificateBinding): boolean {
  const a = old.metadata;
  const b = next.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    a.uid !== b.uid
  );
}
