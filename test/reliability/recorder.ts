// The provider call log of the reliability suites: a wrapper around any
// ProviderDriver (the real Alibaba and Tencent drivers, or the in-memory one)
// that records every observe, deploy, disable and prune the operator makes,
// per binding and target, with what came back. It never keeps key material:
// a deploy is recorded by its leaf fingerprint, and the bundle is checked on
// the way through, independently of src/certs (node:crypto via
// bundleProblems), so "the operator never pushes bad material" is a fact the
// invariant can assert rather than a hope.
import { X509Certificate } from 'node:crypto';
import type { Credentials, Observation, Outcome, Provider, ProviderDriver, ProviderScope } from '../../src/providers/provider.ts';
import { bundleProblems } from '../fixtures/certs.ts';

export type CallAction = 'observe' | 'deploy' | 'disable' | 'prune';

export interface TargetResult {
  target: string;
  ok: boolean;
  /** observe: serving / disabled / error. */
  state?: Observation['state'];
  fingerprint?: string;
  /** The provider error code when not ok. */
  code?: string;
  retryable?: boolean;
  /** The (scrubbed) provider message, kept for the hygiene check. */
  message?: string;
}

export interface RecordedCall {
  seq: number;
  /** Date.now() when the call started and ended. */
  startedAt: number;
  endedAt: number | undefined;
  provider: string;
  /** `namespace/name`. */
  binding: string;
  action: CallAction;
  targets: string[];
  /** deploy: the leaf fingerprint of the bundle pushed. */
  fingerprint?: string;
  /** deploy: what is wrong with the bundle (empty when it is sound). */
  problems?: string[];
  results: TargetResult[];
  /** The provider threw instead of reporting (a bug in the provider). */
  threw?: string;
}

/** Whether a certificate SAN covers a CDN target (RFC 6125 as browsers apply it; a wildcard target needs the identical SAN). */
export function covers(dnsNames: readonly string[], target: string): boolean {
  const t = target.toLowerCase();
  const sans = new Set(dnsNames.map((d) => d.toLowerCase()));
  if (sans.has(t)) return true;
  if (t.startsWith('*.')) return false;
  const dot = t.indexOf('.');
  return dot > 0 && sans.has(`*${t.slice(dot)}`);
}

function dnsNamesOf(chainPem: string): string[] {
  try {
    const leaf = new X509Certificate(chainPem);
    return (leaf.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4));
  } catch {
    return [];
  }
}

export class ProviderLog {
  readonly calls: RecordedCall[] = [];
  #seq = 0;

  /** The driver, recording every call of every Provider it connects. */
  wrap<S>(driver: ProviderDriver<S>): ProviderDriver<S> {
    const log = this;
    return {
      name: driver.name,
      ambientCredentials: driver.ambientCredentials,
      connect(scope: ProviderScope<S>, credentials: Credentials | undefined): Provider {
        return log.#wrapProvider(driver.connect(scope, credentials));
      },
    };
  }

  #wrapProvider(inner: Provider): Provider {
    const record = async <T extends Observation[] | Outcome[]>(
      action: CallAction,
      binding: { namespace: string; name: string },
      targets: readonly string[],
      extra: Partial<RecordedCall>,
      run: () => Promise<T>,
      results: (value: T) => TargetResult[],
    ): Promise<T> => {
      const call: RecordedCall = {
        seq: ++this.#seq,
        startedAt: Date.now(),
        endedAt: undefined,
        provider: inner.name,
        binding: `${binding.namespace}/${binding.name}`,
        action,
        targets: [...targets],
        results: [],
        ...extra,
      };
      this.calls.push(call);
      try {
        const value = await run();
        call.results = results(value);
        return value;
      } catch (err) {
        call.threw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw err;
      } finally {
        call.endedAt = Date.now();
      }
    };
    const outcomes = (fingerprint?: string) => (value: Outcome[]) =>
      value.map((o): TargetResult =>
        o.ok
          ? { target: o.target, ok: true, ...(fingerprint ? { fingerprint } : {}) }
          : { target: o.target, ok: false, code: o.error.code, retryable: o.error.retryable, message: o.error.describe() },
      );
    const wrapped: Provider = {
      name: inner.name,
      observe: (req) =>
        record('observe', req.binding, req.targets, {}, () => inner.observe(req), (value) =>
          value.map((o): TargetResult => {
            if (o.state === 'serving') return { target: o.target, ok: true, state: o.state, fingerprint: o.fingerprintSHA256 };
            if (o.state === 'disabled') return { target: o.target, ok: true, state: o.state };
            return { target: o.target, ok: false, state: o.state, code: o.error.code, retryable: o.error.retryable, message: o.error.describe() };
          }),
        ),
      deploy: (req) => {
        const fingerprint = req.certificate.leaf.fingerprintSHA256;
        const problems = bundleProblems(req.certificate, new Date());
        const sans = dnsNamesOf(req.certificate.chainPem);
        for (const t of req.targets) if (!covers(sans, t)) problems.push(`the certificate does not cover ${t}`);
        if (req.targets.length === 0) problems.push('deploy called with no targets');
        return record('deploy', req.binding, req.targets, { fingerprint, problems }, () => inner.deploy(req), outcomes(fingerprint));
      },
      disable: (req) => record('disable', req.binding, req.targets, {}, () => inner.disable(req), outcomes()),
    };
    if (inner.prune) {
      const prune = inner.prune.bind(inner);
      wrapped.prune = async (req) => {
        const call: RecordedCall = {
          seq: ++this.#seq,
          startedAt: Date.now(),
          endedAt: undefined,
          provider: inner.name,
          binding: `${req.binding.namespace}/${req.binding.name}`,
          action: 'prune',
          targets: [],
          results: [],
        };
        this.calls.push(call);
        try {
          const result = await prune(req);
          call.results = result.failed.map((f) => ({ target: f.certificateId, ok: false, code: f.error.code, message: f.error.describe() }));
          return result;
        } finally {
          call.endedAt = Date.now();
        }
      };
    }
    return wrapped;
  }

  forBinding(binding: string): RecordedCall[] {
    return this.calls.filter((c) => c.binding === binding);
  }

  /** Calls that can reach the CDN (prune only tidies up provider-side copies, but still is a call). */
  callsFor(binding: string, action?: CallAction): RecordedCall[] {
    return this.calls.filter((c) => c.binding === binding && (action === undefined || c.action === action));
  }

  /** Fingerprints the provider confirmed as pushed to `target`, in call order. */
  deliveries(binding: string, target: string): string[] {
    const out: string[] = [];
    for (const c of this.calls) {
      if (c.binding !== binding || c.action !== 'deploy') continue;
      const r = c.results.find((x) => x.target === target);
      if (r?.ok && c.fingerprint) out.push(c.fingerprint);
    }
    return out;
  }

  /** Fingerprints the provider reported `target` serving, in call order. */
  observedServing(binding: string, target: string): string[] {
    const out: string[] = [];
    for (const c of this.calls) {
      if (c.binding !== binding || c.action !== 'observe') continue;
      const r = c.results.find((x) => x.target === target);
      if (r?.state === 'serving' && r.fingerprint) out.push(r.fingerprint);
    }
    return out;
  }

  /** Deploys of material that is not sound (should never happen). */
  badPushes(): RecordedCall[] {
    return this.calls.filter((c) => c.action === 'deploy' && (c.problems?.length ?? 0) > 0);
  }

  /** Every message a provider produced: part of what must never leak. */
  messages(): string {
    return this.calls.flatMap((c) => [...c.results.flatMap((r) => (r.message ? [r.message] : [])), ...(c.threw ? [c.threw] : [])]).join('\n');
  }
}
