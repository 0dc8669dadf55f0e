// One benchmark environment: the test API server and the emulators, each a
// process of its own, the cluster's starting state, and the operator
// (dist/main.js) started and stopped on demand as a process of its own so
// that its CPU time and memory are its alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type BindingStatus } from '../../../src/api/v1alpha1/schema.ts';
import type { BenchCall } from './emulators.ts';
import {
  bindingObject,
  inSyncStatus,
  opaqueSecret,
  randomSecret,
  secretObject,
  type BenchBinding,
  type BenchCert,
} from './fixtures.ts';
import { Child, childEnv, ProcessGroup, sleep } from './processes.ts';
import { BindingWatch, epochNow, SecretWatch } from './watch.ts';

export const OPERATOR_NAMESPACE = 'cdn-cert-sync';
const ALIBABA_SECRET = 'alibaba-credentials';
const TENCENT_SECRET = 'tencent-credentials';
const ALIBABA_KEY_ID = 'LTAIbenchmark0001';
const TENCENT_SECRET_ID = 'AKIDbenchmark0001';
const READY_TIMEOUT_MS = 30_000;

export type Log = (message: string) => void;

export interface OperatorSettings {
  CONCURRENCY?: string;
  RESYNC_INTERVAL?: string;
  DRIFT_CHECK_RATE?: string;
  LOG_LEVEL?: string;
}

export class OperatorHandle {
  readonly child: Child;
  metricsUrl = '';

  constructor(child: Child) {
    this.child = child;
  }

  async ready(): Promise<void> {
    const line = await this.child.waitForLine((l) => l.includes('serving health and metrics'), READY_TIMEOUT_MS);
    const parsed = JSON.parse(line) as { metrics?: string };
    this.metricsUrl = `http://${parsed.metrics}/metrics`;
  }

  async scrape(): Promise<string> {
    const res = await fetch(this.metricsUrl);
    return res.text();
  }

  /** Sum of a metric's samples whose labels include every `labels` pair. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumMetric(await this.scrape(), name, labels);
  }
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export interface CallLog {
  alibaba: BenchCall[];
  tencent: BenchCall[];
}

/** /metrics polling interval for a cluster of `bindings`: 250 ms up to 2,000 bindings, 1 s from 5,000. */
export function pollInterval(bindings: number): number {
  return bindings <= 2_000 ? 250 : bindings < 5_000 ? 500 : 1_000;
}

export class Stack {
  readonly dir: string;
  readonly log: Log;
  readonly group = new ProcessGroup();
  readonly kc = new KubeConfig();
  core!: CoreV1Api;
  api!: { url: string; admin: string; kubeconfig: string };
  emulators!: { alibaba: string; tencent: string; admin: string };
  operator: OperatorHandle | undefined;
  #operatorRuns = 0;
  readonly #credentials = { alibaba: randomSecret(), tencent: randomSecret() };
  readonly #cursor = { alibaba: 0, tencent: 0 };

  private constructor(dir: string, log: Log) {
    this.dir = dir;
    this.log = log;
  }

  static async start(label: string, log: Log): Promise<Stack> {
    const dir = mkdtempSync(join(tmpdir(), `ccs-bench-${label}-`));
    const stack = new Stack(dir, log);
    try {
      await stack.#start();
    } catch (err) {
      await stack.stop(true);
      throw err;
    }
    return stack;
  }

  async #start(): Promise<void> {
    const api = this.group.spawn({
      name: 'kube-apiserver',
      script: 'test/bench/lib/apiserver.ts',
      args: [this.dir],
      env: childEnv(),
      logFile: join(this.dir, 'kube-apiserver.log'),
    });
    const emu = this.group.spawn({ name: 'emulators', script: 'test/bench/lib/emulators.ts', env: childEnv(), logFile: join(this.dir, 'emulators.log') });
    this.api = JSON.parse(await api.waitForLine((l) => l.startsWith('{"url"'), READY_TIMEOUT_MS)) as Stack['api'];
    this.emulators = JSON.parse(await emu.waitForLine((l) => l.startsWith('{"alibaba"'), READY_TIMEOUT_MS)) as Stack['emulators'];
    this.kc.loadFromOptions({
      clusters: [{ name: 'bench', server: this.api.url, skipTLSVerify: true }],
      users: [{ name: 'bench', token: 'bench' }],
      contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
      currentContext: 'bench',
    });
    this.core = this.kc.makeApiClient(CoreV1Api);
    await this.core.createNamespace({ body: { metadata: { name: OPERATOR_NAMESPACE } } });
    await this.core.createNamespacedSecret({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: ALIBABA_SECRET }, stringData: { accessKeyId: ALIBABA_KEY_ID, accessKeySecret: this.#credentials.alibaba } },
    });
    await this.core.createNamespacedSecret({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: TENCENT_SECRET }, stringData: { secretId: TENCENT_SECRET_ID, secretKey: this.#credentials.tencent } },
    });
  }

  // --- Seeding -----------------------------------------------------------------

  async #admin(base: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  /** Bulk insert through the API server's seed (no watch traffic matters: the operator is not running yet). */
  async seed(objects: readonly object[], chunk = 1_000): Promise<void> {
    for (let i = 0; i < objects.length; i += chunk) await this.#admin(this.api.admin, '/seed', objects.slice(i, i + chunk));
  }

  /** Writes status through the status subresource, as the operator does; `concurrency` requests at a time. */
  async writeStatuses(items: ReadonlyArray<{ binding: BenchBinding; status: BindingStatus }>, concurrency = 16): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const { binding, status } = items[next++]!;
        const url = `${this.api.url}/apis/${GROUP}/${VERSION}/namespaces/${binding.namespace}/${PLURAL}/${binding.name}/status`;
        const res = await fetch(url, {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json', authorization: 'Bearer bench' },
          body: JSON.stringify({ status }),
        });
        if (!res.ok) throw new Error(`status of ${binding.key}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
        await res.arrayBuffer().catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /**
   * A cluster in sync: each binding's Secret holds `certFor(binding)`, its
   * target serves it, and its status says it was verified at `lastSyncFor(binding)`.
   * Optionally `opaque` unrelated Opaque Secrets of `opaqueBytes` each.
   */
  async seedInSync(opts: {
    bindings: readonly BenchBinding[];
    certs: readonly BenchCert[];
    certFor: (b: BenchBinding) => number;
    lastSyncFor: (b: BenchBinding) => Date;
    /** Tencent certificates get aliases as if this operator had uploaded them (per-binding certificates only). */
    tencentAlias?: boolean;
    opaque?: number;
    opaqueBytes?: number;
  }): Promise<void> {
    const started = Date.now();
    const certs = opts.certs.map((c) => ({ chainPem: c.chainPem, keyPem: c.keyPem }));
    const alibaba = opts.bindings.filter((b) => b.provider === 'alibaba');
    const tencent = opts.bindings.filter((b) => b.provider === 'tencent');
    if (alibaba.length > 0) {
      await this.#admin(this.emulators.admin, '/alibaba/setup', {
        accessKeyId: ALIBABA_KEY_ID,
        secret: this.#credentials.alibaba,
        domains: alibaba.map((b) => b.target),
        certs,
        assign: alibaba.map((b) => opts.certFor(b)),
      });
    }
    let tencentIds: string[] = [];
    if (tencent.length > 0) {
      const zones = new Map<string, { zoneId: string; hosts: string[]; assign: number[] }>();
      for (const b of tencent) {
        const zone = zones.get(b.zoneId!) ?? { zoneId: b.zoneId!, hosts: [], assign: [] };
        zone.hosts.push(b.target);
        zone.assign.push(opts.certFor(b));
        zones.set(b.zoneId!, zone);
      }
      const answer = (await this.#admin(this.emulators.admin, '/tencent/setup', {
        secretId: TENCENT_SECRET_ID,
        secretKey: this.#credentials.tencent,
        zones: [...zones.values()],
        certs,
      })) as { certIds: string[] };
      tencentIds = answer.certIds;
    }
    this.log(`  emulators set up (${alibaba.length} Alibaba domains, ${tencent.length} EdgeOne hosts) in ${Date.now() - started} ms`);

    const t1 = Date.now();
    const objects: object[] = [];
    for (const b of opts.bindings) objects.push(secretObject(b, opts.certs[opts.certFor(b)]!), bindingObject(b));
    await this.seed(objects);
    if (opts.opaque) {
      const perNamespace = 1_000;
      for (let i = 0; i < opts.opaque; i += perNamespace) {
        const batch: object[] = [];
        for (let j = i; j < Math.min(opts.opaque, i + perNamespace); j++) {
          batch.push(opaqueSecret(`bench-unrelated${Math.floor(j / perNamespace)}`, `unrelated-${j}`, opts.opaqueBytes ?? 4096));
        }
        await this.seed(batch, 500);
      }
    }
    this.log(`  seeded ${opts.bindings.length} bindings and Secrets${opts.opaque ? ` and ${opts.opaque} Opaque Secrets` : ''} in ${Date.now() - t1} ms`);

    const t2 = Date.now();
    await this.writeStatuses(
      opts.bindings.map((b) => {
        const cert = opts.certs[opts.certFor(b)]!;
        const id = b.provider === 'tencent' ? tencentIds[opts.certFor(b)] : undefined;
        return { binding: b, status: inSyncStatus(b, cert, opts.lastSyncFor(b), id) };
      }),
    );
    this.log(`  wrote ${opts.bindings.length} in-sync statuses in ${Date.now() - t2} ms`);
  }

  // --- Writes during a run -----------------------------------------------------------

  /** Renews the binding's Secret in place with `cert` (a merge patch, as an apply would); returns the new resourceVersion. */
  async renew(b: BenchBinding, cert: BenchCert): Promise<string> {
    const body = {
      metadata: {
        annotations: { 'cert-manager.io/common-name': cert.commonName, 'cert-manager.io/alt-names': cert.dnsNames.join(',') },
      },
      data: {
        'tls.crt': Buffer.from(cert.chainPem).toString('base64'),
        'tls.key': Buffer.from(cert.keyPem).toString('base64'),
        'ca.crt': Buffer.from(cert.caPem).toString('base64'),
      },
    };
    return this.#patchSecret(b, body);
  }

  /** Changes only an annotation of the binding's Secret (no new certificate). */
  async touch(b: BenchBinding, value: string): Promise<string> {
    return this.#patchSecret(b, { metadata: { annotations: { 'bench.cdn-cert-sync.io/touched': value } } });
  }

  async #patchSecret(b: BenchBinding, body: object): Promise<string> {
    const res = await fetch(`${this.api.url}/api/v1/namespaces/${b.namespace}/secrets/${b.secretName}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', authorization: 'Bearer bench' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`patching Secret ${b.namespace}/${b.secretName}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    return (JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  }

  // --- Watches ----------------------------------------------------------------------

  async secretWatch(): Promise<SecretWatch> {
    const list = await this.core.listSecretForAllNamespaces({ fieldSelector: 'type=kubernetes.io/tls', limit: 1 });
    const watch = new SecretWatch(this.kc);
    await watch.start(list.metadata?.resourceVersion ?? '');
    return watch;
  }

  async bindingWatch(): Promise<BindingWatch> {
    const watch = new BindingWatch(this.kc);
    await watch.start();
    return watch;
  }

  // --- Emulators --------------------------------------------------------------------

  /** Calls the emulators received since the last call to this method. */
  async newCalls(): Promise<CallLog> {
    const answer = (await this.#admin(this.emulators.admin, `/calls?alibaba=${this.#cursor.alibaba}&tencent=${this.#cursor.tencent}`)) as {
      alibaba: { next: number; calls: BenchCall[] };
      tencent: { next: number; calls: BenchCall[] };
    };
    this.#cursor.alibaba = answer.alibaba.next;
    this.#cursor.tencent = answer.tencent.next;
    return { alibaba: answer.alibaba.calls, tencent: answer.tencent.calls };
  }

  async rateLimited(): Promise<{ alibaba: number; tencent: number; tencentByAction: Record<string, number> }> {
    return (await this.#admin(this.emulators.admin, '/rate-limited')) as { alibaba: number; tencent: number; tencentByAction: Record<string, number> };
  }

  async alibabaRateLimit(perSecond: number | undefined, action?: string): Promise<void> {
    await this.#admin(this.emulators.admin, '/alibaba/rate-limit', { ...(perSecond !== undefined ? { perSecond } : {}), ...(action ? { action } : {}) });
  }

  /** Request counts at the API server by client, verb and resource since the last reset. */
  async apiRequests(reset = false): Promise<Record<string, number>> {
    return (await this.#admin(this.api.admin, `/requests${reset ? '?reset=1' : ''}`)) as Record<string, number>;
  }

  // --- The operator -------------------------------------------------------------------

  async startOperator(settings: OperatorSettings = {}, nodeArgs: readonly string[] = []): Promise<OperatorHandle> {
    if (this.operator) throw new Error('the operator is already running');
    this.#operatorRuns += 1;
    const child = this.group.spawn({
      name: 'operator',
      script: 'dist/main.js',
      nodeArgs,
      logFile: join(this.dir, `operator-${this.#operatorRuns}.log`),
      env: childEnv({
        KUBECONFIG: this.api.kubeconfig,
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        POD_NAME: `cdn-cert-sync-bench-${this.#operatorRuns}`,
        ALIBABA_CREDENTIALS_SECRET: ALIBABA_SECRET,
        TENCENT_CREDENTIALS_SECRET: TENCENT_SECRET,
        ALIBABA_CDN_ENDPOINT: this.emulators.alibaba,
        TENCENT_TEO_ENDPOINT: this.emulators.tencent,
        TENCENT_SSL_ENDPOINT: this.emulators.tencent,
        METRICS_ADDR: '127.0.0.1:0',
        HEALTH_ADDR: '127.0.0.1:0',
        LOG_LEVEL: 'info',
        ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
      }),
    });
    const handle = new OperatorHandle(child);
    this.operator = handle;
    await handle.ready();
    return handle;
  }

  async stopOperator(): Promise<void> {
    const op = this.operator;
    this.operator = undefined;
    if (op) await op.child.stop(30_000);
  }

  /**
   * Waits until the operator has reconciled at least `count` times; returns
   * when that was first seen (epoch ms), polling /metrics every `pollMs`.
   * A scrape is not free for the operator (about 15 ms of its CPU per 1,000
   * bindings, for the per-binding gauges), so the default interval grows
   * with the count: polling too often would slow down what it measures.
   */
  async waitReconciled(op: OperatorHandle, count: number, timeoutMs: number, pollMs = pollInterval(count)): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await op.scrape().catch(() => '');
      const done = sumMetric(text, 'cdn_cert_sync_reconcile_total');
      if (done >= count) return epochNow();
      if (!op.child.running) throw new Error(`the operator exited:\n${op.child.tail()}`);
      if (Date.now() > deadline) throw new Error(`the operator reconciled ${done} of ${count} within ${timeoutMs} ms`);
      await sleep(pollMs);
    }
  }

  /** Stops every process; removes the logs unless `keepLogs`. */
  async stop(keepLogs = false): Promise<void> {
    this.operator = undefined;
    await this.group.stopAll();
    if (keepLogs) this.log(`  logs kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

