// Fault scenario helpers: an in-process operator against the test API
// server with the real Alibaba and/or Tencent drivers talking HTTP to their
// emulators (or the in-memory CDN), every provider call recorded by a
// ProviderLog, a Ledger of renewals and secrets, and `check()` running the
// shared invariant over every binding the scenario created.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { OperatorConfig, OperatorOptions } from '../../src/operator.ts';
import { alibabaDriver, type AlibabaDriverOptions } from '../../src/providers/alibaba/driver.ts';
import { memoryDriver, type MemoryCdn } from '../../src/providers/memory/index.ts';
import type { ProviderDriver } from '../../src/providers/provider.ts';
import type { RetryPolicy } from '../../src/providers/retry.ts';
import { tencentDriver, type TencentDriverOptions } from '../../src/providers/tencent/driver.ts';
import type { Metrics } from '../../src/telemetry/metrics.ts';
import { AlibabaCdnEmulator } from '../emulators/alibaba/emulator.ts';
import { TencentEmulator, type EmulatorOptions } from '../emulators/tencent/emulator.ts';
import type { BindingOptions } from '../fixtures/bindings.ts';
import type { IssuedCert } from '../fixtures/certs.ts';
import { credentialsData, TestEnv } from '../harness/env.ts';
import {
  alibabaProbe,
  checkInvariant,
  expectNoLeaks,
  Ledger,
  memoryProbe,
  renew,
  tencentProbe,
  type BindingId,
  type CdnProbe,
  type InvariantOptions,
  type InvariantReport,
  type Renewal,
} from './invariant.ts';
import { DelayProxy } from './proxy.ts';
import { ProviderLog } from './recorder.ts';

export const ZONE = 'zone-reliab1';
/** Small, so that faults are ridden out quickly; the work queue's backoff takes over after. */
export const FAST_RETRY: RetryPolicy = { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 80 };

export interface StackOptions {
  /** Real Alibaba driver + emulator (else the in-memory CDN serves `alibaba` bindings). */
  alibaba?: boolean;
  /** Real Tencent driver + emulator (else the in-memory CDN serves `tencent` bindings). */
  tencent?: boolean;
  /** Put a DelayProxy between the Alibaba driver and its emulator (stack.alibaba.proxy). */
  alibabaProxy?: boolean;
  requestTimeoutMs?: number;
  alibabaDriver?: AlibabaDriverOptions;
  tencentDriver?: TencentDriverOptions;
  tencentEmulator?: Partial<EmulatorOptions>;
  config?: Partial<OperatorConfig>;
  tuning?: OperatorOptions['tuning'];
}

export interface AlibabaSide {
  emulator: AlibabaCdnEmulator;
  /** Where the driver sends requests: the emulator, or a DelayProxy in front of it. */
  endpoint: string;
  proxy: DelayProxy | undefined;
  accountId: string;
  keySecret: string;
}

export interface TencentSide {
  emulator: TencentEmulator;
  secretId: string;
  secretKey: string;
}

export class Stack {
  readonly ledger = new Ledger();
  readonly log = new ProviderLog();
  readonly bindings: BindingId[] = [];
  readonly alibaba: AlibabaSide | undefined;
  readonly tencent: TencentSide | undefined;
  readonly probes: Partial<Record<'alibaba' | 'tencent', CdnProbe>>;
  readonly #opts: StackOptions;
  /** Every operator this stack ran, the current one last (their logs are all checked for leaks). */
  readonly envs: TestEnv[] = [];
  #namespaces = 0;

  private constructor(opts: StackOptions, alibaba: AlibabaSide | undefined, tencent: TencentSide | undefined, probes: Stack['probes']) {
    this.#opts = opts;
    this.alibaba = alibaba;
    this.tencent = tencent;
    this.probes = probes;
  }

  static async start(opts: StackOptions = {}): Promise<Stack> {
    let alibaba: AlibabaSide | undefined;
    let tencent: TencentSide | undefined;
    if (opts.alibaba) {
      const emulator = await AlibabaCdnEmulator.start();
      const accountId = `LTAI5t${randomBytes(6).toString('hex')}`;
      const keySecret = randomBytes(18).toString('base64url');
      emulator.addAccount(accountId, keySecret);
      const proxy = opts.alibabaProxy ? await DelayProxy.start(emulator.url) : undefined;
      alibaba = { emulator, endpoint: proxy?.url ?? emulator.url, proxy, accountId, keySecret };
    }
    if (opts.tencent) {
      // Client-side limits are exercised on purpose by the rate-limit scenarios; elsewhere generous.
      const emulator = await TencentEmulator.start({ rateLimits: {}, defaultRateLimit: 100_000, ...opts.tencentEmulator });
      const secretId = `AKID${randomBytes(8).toString('hex')}`;
      const secretKey = randomBytes(24).toString('base64url');
      emulator.addAccount(secretId, secretKey);
      emulator.addZone(secretId, ZONE, []);
      tencent = { emulator, secretId, secretKey };
    }
    const stack = new Stack(opts, alibaba, tencent, {});
    stack.probes.alibaba = alibaba ? alibabaProbe(alibaba.emulator, alibaba.accountId) : undefined;
    stack.probes.tencent = tencent ? tencentProbe(tencent.emulator, tencent.secretId) : undefined;
    const memory = !alibaba || !tencent;
    const env = await TestEnv.start({
      credentials: stack.defaultCredentials(),
      config: { resyncIntervalMs: 60 * 60_000, ...opts.config },
      ...(opts.tuning ? { tuning: opts.tuning } : {}),
      drivers: stack.#drivers(),
    });
    if (memory) {
      if (!alibaba) stack.probes.alibaba = memoryProbe(env.cdn);
      if (!tencent) stack.probes.tencent = memoryProbe(env.cdn);
    }
    stack.envs.push(env);
    for (const c of stack.credentialSecrets()) stack.ledger.credential(c);
    return stack;
  }

  get env(): TestEnv {
    return this.envs.at(-1)!;
  }

  /** Keys for every driver in one Secret (each driver reads its own). */
  defaultCredentials(): Record<string, string> {
    // The in-memory CDN reads the same keys as the real drivers it stands in for.
    return {
      ...credentialsData('memory-account', 'memory-credential-secret-value'),
      ...(this.alibaba ? { accessKeyId: this.alibaba.accountId, accessKeySecret: this.alibaba.keySecret } : {}),
      ...(this.tencent ? { secretId: this.tencent.secretId, secretKey: this.tencent.secretKey } : {}),
    };
  }

  /** The secret halves of the default credentials (ids are not secret). */
  credentialSecrets(): string[] {
    const c = this.defaultCredentials();
    return [...new Set([c.accessKeySecret, c.secretKey, 'memory-credential-secret-value'])].filter((v): v is string => !!v);
  }

  #drivers() {
    const opts = this.#opts;
    return ({ cdn, logger, metrics }: { cdn: MemoryCdn; logger: Logger; metrics: Metrics }): ProviderDriver[] => {
      const timeout = opts.requestTimeoutMs ?? 500;
      const ali = this.alibaba
        ? alibabaDriver(
            { settings: { endpoint: this.alibaba.endpoint, rrsa: false, credentialsSecret: undefined }, requestTimeoutMs: timeout, recordCall: metrics.calls(), logger },
            { retry: FAST_RETRY, ...opts.alibabaDriver },
          )
        : memoryDriver('alibaba', cdn);
      const ten = this.tencent
        ? tencentDriver(
            { settings: { teoEndpoint: this.tencent.emulator.url, sslEndpoint: this.tencent.emulator.url, credentialsSecret: undefined }, requestTimeoutMs: timeout, recordCall: metrics.calls(), logger },
            {
              retry: FAST_RETRY,
              deleteTaskPolling: { intervalMs: 5, attempts: 20 },
              rateLimits: { ModifyHostsCertificate: 500, UploadCertificate: 500, DeleteCertificate: 500 },
              defaultRateLimit: 500,
              ...opts.tencentDriver,
            },
          )
        : memoryDriver('tencent', cdn);
      return [this.log.wrap(ali), this.log.wrap(ten)];
    };
  }

  /** Replaces the operator with a fresh one (same API server, CDN and call log), with other settings. */
  async restartOperator(config: Partial<OperatorConfig> = {}, tuning?: OperatorOptions['tuning']): Promise<TestEnv> {
    const old = this.env;
    await old.stopOperator();
    const env = await TestEnv.start({
      api: old.api,
      cdn: old.cdn,
      config: { resyncIntervalMs: 60 * 60_000, ...this.#opts.config, ...config },
      ...((tuning ?? this.#opts.tuning) ? { tuning: tuning ?? this.#opts.tuning } : {}),
      drivers: this.#drivers(),
    });
    this.envs.push(env);
    return env;
  }

  async namespace(prefix = 'r'): Promise<string> {
    const name = `${prefix}${++this.#namespaces}`;
    await this.env.createNamespace(name);
    return name;
  }

  /** Alibaba accelerated domains `<label>.<ns>.example.com`, registered with the emulator. */
  domains(ns: string, ...labels: string[]): string[] {
    const out = labels.map((l) => `${l}.${ns}.example.com`);
    for (const d of out) this.alibaba?.emulator.addDomain(this.alibaba.accountId, d.startsWith('*.') ? d.slice(1) : d);
    return out;
  }

  /** EdgeOne hosts `<label>.<ns>.example.com` in ZONE, registered with the emulator. */
  hosts(ns: string, ...labels: string[]): string[] {
    const out = labels.map((l) => `${l}.${ns}.example.com`);
    this.tencent?.emulator.addZone(this.tencent.secretId, ZONE, out);
    return out;
  }

  renew(namespace: string, name: string, cert: IssuedCert, extra: { type?: string } = {}): Promise<Renewal> {
    return renew(this.env, this.ledger, { namespace, name, cert, ...extra });
  }

  /** Creates a binding and adds it to the set the invariant checks. */
  async bind(opts: BindingOptions & { namespace: string; name: string }): Promise<void> {
    await this.env.createBinding(opts);
    if (!this.bindings.some((b) => b.namespace === opts.namespace && b.name === opts.name)) this.bindings.push({ namespace: opts.namespace, name: opts.name });
  }

  /** A Tencent binding in ZONE. */
  async bindTencent(opts: { namespace: string; name: string; secretName: string; hosts: string[]; credentials?: string }): Promise<void> {
    await this.bind({ ...opts, tencent: { zoneId: ZONE, hosts: opts.hosts } });
  }

  /** Stops tracking a binding (deleted by the scenario). */
  untrack(namespace: string, name: string): void {
    const i = this.bindings.findIndex((b) => b.namespace === namespace && b.name === name);
    if (i >= 0) this.bindings.splice(i, 1);
  }

  /** Clears every fault: the API server's and the clouds'. */
  clearFaults(): void {
    this.env.api.faults.clear();
    this.env.cdn.clearFaults();
    this.alibaba?.emulator.clearFaults();
    this.alibaba?.emulator.rateLimit(undefined);
    this.tencent?.emulator.clearFaults();
  }

  invariantOptions(extra: Partial<InvariantOptions> = {}): InvariantOptions {
    const earlier = this.envs.slice(0, -1);
    return {
      env: this.env,
      bindings: [...this.bindings],
      probes: this.probes,
      ledger: this.ledger,
      log: this.log,
      texts: (): Record<string, string> => (earlier.length > 0 ? { 'earlier operators\' logs': earlier.map((e) => e.logs.text).join('\n') } : {}),
      ...extra,
    };
  }

  /** The shared invariant over every binding created so far (or the ones given). */
  check(extra: Partial<InvariantOptions> = {}): Promise<InvariantReport> {
    return checkInvariant(this.invariantOptions(extra));
  }

  noLeaks(): Promise<void> {
    return expectNoLeaks({ env: this.env, ledger: this.ledger, log: this.log, probes: this.probes, texts: this.invariantOptions().texts });
  }

  async stop(): Promise<void> {
    for (const env of this.envs.slice(1).reverse()) await env.stopOperator();
    await this.envs[0]?.stop();
    await this.alibaba?.proxy?.stop();
    await this.alibaba?.emulator.stop();
    await this.tencent?.emulator.stop();
  }
}
