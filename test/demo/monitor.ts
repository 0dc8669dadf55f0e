// What the demo shows and waits on, read a few times a second from the
// outside, as a user would: each binding's status from the API server, the
// fingerprint of the Secret it names, and what each CDN target serves
// according to the emulators. The live table and the scenario's waits use
// the same snapshots, so what the table shows is what the demo asserted.
import { createHash, X509Certificate } from 'node:crypto';
import { GROUP, PLURAL, VERSION, type CdnCertificateBinding } from '../../src/api/v1alpha1/schema.ts';
import type { Sandbox } from './sandbox.ts';

export interface DemoBinding {
  namespace: string;
  name: string;
  provider: 'alibaba' | 'tencent';
  secretName: string;
  /** Alibaba domains or EdgeOne hosts, as the binding names them. */
  targets: readonly string[];
  /** EdgeOne only. */
  zoneId?: string;
}

export interface TargetView {
  name: string;
  /** From the binding's status: Synced, Pending, Failed. */
  state: string | undefined;
  /** The provider error code in the status message, such as `ServiceBusy`. */
  code: string | undefined;
  /** SHA-256 of the leaf the CDN serves, from the emulator. */
  serving: string | undefined;
}

export interface BindingView {
  binding: DemoBinding;
  /** Whether the binding exists yet. */
  exists: boolean;
  ready: string | undefined;
  reason: string | undefined;
  message: string | undefined;
  /** status.observedGeneration is the current generation. */
  current: boolean;
  /** status.certificate.fingerprintSHA256. */
  statusFingerprint: string | undefined;
  /** SHA-256 of the leaf in the Secret's tls.crt. */
  secretFingerprint: string | undefined;
  targets: TargetView[];
}

export interface Snapshot {
  /** Milliseconds since the demo started. */
  at: number;
  bindings: BindingView[];
  /** The last read that failed, if the latest poll had one. */
  error: string | undefined;
}

const POLL_MS = 200;

export function keyOf(b: DemoBinding): string {
  return `${b.namespace}/${b.name}`;
}

/** The error code a target's status message starts with (`ServiceBusy: … (RequestId …)`). */
export function codeOf(message: string | undefined): string | undefined {
  return message ? /^([A-Za-z][\w.]*): /.exec(message)?.[1] : undefined;
}

/** SHA-256 of the first certificate in a PEM bundle, lowercase hex. */
export function leafFingerprint(chainPem: string): string | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(chainPem)?.[0];
  if (!block) return undefined;
  try {
    return createHash('sha256').update(new X509Certificate(block).raw).digest('hex');
  } catch {
    return undefined;
  }
}

/** Every target serves `fingerprint`, the status says so for the current generation, and the Secret holds it. */
export function converged(view: BindingView, fingerprint: string): boolean {
  return (
    view.ready === 'True' &&
    view.reason === 'Synced' &&
    view.current &&
    view.statusFingerprint === fingerprint &&
    view.secretFingerprint === fingerprint &&
    view.targets.every((t) => t.state === 'Synced' && t.serving === fingerprint)
  );
}

export class Monitor {
  readonly #sandbox: Sandbox;
  readonly #bindings: readonly DemoBinding[];
  readonly #started: number;
  readonly #listeners = new Set<(s: Snapshot) => void>();
  #latest: Snapshot;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(sandbox: Sandbox, bindings: readonly DemoBinding[], started: number) {
    this.#sandbox = sandbox;
    this.#bindings = bindings;
    this.#started = started;
    this.#latest = { at: 0, bindings: bindings.map((binding) => emptyView(binding)), error: undefined };
  }

  get latest(): Snapshot {
    return this.#latest;
  }

  /** Polls until stop(); every snapshot goes to the listeners. */
  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#latest = await this.#poll();
      for (const listener of this.#listeners) listener(this.#latest);
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), POLL_MS);
    };
    void loop();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#listeners.clear();
  }

  onSnapshot(listener: (s: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first snapshot (from the next poll on) that `test` accepts; rejects after `timeoutMs`. */
  until(what: string, test: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot> {
    return new Promise<Snapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`));
      }, timeoutMs);
      const off = this.onSnapshot((s) => {
        if (!test(s)) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
    });
  }

  async #poll(): Promise<Snapshot> {
    const errors: string[] = [];
    const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (err) {
        errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    };
    const namespaces = [...new Set(this.#bindings.map((b) => b.namespace))];
    const { custom, core, alibaba, tencent } = this.#sandbox;
    const [bindingLists, secretLists, aliServed, tenServed] = await Promise.all([
      Promise.all(
        namespaces.map((namespace) =>
          attempt('bindings', async () => ((await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace })) as { items: CdnCertificateBinding[] }).items),
        ),
      ),
      Promise.all(namespaces.map((namespace) => attempt('secrets', async () => (await core.listNamespacedSecret({ namespace })).items))),
      Promise.all(
        this.#bindings
          .filter((b) => b.provider === 'alibaba')
          .flatMap((b) => b.targets.map(async (t) => [t, await attempt('alibaba emulator', () => alibaba.served(t))] as const)),
      ),
      Promise.all(
        [...new Set(this.#bindings.flatMap((b) => (b.provider === 'tencent' && b.zoneId ? [b.zoneId] : [])))].map(
          async (zoneId) => [zoneId, await attempt('tencent emulator', () => tencent.served(zoneId))] as const,
        ),
      ),
    ]);
    const previous = new Map(this.#latest.bindings.map((v) => [keyOf(v.binding), v]));
    const alibabaServing = new Map(aliServed);
    const tencentServing = new Map(tenServed);

    const bindings = this.#bindings.map((binding): BindingView => {
      const before = previous.get(keyOf(binding)) ?? emptyView(binding);
      const nsIndex = namespaces.indexOf(binding.namespace);
      const list = bindingLists[nsIndex];
      const secrets = secretLists[nsIndex];
      const object = list?.find((o) => o.metadata.name === binding.name);
      const secret = secrets?.find((s) => s.metadata?.name === binding.secretName);
      const crt = secret?.data?.['tls.crt'];
      const secretFingerprint = secrets === undefined ? before.secretFingerprint : crt ? leafFingerprint(Buffer.from(crt, 'base64').toString('utf8')) : undefined;
      const servingOf = (target: string): string | undefined => {
        if (binding.provider === 'alibaba') return alibabaServing.has(target) ? alibabaServing.get(target) : before.targets.find((t) => t.name === target)?.serving;
        const zone = binding.zoneId ? tencentServing.get(binding.zoneId) : undefined;
        return zone ? zone.get(target.toLowerCase()) : before.targets.find((t) => t.name === target)?.serving;
      };
      if (list === undefined) {
        // The read failed: keep what was known, with fresh emulator readings.
        return { ...before, targets: before.targets.map((t) => ({ ...t, serving: servingOf(t.name) })), secretFingerprint };
      }
      const ready = object?.status?.conditions?.find((c) => c.type === 'Ready');
      const statusTargets = new Map((object?.status?.targets ?? []).map((t) => [t.name, t]));
      return {
        binding,
        exists: object !== undefined,
        ready: ready?.status,
        reason: ready?.reason,
        message: ready?.message,
        current: object !== undefined && object.status?.observedGeneration === object.metadata.generation,
        statusFingerprint: object?.status?.certificate?.fingerprintSHA256,
        secretFingerprint,
        targets: binding.targets.map((name) => {
          const t = statusTargets.get(name);
          return { name, state: t?.state, code: codeOf(t?.message), serving: servingOf(name) };
        }),
      };
    });
    return { at: Date.now() - this.#started, bindings, error: errors[0] };
  }
}

function emptyView(binding: DemoBinding): BindingView {
  return {
    binding,
    exists: false,
    ready: undefined,
    reason: undefined,
    message: undefined,
    current: false,
    statusFingerprint: undefined,
    secretFingerprint: undefined,
    targets: binding.targets.map((name) => ({ name, state: undefined, code: undefined, serving: undefined })),
  };
}
