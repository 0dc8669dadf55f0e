// An operator running in process against the test Kubernetes API server,
// through the real @kubernetes/client-node, with a provider of the caller's
// choice (the in-memory CDN by default). Tests talk to the API server as a
// user would (create Secrets and bindings, read status) and wait for
// conditions with timeouts.
import { Writable } from 'node:stream';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { customResourceDefinition } from '../../src/api/v1alpha1/crd.ts';
import { GROUP, PLURAL, VERSION, type CdnCertificateBinding } from '../../src/api/v1alpha1/schema.ts';
import { kubeClients, mergePatch } from '../../src/kube/client.ts';
import { Operator, type OperatorConfig, type OperatorOptions } from '../../src/operator.ts';
import { memoryDriver, MemoryCdn } from '../../src/providers/memory/index.ts';
import type { ProviderDriver } from '../../src/providers/provider.ts';
import { PROVIDERS } from '../../src/providers/catalog.ts';
import { Drivers } from '../../src/providers/drivers.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { TestApiServer } from '../kube-apiserver/index.ts';
import { bindingManifest, type BindingOptions } from '../fixtures/bindings.ts';

export const OPERATOR_NAMESPACE = 'cdn-cert-sync';
export const DEFAULT_CREDENTIALS = 'cdn-credentials';
/** The bearer token the in-process operator presents. */
export const OPERATOR_TOKEN = 'operator';

/**
 * Creates the CRD with a plain JSON POST, as `kubectl apply` would.
 * client-node's ApiextensionsV1Api would serialise it through its model and
 * silently drop `default` and every `x-kubernetes-*` key.
 */
export async function installCrd(apiUrl: string): Promise<void> {
  const res = await fetch(`${apiUrl}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(customResourceDefinition()),
  });
  if (res.status !== 201) throw new Error(`creating the CRD: HTTP ${res.status}: ${await res.text()}`);
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
/**
 * Credentials Secret data that every registered provider accepts: each
 * module's first required key holds `id` (the account), the others `secret`.
 */
export function credentialsData(id: string, secret: string): Record<string, string> {
  return Object.fromEntries(PROVIDERS.flatMap((m) => m.credentials.required.map((key, i) => [key, i === 0 ? id : secret])));
}

/** Operator config naming `secretName` as every provider's default credentials Secret. */
export function defaultCredentialsConfig(secretName: string): OperatorConfig['providers'] {
  return Object.fromEntries(PROVIDERS.map((m) => [m.name, { [m.credentials.defaultSecret]: secretName }])) as OperatorConfig['providers'];
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Everything the operator logged, as text, for secret-hygiene assertions. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface EnvOptions {
  /** Drivers to use instead of the in-memory CDN's. */
  drivers?: (env: { cdn: MemoryCdn; logger: Logger; metrics: Metrics }) => ProviderDriver[];
  config?: Partial<OperatorConfig>;
  tuning?: OperatorOptions['tuning'];
  /** Start without an operator (call env.startOperator()). */
  deferOperator?: boolean;
  /** Reuse an API server (for restart tests). */
  api?: TestApiServer;
  /** Reuse a CDN (for restart tests). */
  cdn?: MemoryCdn;
  /** Data of the default credentials Secret in the operator's namespace (default: the in-memory CDN's keys). */
  credentials?: Record<string, string>;
}

export class TestEnv {
  readonly api: TestApiServer;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly cdn: MemoryCdn;
  readonly logs = new LogCapture();
  readonly metrics = new Metrics({ processMetrics: false });
  operator: Operator | undefined;
  readonly #opts: EnvOptions;
  readonly #ownsApi: boolean;

  private constructor(api: TestApiServer, opts: EnvOptions) {
    this.api = api;
    this.kc = api.kubeConfig();
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.cdn = opts.cdn ?? new MemoryCdn();
    this.#opts = opts;
    this.#ownsApi = !opts.api;
  }

  static async start(opts: EnvOptions = {}): Promise<TestEnv> {
    const api = opts.api ?? (await TestApiServer.start());
    const env = new TestEnv(api, opts);
    if (!opts.api) await env.#bootstrap();
    if (!opts.deferOperator) await env.startOperator();
    return env;
  }

  async #bootstrap(): Promise<void> {
    await installCrd(this.api.url);
    await this.core.createNamespace({ body: { metadata: { name: OPERATOR_NAMESPACE } } });
    await this.core.createNamespacedSecret({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: DEFAULT_CREDENTIALS }, stringData: this.#opts.credentials ?? credentialsData('AKIDtest', 'super-secret-credential-value') },
    });
  }

  async startOperator(): Promise<Operator> {
    const logger = createLogger('debug', this.logs);
    const drivers = this.#opts.drivers?.({ cdn: this.cdn, logger, metrics: this.metrics }) ?? PROVIDERS.map((m) => memoryDriver(m.name, this.cdn));
    const operator = new Operator({
      config: {
        watchNamespaces: [],
        podNamespace: OPERATOR_NAMESPACE,
        concurrency: 4,
        resyncIntervalMs: 60 * 60_000,
        driftCheckRate: 100,
        providers: defaultCredentialsConfig(DEFAULT_CREDENTIALS),
        ...this.#opts.config,
      },
      // Its own identity, so that the API server's request log tells the operator's calls from the test's.
      kube: kubeClients(this.api.kubeConfig(OPERATOR_TOKEN)),
      providers: new Drivers(drivers),
      logger,
      metrics: this.metrics,
      instance: 'test-operator',
      tuning: {
        queueBackoff: { baseMs: 50, maxMs: 1_000, jitter: 0.1 },
        stallTimeoutMs: 3_000,
        watchTimeoutSeconds: [20, 30],
        reflectorBackoff: { baseMs: 50, maxMs: 500 },
        verifyDelayMs: 100,
        credentialsCacheMs: 200,
        ...this.#opts.tuning,
      },
    });
    this.operator = operator;
    await operator.startCaches();
    operator.startWorkers();
    return operator;
  }

  async stopOperator(): Promise<void> {
    await this.operator?.stop(5_000);
    this.operator = undefined;
  }

  async stop(): Promise<void> {
    await this.stopOperator();
    if (this.#ownsApi) await this.api.stop();
  }

  async createNamespace(name: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
  }

  async applySecret(secret: V1Secret): Promise<void> {
    const namespace = secret.metadata!.namespace!;
    const name = secret.metadata!.name!;
    try {
      const current = await this.core.readNamespacedSecret({ namespace, name });
      // In place, as cert-manager renews.
      await this.core.replaceNamespacedSecret({ namespace, name, body: { ...secret, metadata: { ...secret.metadata, resourceVersion: current.metadata!.resourceVersion! } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await this.core.createNamespacedSecret({ namespace, body: secret });
    }
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedSecret({ namespace, name });
  }

  async createBinding(opts: BindingOptions): Promise<CdnCertificateBinding> {
    const body = bindingManifest(opts);
    return (await this.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: body.metadata.namespace,
      body,
    })) as CdnCertificateBinding;
  }

  async patchBinding(namespace: string, name: string, patch: object): Promise<CdnCertificateBinding> {
    return (await this.custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: patch }, mergePatch)) as CdnCertificateBinding;
  }

  async deleteBinding(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name });
  }

  async getBinding(namespace: string, name: string): Promise<CdnCertificateBinding | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name })) as CdnCertificateBinding;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** Waits until the binding's Ready condition has `reason` (and, if given, the status satisfies `extra`). */
  async waitForReason(
    namespace: string,
    name: string,
    reason: string,
    extra: (b: CdnCertificateBinding) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<CdnCertificateBinding> {
    return waitFor(
      `${namespace}/${name} to report ${reason}`,
      async () => {
        const b = await this.getBinding(namespace, name);
        const ready = b?.status?.conditions?.find((c) => c.type === 'Ready');
        return b && ready?.reason === reason && b.status?.observedGeneration === b.metadata.generation && extra(b) ? b : undefined;
      },
      timeoutMs,
    );
  }

  async events(namespace: string): Promise<Array<{ reason?: string; type?: string; message?: string; involvedObject: { name?: string }; count?: number }>> {
    const list = await this.core.listNamespacedEvent({ namespace });
    return list.items;
  }
}
