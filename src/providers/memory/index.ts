// An in-memory CDN behind the Provider interface, for the controller's own
// tests: it keeps what each target serves, logs every call, and can be told
// to fail. It never sees the network, so tests of the loop stay fast and
// deterministic; the real providers are tested over the wire against
// emulators.
import type { CertificateBundle } from '../../certs/types.ts';
import { providerModule, type ProviderName } from '../catalog.ts';
import type { ProviderModule } from '../module.ts';
import {
  ProviderError,
  type Credentials,
  type DeployRequest,
  type DisableRequest,
  type ObserveRequest,
  type Observation,
  type Outcome,
  type Provider,
  type ProviderDriver,
  type ProviderScope,
  type PruneRequest,
  type PruneResult,
} from '../provider.ts';

export interface MemoryCall {
  action: 'observe' | 'deploy' | 'disable' | 'prune';
  provider: ProviderName;
  binding: string;
  targets: string[];
  fingerprint?: string;
  /** The credentials the call was made with (tests assert on the key id only). */
  account: string | undefined;
  /** Epoch milliseconds. */
  at: number;
}

interface Served {
  fingerprint: string;
  certificateId: string;
  notAfter: Date;
}

export interface FailRule {
  action?: MemoryCall['action'];
  target?: string;
  times?: number;
  code: string;
  retryable: boolean;
}

/**
 * The CDN's state, shared by the drivers of every provider name. Targets are
 * keyed by their module's claim (a domain, or `<zone>/<host>`).
 */
export class MemoryCdn {
  readonly calls: MemoryCall[] = [];
  readonly #served = new Map<string, Served>();
  readonly #rules: FailRule[] = [];
  #ids = 0;
  /** Credentials an account must present; unset means any. */
  validAccounts: Set<string> | undefined;

  serving(target: string): string | undefined {
    return this.#served.get(target)?.fingerprint;
  }

  /** Someone changed the certificate outside the operator (the console). */
  drift(target: string, fingerprint: string): void {
    this.#served.set(target, { fingerprint, certificateId: `drift-${++this.#ids}`, notAfter: new Date(Date.now() + 86_400_000) });
  }

  failWith(rule: FailRule): void {
    this.#rules.push({ times: 1, ...rule });
  }

  clearFaults(): void {
    this.#rules.length = 0;
  }

  writes(): MemoryCall[] {
    return this.calls.filter((c) => c.action === 'deploy' || c.action === 'disable');
  }

  /** The fault for this call and target, consuming one of its `times`. */
  fault(action: MemoryCall['action'], target: string): ProviderError | undefined {
    const rule = this.#rules.find((r) => (r.action ?? action) === action && (r.target ?? target) === target && (r.times ?? 1) > 0);
    if (!rule) return undefined;
    rule.times = (rule.times ?? 1) - 1;
    return new ProviderError({
      provider: 'memory',
      code: rule.code,
      message: `injected ${rule.code}`,
      retryable: rule.retryable,
      requestId: `req-${++this.#ids}`,
    });
  }

  set(target: string, certificate: CertificateBundle): string {
    const certificateId = `cert-${certificate.leaf.fingerprintSHA256.slice(0, 12)}`;
    this.#served.set(target, { fingerprint: certificate.leaf.fingerprintSHA256, certificateId, notAfter: certificate.leaf.notAfter });
    return certificateId;
  }

  unset(target: string): void {
    this.#served.delete(target);
  }

  get(target: string): Served | undefined {
    return this.#served.get(target);
  }
}

class MemoryProvider implements Provider {
  readonly name: ProviderName;
  readonly #cdn: MemoryCdn;
  readonly #account: string | undefined;
  readonly #key: (target: string) => string;

  constructor(name: ProviderName, cdn: MemoryCdn, scope: ProviderScope, account: string | undefined) {
    this.name = name;
    this.#cdn = cdn;
    this.#account = account;
    const module = providerModule(name) as ProviderModule;
    this.#key = (target) => module.claim(scope.spec as never, target);
  }

  async observe(req: ObserveRequest): Promise<Observation[]> {
    this.#log('observe', req.binding, req.targets);
    return req.targets.map((target): Observation => {
      const error = this.#authError() ?? this.#cdn.fault('observe', target);
      if (error) return { target, state: 'error', error };
      const served = this.#cdn.get(this.#key(target));
      if (!served) return { target, state: 'disabled' };
      return { target, state: 'serving', fingerprintSHA256: served.fingerprint, certificateId: served.certificateId, notAfter: served.notAfter };
    });
  }

  async deploy(req: DeployRequest): Promise<Outcome[]> {
    this.#log('deploy', req.binding, req.targets, req.certificate.leaf.fingerprintSHA256);
    return req.targets.map((target): Outcome => {
      const error = this.#authError() ?? this.#cdn.fault('deploy', target);
      if (error) return { target, ok: false, error };
      return { target, ok: true, certificateId: this.#cdn.set(this.#key(target), req.certificate) };
    });
  }

  async disable(req: DisableRequest): Promise<Outcome[]> {
    this.#log('disable', req.binding, req.targets);
    return req.targets.map((target): Outcome => {
      const error = this.#authError() ?? this.#cdn.fault('disable', target);
      if (error) return { target, ok: false, error };
      this.#cdn.unset(this.#key(target));
      return { target, ok: true };
    });
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    this.#log('prune', req.binding, []);
    return { deleted: req.recorded.filter((id) => !req.inUse.includes(id)), failed: [] };
  }

  #authError(): ProviderError | undefined {
    const accounts = this.#cdn.validAccounts;
    if (!accounts || (this.#account && accounts.has(this.#account))) return undefined;
    return new ProviderError({ provider: 'memory', code: 'AuthFailure', message: 'unknown credentials', retryable: false });
  }

  #log(action: MemoryCall['action'], binding: { namespace: string; name: string }, targets: readonly string[], fingerprint?: string): void {
    this.#cdn.calls.push({
      action,
      provider: this.name,
      binding: `${binding.namespace}/${binding.name}`,
      targets: [...targets],
      account: this.#account,
      at: Date.now(),
      ...(fingerprint ? { fingerprint } : {}),
    });
  }
}

/**
 * A driver for the registered provider `name`, backed by `cdn`. Credentials
 * are the module's own keys; the first required one identifies the account.
 */
export function memoryDriver(name: ProviderName, cdn: MemoryCdn, opts: { ambient?: boolean } = {}): ProviderDriver {
  const module = providerModule(name);
  if (!module) throw new Error(`no provider module ${name}`);
  const accountKey = module.credentials.required[0] ?? '';
  return {
    name,
    ambientCredentials: opts.ambient ?? false,
    connect(scope: ProviderScope, credentials: Credentials | undefined): Provider {
      return new MemoryProvider(name, cdn, scope, credentials?.[accountKey]);
    },
  };
}
