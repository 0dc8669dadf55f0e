// The in-memory view of every binding, with the two indexes the controller
// needs: which bindings reference a Secret (so a Secret event enqueues exactly
// those), and which bindings claim a CDN target (so the older one keeps it).
import type { CdnCertificateBinding } from '../api/v1alpha1/schema.ts';
import { scopeOf, targetClaims } from '../providers/catalog.ts';

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The binding's targets with their claims, unique across providers (see ProviderModule.claim). */
export function claimsOf(binding: CdnCertificateBinding): Array<{ target: string; claim: string }> {
  const scope = scopeOf(binding.spec);
  return scope ? targetClaims(scope) : [];
}

/** Older first; ties broken by key so every replica agrees. */
function older(a: CdnCertificateBinding, b: CdnCertificateBinding): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb;
  return keyOf(a.metadata.namespace, a.metadata.name) < keyOf(b.metadata.namespace, b.metadata.name);
}

class MultiMap {
  readonly #map = new Map<string, Set<string>>();

  add(key: string, value: string): void {
    let set = this.#map.get(key);
    if (!set) this.#map.set(key, (set = new Set()));
    set.add(value);
  }

  delete(key: string, value: string): void {
    const set = this.#map.get(key);
    if (!set) return;
    set.delete(value);
    if (set.size === 0) this.#map.delete(key);
  }

  get(key: string): ReadonlySet<string> {
    return this.#map.get(key) ?? new Set();
  }
}

export interface Conflict {
  /** The targets another binding owns. */
  targets: string[];
  /** That binding's key. */
  owner: string;
}

export class BindingIndex {
  readonly #bindings = new Map<string, CdnCertificateBinding>();
  /**
   * Read-your-writes for status: the status this operator last wrote, until
   * the watch delivers the object version that write produced. Without it a
   * lagging watch would show the operator an older status than its own, and
   * it would skip the CDN because "the status says it is in sync".
   */
  readonly #written = new Map<string, { resourceVersion: string; status: CdnCertificateBinding['status'] }>();
  readonly #bySecret = new MultiMap();
  readonly #byClaim = new MultiMap();

  get size(): number {
    return this.#bindings.size;
  }

  /** The cached binding, with the status this operator last wrote if the cache has not caught up with it yet. */
  get(key: string): CdnCertificateBinding | undefined {
    const cached = this.#bindings.get(key);
    const written = this.#written.get(key);
    return cached && written ? { ...cached, status: written.status } : cached;
  }

  /** Records the object a status write returned. */
  statusWritten(updated: CdnCertificateBinding): void {
    const key = keyOf(updated.metadata.namespace, updated.metadata.name);
    if (this.#bindings.get(key)?.metadata.uid !== updated.metadata.uid) return;
    this.#written.set(key, { resourceVersion: updated.metadata.resourceVersion, status: updated.status });
  }

  /** After a relist the cache is a consistent read, newer than any write made before it. */
  forgetWrites(): void {
    this.#written.clear();
  }

  keys(): IterableIterator<string> {
    return this.#bindings.keys();
  }

  /**
   * Records the binding and returns the keys whose reconcile result may have
   * changed: the binding itself, plus every binding that shares a target
   * with its old or new claims (ownership may have moved).
   */
  upsert(binding: CdnCertificateBinding): string[] {
    const key = keyOf(binding.metadata.namespace, binding.metadata.name);
    const written = this.#written.get(key);
    if (written && (written.resourceVersion === binding.metadata.resourceVersion || this.#bindings.get(key)?.metadata.uid !== binding.metadata.uid)) {
      this.#written.delete(key);
    }
    const affected = this.#unlink(key);
    this.#bindings.set(key, binding);
    this.#bySecret.add(keyOf(binding.metadata.namespace, binding.spec.secretName), key);
    for (const { claim } of claimsOf(binding)) {
      this.#byClaim.add(claim, key);
      for (const other of this.#byClaim.get(claim)) affected.add(other);
    }
    affected.add(key);
    return [...affected];
  }

  /** Forgets the binding; returns the bindings that shared a target with it. */
  remove(namespace: string, name: string): string[] {
    const key = keyOf(namespace, name);
    const affected = this.#unlink(key);
    this.#bindings.delete(key);
    this.#written.delete(key);
    affected.delete(key);
    return [...affected];
  }

  /** Keys of the bindings that use Secret `namespace/name` for their certificate. */
  bindingsForSecret(namespace: string, name: string): string[] {
    return [...this.#bySecret.get(keyOf(namespace, name))];
  }

  isSecretReferenced(namespace: string, name: string): boolean {
    return this.#bySecret.get(keyOf(namespace, name)).size > 0;
  }

  /** The targets of `key` that an older binding claims, if any. */
  conflictFor(key: string): Conflict | undefined {
    const binding = this.#bindings.get(key);
    if (!binding) return undefined;
    const lost: string[] = [];
    let owner: string | undefined;
    for (const { target, claim } of claimsOf(binding)) {
      for (const otherKey of this.#byClaim.get(claim)) {
        const other = this.#bindings.get(otherKey);
        if (otherKey === key || !other || !older(other, binding)) continue;
        lost.push(target);
        owner ??= otherKey;
        break;
      }
    }
    return owner ? { targets: lost, owner } : undefined;
  }

  #unlink(key: string): Set<string> {
    const affected = new Set<string>();
    const old = this.#bindings.get(key);
    if (!old) return affected;
    this.#bySecret.delete(keyOf(old.metadata.namespace, old.spec.secretName), key);
    for (const { claim } of claimsOf(old)) {
      this.#byClaim.delete(claim, key);
      for (const other of this.#byClaim.get(claim)) affected.add(other);
    }
    return affected;
  }
}
