// Everything the demo runs, on loopback with ephemeral ports, each in a
// process of its own: the test Kubernetes API server, the Alibaba Cloud CDN
// emulator, the Tencent Cloud emulator, and the real operator (src/main.ts)
// configured the way the Helm chart configures it, only with endpoints that
// point at the emulators. Also the cluster's starting state: the CRD, the
// operator's and the workloads' namespaces, and the default credentials
// Secrets (random per run, never printed).
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { customResourceDefinition } from '../../src/api/v1alpha1/crd.ts';
import type { Child, ProcessGroup } from './processes.ts';

export const OPERATOR_NAMESPACE = 'cdn-cert-sync';
export const WORKLOAD_NAMESPACE = 'demo';
export const ALIBABA_CREDENTIALS = 'alibaba-credentials';
export const TENCENT_CREDENTIALS = 'tencent-credentials';

const READY_TIMEOUT_MS = 20_000;

export interface Layout {
  /** Alibaba accelerated domains as a binding names them (`*.example.com` for a wildcard). */
  alibabaDomains: readonly string[];
  tencentZone: { zoneId: string; hosts: readonly string[] };
}

export interface ProcessInfo {
  name: string;
  pid: number;
  /** Every loopback URL it listens on. */
  urls: string[];
}

export interface SandboxOptions {
  group: ProcessGroup;
  /** A private directory (mode 0700) for the kubeconfig and every process's log. */
  dir: string;
  layout: Layout;
  /** Progress, one short line per step. */
  step: (message: string) => void;
}

/** Only what Node needs: no cloud credentials, kubeconfig or proxy settings leak from the caller's environment. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
}

async function json<T>(url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface EmulatorCall {
  action: string;
  code: string;
}

/** The Alibaba emulator's admin API (test/emulators/alibaba/emulator.ts). */
export class AlibabaAdmin {
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  addAccount(accessKeyId: string, secret: string): Promise<unknown> {
    return json(`${this.url}/__emulator/accounts`, { body: { accessKeyId, secret } });
  }
  /** `domain` as a binding names it; the CDN writes a wildcard `.example.com`. */
  addDomain(accountId: string, domain: string): Promise<unknown> {
    return json(`${this.url}/__emulator/domains`, { body: { accountId, domain: apiDomain(domain) } });
  }
  async served(domain: string): Promise<string | undefined> {
    const state = await json<{ servedFingerprint: string | null }>(`${this.url}/__emulator/domains/${encodeURIComponent(apiDomain(domain))}`);
    return state.servedFingerprint ?? undefined;
  }
  /** ServiceBusy for every SetCdnDomainSSLCertificate until cleared. */
  busy(): Promise<unknown> {
    return json(`${this.url}/__emulator/faults/busy`, { body: { domain: '*' } });
  }
  clearFaults(): Promise<unknown> {
    return json(`${this.url}/__emulator/faults/clear`, { body: {} });
  }
  calls(): Promise<EmulatorCall[]> {
    return json(`${this.url}/__emulator/calls`);
  }
}

/** The admin API of test/demo/tencent-emulator.ts. */
export class TencentAdmin {
  readonly url: string;
  readonly admin: string;
  constructor(url: string, admin: string) {
    this.url = url;
    this.admin = admin;
  }
  addAccount(secretId: string, secretKey: string): Promise<unknown> {
    return json(`${this.admin}/__emulator/accounts`, { body: { secretId, secretKey } });
  }
  addZone(secretId: string, zoneId: string, hosts: readonly string[]): Promise<unknown> {
    return json(`${this.admin}/__emulator/zones`, { body: { secretId, zoneId, hosts } });
  }
  async served(zoneId: string): Promise<Map<string, string | undefined>> {
    const zone = await json<{ hosts: Array<{ name: string; servedFingerprint: string | null }> }>(`${this.admin}/__emulator/zones/${encodeURIComponent(zoneId)}`);
    return new Map(zone.hosts.map((h) => [h.name, h.servedFingerprint ?? undefined]));
  }
  /** `code` for every call of `action` until cleared. */
  fail(code: string, action: string): Promise<unknown> {
    return json(`${this.admin}/__emulator/faults/fail`, { body: { code, action } });
  }
  clearFaults(): Promise<unknown> {
    return json(`${this.admin}/__emulator/faults/clear`, { body: {} });
  }
  calls(): Promise<EmulatorCall[]> {
    return json(`${this.admin}/__emulator/calls`);
  }
}

export function apiDomain(domain: string): string {
  return domain.startsWith('*.') ? domain.slice(1) : domain;
}

export interface OperatorProcess {
  child: Child;
  /** `http://127.0.0.1:<port>` of /healthz and /readyz. */
  healthUrl: string;
  /** `http://127.0.0.1:<port>/metrics`. */
  metricsUrl: string;
  logFile: string;
}

export class Sandbox {
  /** A private temporary directory: kubeconfig and every process's log. */
  readonly dir: string;
  readonly kubeconfig: string;
  readonly apiUrl: string;
  readonly alibaba: AlibabaAdmin;
  readonly tencent: TencentAdmin;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly operator: OperatorProcess;
  readonly processes: ProcessInfo[];
  readonly #logs: WriteStream[];

  private constructor(init: {
    dir: string;
    kubeconfig: string;
    apiUrl: string;
    alibaba: AlibabaAdmin;
    tencent: TencentAdmin;
    operator: OperatorProcess;
    processes: ProcessInfo[];
    logs: WriteStream[];
  }) {
    this.dir = init.dir;
    this.kubeconfig = init.kubeconfig;
    this.apiUrl = init.apiUrl;
    this.alibaba = init.alibaba;
    this.tencent = init.tencent;
    this.operator = init.operator;
    this.processes = init.processes;
    this.#logs = init.logs;
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Starts everything; on failure the caller stops `group` (which holds whatever did start). */
  static async start(opts: SandboxOptions): Promise<Sandbox> {
    const { group, layout, step, dir } = opts;
    const kubeconfig = join(dir, 'kubeconfig');
    const logs: WriteStream[] = [];
    const logFile = (name: string) => {
      const stream = createWriteStream(join(dir, `${name}.log`), { mode: 0o600 });
      logs.push(stream);
      return stream;
    };
    const env = childEnv();

    // The three servers start in parallel; each prints one JSON line once it listens.
    const apiChild = group.spawn({
      name: 'kube-apiserver',
      script: 'test/kube-apiserver/main.ts',
      args: ['--port', '0', '--kubeconfig-out', kubeconfig],
      env,
      log: logFile('kube-apiserver'),
    });
    const alibabaChild = group.spawn({ name: 'alibaba-emulator', script: 'test/emulators/alibaba/main.ts', args: ['--port', '0'], env, log: logFile('alibaba-emulator') });
    const tencentChild = group.spawn({ name: 'tencent-emulator', script: 'test/demo/tencent-emulator.ts', env, log: logFile('tencent-emulator') });
    const firstJson = async <T>(child: Child): Promise<T> => JSON.parse(await child.waitForLine((l) => l.startsWith('{'), READY_TIMEOUT_MS)) as T;
    const [api, ali, ten] = await Promise.all([
      firstJson<{ url: string; kubeconfig: string }>(apiChild),
      firstJson<{ url: string }>(alibabaChild),
      firstJson<{ url: string; admin: string }>(tencentChild),
    ]);
    step(`kube-apiserver    pid ${apiChild.pid}  ${api.url}`);
    step(`alibaba emulator  pid ${alibabaChild.pid}  ${ali.url}`);
    step(`tencent emulator  pid ${tencentChild.pid}  ${ten.url} (admin ${ten.admin})`);

    // Cloud accounts: placeholder-looking identifiers, random secrets.
    const alibabaKey = { accessKeyId: `LTAI5tDemo${randomBytes(7).toString('hex')}`, accessKeySecret: randomBytes(22).toString('base64url') };
    const tencentKey = { secretId: `AKIDdemo${randomBytes(14).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
    const alibaba = new AlibabaAdmin(ali.url);
    const tencent = new TencentAdmin(ten.url, ten.admin);
    await alibaba.addAccount(alibabaKey.accessKeyId, alibabaKey.accessKeySecret);
    for (const domain of layout.alibabaDomains) await alibaba.addDomain(alibabaKey.accessKeyId, domain);
    await tencent.addAccount(tencentKey.secretId, tencentKey.secretKey);
    await tencent.addZone(tencentKey.secretId, layout.tencentZone.zoneId, layout.tencentZone.hosts);

    // The cluster: CRD (a plain JSON POST, as kubectl apply sends it: client-node's
    // ApiextensionsV1Api would drop `default` and x-kubernetes-* fields), namespaces,
    // default credentials Secrets in the operator's namespace.
    const crd = await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(customResourceDefinition()),
    });
    if (crd.status !== 201) throw new Error(`creating the CRD: HTTP ${crd.status}: ${(await crd.text()).slice(0, 300)}`);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [OPERATOR_NAMESPACE, WORKLOAD_NAMESPACE]) await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedSecret({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: ALIBABA_CREDENTIALS }, type: 'Opaque', stringData: alibabaKey },
    });
    await core.createNamespacedSecret({
      namespace: OPERATOR_NAMESPACE,
      body: { metadata: { name: TENCENT_CREDENTIALS }, type: 'Opaque', stringData: tencentKey },
    });
    step(`cluster ready: CRD, namespaces ${OPERATOR_NAMESPACE} and ${WORKLOAD_NAMESPACE}, credentials Secrets`);

    // The operator, as `node src/main.ts` with the settings a Deployment would give it.
    const operatorLog = join(dir, 'operator.log');
    const operatorChild = group.spawn({
      name: 'operator',
      script: 'src/main.ts',
      env: childEnv({
        KUBECONFIG: kubeconfig,
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        POD_NAME: 'cdn-cert-sync-demo',
        ALIBABA_CREDENTIALS_SECRET: ALIBABA_CREDENTIALS,
        TENCENT_CREDENTIALS_SECRET: TENCENT_CREDENTIALS,
        ALIBABA_CDN_ENDPOINT: ali.url,
        TENCENT_TEO_ENDPOINT: ten.url,
        TENCENT_SSL_ENDPOINT: ten.url,
        RESYNC_INTERVAL: '10m',
        PROVIDER_TIMEOUT: '5s',
        SHUTDOWN_TIMEOUT: '5s',
        HEALTH_ADDR: '127.0.0.1:0',
        METRICS_ADDR: '127.0.0.1:0',
        LOG_LEVEL: 'debug',
      }),
      log: logFile('operator'),
      stopFirst: true,
      // SHUTDOWN_TIMEOUT to drain, and main.ts's own 2 s exit timer, before SIGKILL.
      stopGraceMs: 10_000,
    });
    const serving = JSON.parse(
      await operatorChild.waitForLine((l) => l.includes('"serving health and metrics"'), READY_TIMEOUT_MS),
    ) as { health?: string; metrics?: string };
    if (!serving.health || !serving.metrics) throw new Error('the operator did not report its health and metrics addresses');
    const healthUrl = `http://${serving.health}`;
    const metricsUrl = `http://${serving.metrics}/metrics`;
    await until(`the operator to be ready (${healthUrl}/readyz)`, async () => (await fetch(`${healthUrl}/readyz`)).ok, READY_TIMEOUT_MS);
    step(`operator          pid ${operatorChild.pid}  ready (health ${healthUrl}, metrics ${metricsUrl})`);

    const urlOf = (hostPort: string) => `http://${hostPort}`;
    return new Sandbox({
      dir,
      kubeconfig,
      apiUrl: api.url,
      alibaba,
      tencent,
      operator: { child: operatorChild, healthUrl, metricsUrl, logFile: operatorLog },
      processes: [
        { name: apiChild.name, pid: apiChild.pid, urls: [api.url] },
        { name: alibabaChild.name, pid: alibabaChild.pid, urls: [ali.url] },
        { name: tencentChild.name, pid: tencentChild.pid, urls: [ten.url, ten.admin] },
        { name: operatorChild.name, pid: operatorChild.pid, urls: [urlOf(serving.health), urlOf(serving.metrics)] },
      ],
      logs,
    });
  }

  /** Flushes the log files (the processes are stopped by their ProcessGroup). */
  async closeLogs(): Promise<void> {
    await Promise.all(this.#logs.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}

/** Polls `probe` until it returns true; errors count as "not yet". */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
