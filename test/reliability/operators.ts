// Scenario helpers for the operator as its own process (`node src/main.ts`):
// the test API server and both emulators in the test process, the operator
// configured the way the Helm chart does it, with endpoints pointing at the
// emulators and default credentials Secrets in its namespace. The evidence
// the invariant uses is then the clouds' own upload records (there is no
// in-process call log), and the process's output is checked for secrets.
import { randomBytes } from 'node:crypto';
import { AlibabaCdnEmulator } from '../emulators/alibaba/emulator.ts';
import { TencentEmulator } from '../emulators/tencent/emulator.ts';
import { DEFAULT_CREDENTIALS, OPERATOR_NAMESPACE, TestEnv } from '../harness/env.ts';
import { OperatorProcess, writeKubeconfig } from '../harness/process.ts';
import { alibabaProbe, checkInvariant, Ledger, tencentProbe, type BindingId, type InvariantOptions, type InvariantReport } from './invariant.ts';

export const ZONE = 'zone-procs1';

/** A small seeded PRNG (mulberry32), so a failing random kill point can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ProcessStackOptions {
  /** Extra environment for every operator process. */
  env?: Record<string, string>;
}

export class ProcessStack {
  readonly ledger = new Ledger();
  readonly bindings: BindingId[] = [];
  readonly procs: OperatorProcess[] = [];
  readonly env: TestEnv;
  readonly kubeconfig: string;
  readonly alibaba: { emulator: AlibabaCdnEmulator; accountId: string; keySecret: string };
  readonly tencent: { emulator: TencentEmulator; secretId: string; secretKey: string };
  readonly #opts: ProcessStackOptions;
  #namespaces = 0;

  private constructor(
    env: TestEnv,
    kubeconfig: string,
    alibaba: ProcessStack['alibaba'],
    tencent: ProcessStack['tencent'],
    opts: ProcessStackOptions,
  ) {
    this.env = env;
    this.kubeconfig = kubeconfig;
    this.alibaba = alibaba;
    this.tencent = tencent;
    this.#opts = opts;
  }

  static async start(opts: ProcessStackOptions = {}): Promise<ProcessStack> {
    const ali = await AlibabaCdnEmulator.start();
    const accountId = `LTAI5t${randomBytes(6).toString('hex')}`;
    const keySecret = randomBytes(18).toString('base64url');
    ali.addAccount(accountId, keySecret);
    const ten = await TencentEmulator.start();
    const secretId = `AKID${randomBytes(8).toString('hex')}`;
    const secretKey = randomBytes(24).toString('base64url');
    ten.addAccount(secretId, secretKey);
    ten.addZone(secretId, ZONE, []);
    const env = await TestEnv.start({
      deferOperator: true,
      credentials: { accessKeyId: accountId, accessKeySecret: keySecret, secretId, secretKey },
    });
    const stack = new ProcessStack(env, writeKubeconfig(env.api), { emulator: ali, accountId, keySecret }, { emulator: ten, secretId, secretKey }, opts);
    stack.ledger.credential(keySecret);
    stack.ledger.credential(secretKey);
    return stack;
  }

  /** Starts an operator process and waits until it serves health and metrics. */
  async operator(extra: Record<string, string> = {}): Promise<OperatorProcess> {
    const p = new OperatorProcess({
      KUBECONFIG: this.kubeconfig,
      POD_NAMESPACE: OPERATOR_NAMESPACE,
      POD_NAME: `op-${this.procs.length + 1}`,
      LOG_LEVEL: 'debug',
      ALIBABA_CREDENTIALS_SECRET: DEFAULT_CREDENTIALS,
      TENCENT_CREDENTIALS_SECRET: DEFAULT_CREDENTIALS,
      ALIBABA_CDN_ENDPOINT: this.alibaba.emulator.url,
      TENCENT_TEO_ENDPOINT: this.tencent.emulator.url,
      TENCENT_SSL_ENDPOINT: this.tencent.emulator.url,
      PROVIDER_TIMEOUT: '2s',
      ...this.#opts.env,
      ...extra,
    });
    this.procs.push(p);
    return p.ready();
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(p: OperatorProcess): Promise<void> {
    p.kill('SIGKILL');
    await p.exited;
  }

  async namespace(prefix = 'p'): Promise<string> {
    const name = `${prefix}${++this.#namespaces}`;
    await this.env.createNamespace(name);
    return name;
  }

  domains(ns: string, ...labels: string[]): string[] {
    const out = labels.map((l) => `${l}.${ns}.example.com`);
    for (const d of out) this.alibaba.emulator.addDomain(this.alibaba.accountId, d);
    return out;
  }

  hosts(ns: string, ...labels: string[]): string[] {
    const out = labels.map((l) => `${l}.${ns}.example.com`);
    this.tencent.emulator.addZone(this.tencent.secretId, ZONE, out);
    return out;
  }

  track(namespace: string, name: string): void {
    this.bindings.push({ namespace, name });
  }

  untrack(namespace: string, name: string): void {
    const i = this.bindings.findIndex((b) => b.namespace === namespace && b.name === name);
    if (i >= 0) this.bindings.splice(i, 1);
  }

  /** The shared invariant, with the clouds' records as evidence and every process's output checked for secrets. */
  check(extra: Partial<InvariantOptions> = {}): Promise<InvariantReport> {
    return checkInvariant({
      env: this.env,
      bindings: [...this.bindings],
      probes: { alibaba: alibabaProbe(this.alibaba.emulator, this.alibaba.accountId), tencent: tencentProbe(this.tencent.emulator, this.tencent.secretId) },
      ledger: this.ledger,
      inProcess: false,
      texts: async () => {
        const texts: Record<string, string> = { 'operator process output': this.procs.map((p) => p.lines.join('\n')).join('\n') };
        const live = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
        for (const p of live) texts[`/metrics of ${p.child.pid}`] = (await p.get('metrics', '/metrics').catch(() => ({ text: '' }))).text;
        return texts;
      },
      timeoutMs: 30_000,
      ...extra,
    });
  }

  async stop(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited));
    await this.env.stop();
    await this.alibaba.emulator.stop();
    await this.tencent.emulator.stop();
  }
}
