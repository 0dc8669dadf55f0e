// Secrets, read the way a large cluster can afford:
// - TLS Secrets arrive through a watch (field selector type=kubernetes.io/tls),
//   but only the ones some binding references are kept, and only the two
//   keys that matter. Everything else is dropped as it arrives.
// - A binding that starts referencing a Secret the watch already delivered
//   (and dropped) gets it by a single GET; from then on the watch keeps it fresh.
// - Credentials Secrets are not TLS Secrets and are not watched: they are
//   read with a GET, cached briefly so that many bindings sharing one
//   credentials Secret cost one read.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { ReflectorHandler } from './reflector.ts';
import { httpStatus } from './client.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface TlsMaterial {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  type: string;
  crt: Uint8Array | undefined;
  key: Uint8Array | undefined;
}

export type SecretLookup = { found: true; secret: TlsMaterial } | { found: false };

interface RawSecret {
  metadata?: { namespace?: string; name?: string; uid?: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string> | { [key: string]: string };
}

/**
 * Decoded into memory of its own: a small Buffer.from() result is a slice of
 * a shared 8 KiB pool, and keeping it would keep the whole slab alive.
 */
function decode(value: string | undefined): Uint8Array | undefined {
  return value === undefined ? undefined : new Uint8Array(Buffer.from(value, 'base64'));
}

function material(secret: RawSecret): TlsMaterial | undefined {
  const { namespace, name } = secret.metadata ?? {};
  if (!namespace || !name) return undefined;
  return {
    namespace,
    name,
    uid: secret.metadata?.uid ?? '',
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    type: secret.type ?? 'Opaque',
    crt: decode(secret.data?.['tls.crt']),
    key: decode(secret.data?.['tls.key']),
  };
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export interface TlsSecretStoreOptions {
  core: CoreV1Api;
  /** Whether any binding references the Secret. */
  isReferenced(namespace: string, name: string): boolean;
  /** Called when a referenced Secret appears, changes or disappears. */
  onChange(namespace: string, name: string): void;
}

export class TlsSecretStore implements ReflectorHandler<RawSecret> {
  readonly #secrets = new Map<string, TlsMaterial>();
  readonly #opts: TlsSecretStoreOptions;

  constructor(opts: TlsSecretStoreOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#secrets.size;
  }

  replace(items: RawSecret[], namespace: string | undefined): void {
    const seen = new Set<string>();
    for (const item of items) {
      const m = material(item);
      if (!m) continue;
      seen.add(keyOf(m.namespace, m.name));
      this.upsert(item);
    }
    for (const [key, old] of this.#secrets) {
      if (seen.has(key) || old.type !== TLS_SECRET_TYPE) continue;
      if (namespace !== undefined && old.namespace !== namespace) continue;
      this.#secrets.delete(key);
      this.#opts.onChange(old.namespace, old.name);
    }
  }

  upsert(item: RawSecret): void {
    const m = material(item);
    if (!m || !this.#opts.isReferenced(m.namespace, m.name)) return;
    const key = keyOf(m.namespace, m.name);
    const old = this.#secrets.get(key);
    if (old && old.resourceVersion === m.resourceVersion) return;
    this.#secrets.set(key, m);
    this.#opts.onChange(m.namespace, m.name);
  }

  delete(item: RawSecret): void {
    const m = material(item);
    if (!m) return;
    const key = keyOf(m.namespace, m.name);
    if (!this.#secrets.delete(key)) return;
    this.#opts.onChange(m.namespace, m.name);
  }

  /** Drop a Secret no binding references any more. */
  forget(namespace: string, name: string): void {
    this.#secrets.delete(keyOf(namespace, name));
  }

  /**
   * The Secret from the cache, or from one GET when the cache has never held
   * it. A Secret of another type is returned too (so the caller can say why
   * it is unusable), but only TLS Secrets are kept.
   */
  async get(namespace: string, name: string): Promise<SecretLookup> {
    const cached = this.#secrets.get(keyOf(namespace, name));
    if (cached) return { found: true, secret: cached };
    let fetched: V1Secret;
    try {
      fetched = await this.#opts.core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (httpStatus(err) === 404) return { found: false };
      throw err;
    }
    const m = material(fetched as RawSecret);
    if (!m) return { found: false };
    // A watch event that arrived during the GET is newer: keep it.
    const raced = this.#secrets.get(keyOf(namespace, name));
    if (raced) return { found: true, secret: raced };
    if (m.type === TLS_SECRET_TYPE && this.#opts.isReferenced(namespace, name)) {
      this.#secrets.set(keyOf(namespace, name), m);
    }
    return { found: true, secret: m };
  }
}

/** Reads credentials Secrets with a short cache. Values are decoded strings; never log them. */
export class CredentialsReader {
  readonly #core: CoreV1Api;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; data: Promise<Record<string, string> | undefined> }>();

  constructor(core: CoreV1Api, ttlMs = 10_000) {
    this.#core = core;
    this.#ttlMs = ttlMs;
  }

  /** The Secret's decoded data, or undefined when it does not exist. */
  read(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const key = keyOf(namespace, name);
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < this.#ttlMs) return hit.data;
    const data = this.#fetch(namespace, name);
    this.#cache.set(key, { at: Date.now(), data });
    data.catch(() => this.#cache.delete(key));
    return data;
  }

  async #fetch(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      const secret = await this.#core.readNamespacedSecret({ namespace, name });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8').trim();
      for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v.trim();
      return out;
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }
}
