// The driver's own view of the cluster, through plain client-node Watches:
// - SecretWatch: when each Secret update (by resourceVersion) reached a
//   plain watch client. This is the yardstick for propagation latency: the
//   operator cannot react before the API server has told a watcher.
// - BindingWatch: when each binding was first seen Ready=True with a given
//   certificate fingerprint, and its latest lastSyncTime.
// Both list first, then watch from the list's resourceVersion, and reopen
// from the last resourceVersion seen when the server closes the stream.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type CdnCertificateBinding } from '../../../src/api/v1alpha1/schema.ts';

export const epochNow = (): number => performance.timeOrigin + performance.now();

type Meta = { metadata?: { namespace?: string; name?: string; resourceVersion?: string } };

class ReconnectingWatch<T extends Meta> {
  readonly #watch: Watch;
  readonly #path: string;
  readonly #query: Record<string, string>;
  readonly #onEvent: (type: string, obj: T, at: number) => void;
  #rv: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  errors = 0;

  constructor(kc: KubeConfig, path: string, query: Record<string, string>, onEvent: (type: string, obj: T, at: number) => void) {
    this.#watch = new Watch(kc);
    this.#path = path;
    this.#query = query;
    this.#onEvent = onEvent;
  }

  async start(resourceVersion: string): Promise<void> {
    this.#rv = resourceVersion;
    await this.#open();
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    const query = { ...this.#query, allowWatchBookmarks: 'true', timeoutSeconds: '3600', ...(this.#rv ? { resourceVersion: this.#rv } : {}) };
    this.#abort = await this.#watch.watch(
      this.#path,
      query,
      (type: string, obj: T) => {
        const at = epochNow();
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.#rv = rv;
        if (type === 'BOOKMARK') return;
        if (type === 'ERROR') {
          this.errors += 1;
          return;
        }
        this.#onEvent(type, obj, at);
      },
      () => {
        if (this.#stopped) return;
        setTimeout(() => void this.#open().catch(() => (this.errors += 1)), 50).unref();
      },
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}

export class SecretWatch {
  readonly #seen = new Map<string, number>();
  readonly #waiters = new Map<string, (at: number) => void>();
  readonly #watch: ReconnectingWatch<Meta>;

  constructor(kc: KubeConfig) {
    // The same stream the operator watches: every TLS Secret in every namespace.
    this.#watch = new ReconnectingWatch(kc, '/api/v1/secrets', { fieldSelector: 'type=kubernetes.io/tls' }, (_type, obj, at) => {
      const id = `${obj.metadata?.namespace}/${obj.metadata?.name}@${obj.metadata?.resourceVersion}`;
      this.#seen.set(id, at);
      const waiter = this.#waiters.get(id);
      if (waiter) {
        this.#waiters.delete(id);
        waiter(at);
      }
    });
  }

  start(resourceVersion: string): Promise<void> {
    return this.#watch.start(resourceVersion);
  }

  /** When the update of `namespace/name` to `resourceVersion` was delivered; undefined after `timeoutMs`. */
  when(namespace: string, name: string, resourceVersion: string, timeoutMs: number): Promise<number | undefined> {
    const id = `${namespace}/${name}@${resourceVersion}`;
    const seen = this.#seen.get(id);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.set(id, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  forget(): void {
    this.#seen.clear();
  }

  stop(): void {
    this.#watch.stop();
  }
}

export interface BindingView {
  /** Fingerprint of the certificate the binding last reported Ready=True with ('' when not Ready). */
  readyFingerprint: string;
  /** When that was first seen. */
  readySince: number;
  lastSyncTime: string | undefined;
}

function readyFingerprint(b: CdnCertificateBinding): string {
  const ready = b.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True' || b.status?.observedGeneration !== b.metadata.generation) return '';
  return b.status?.certificate?.fingerprintSHA256 ?? '';
}

export class BindingWatch {
  readonly views = new Map<string, BindingView>();
  readonly #waiters = new Map<string, { fingerprint: string; resolve: (at: number) => void }>();
  readonly #kc: KubeConfig;
  readonly #watch: ReconnectingWatch<CdnCertificateBinding>;
  events = 0;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    this.#watch = new ReconnectingWatch<CdnCertificateBinding>(kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`, {}, (type, b, at) => {
      this.events += 1;
      const key = `${b.metadata.namespace}/${b.metadata.name}`;
      if (type === 'DELETED') {
        this.views.delete(key);
        return;
      }
      this.#update(key, b, at);
    });
  }

  #update(key: string, b: CdnCertificateBinding, at: number): void {
    const fingerprint = readyFingerprint(b);
    const old = this.views.get(key);
    const view: BindingView = {
      readyFingerprint: fingerprint,
      readySince: old && old.readyFingerprint === fingerprint ? old.readySince : at,
      lastSyncTime: b.status?.lastSyncTime,
    };
    this.views.set(key, view);
    const waiter = this.#waiters.get(key);
    if (waiter && fingerprint === waiter.fingerprint) {
      this.#waiters.delete(key);
      waiter.resolve(view.readySince);
    }
  }

  /** Lists every binding, then watches from there. */
  async start(): Promise<void> {
    const custom = this.#kc.makeApiClient(CustomObjectsApi);
    let next: string | undefined;
    let rv = '';
    do {
      const page = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, limit: 1000, _continue: next })) as {
        items: CdnCertificateBinding[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      const at = epochNow();
      for (const b of page.items) this.#update(`${b.metadata.namespace}/${b.metadata.name}`, b, at);
      rv = page.metadata?.resourceVersion ?? rv;
      next = page.metadata?.continue || undefined;
    } while (next);
    await this.#watch.start(rv);
  }

  /** When `key` was first seen Ready with `fingerprint`; undefined after `timeoutMs`. */
  readyWith(key: string, fingerprint: string, timeoutMs: number): Promise<number | undefined> {
    const view = this.views.get(key);
    if (view && view.readyFingerprint === fingerprint) return Promise.resolve(view.readySince);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.set(key, {
        fingerprint,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  /** How many of `expected` (key -> fingerprint) are Ready with their fingerprint. */
  countReady(expected: ReadonlyMap<string, string>): number {
    let n = 0;
    for (const [key, fingerprint] of expected) if (this.views.get(key)?.readyFingerprint === fingerprint) n++;
    return n;
  }

  stop(): void {
    this.#watch.stop();
  }
}
