// Reads and writes CdnCertificateBindings: the list/watch functions for the
// reflector, status through the status subresource, and the finalizer.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { BindingStatus, CdnCertificateBinding } from '../api/v1alpha1/schema.ts';
import { GROUP, PLURAL, VERSION } from '../api/v1alpha1/schema.ts';
import { httpStatus, mergePatch } from './client.ts';
import type { ListPage } from './reflector.ts';

export function bindingsPath(namespace?: string): string {
  return namespace
    ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
}

export function listBindings(custom: CustomObjectsApi, namespace?: string) {
  return async (opts: { limit: number; continue?: string }): Promise<ListPage<CdnCertificateBinding>> => {
    const base = { group: GROUP, version: VERSION, plural: PLURAL, limit: opts.limit, _continue: opts.continue };
    return (namespace
      ? await custom.listNamespacedCustomObject({ ...base, namespace })
      : await custom.listClusterCustomObject(base)) as ListPage<CdnCertificateBinding>;
  };
}

/** A JSON merge patch that turns `before` into `after` at the top level of status (removed keys become null). */
export function statusPatch(before: BindingStatus | undefined, after: BindingStatus): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  for (const key of keys) {
    const a = (before as Record<string, unknown> | undefined)?.[key];
    const b = (after as Record<string, unknown>)[key];
    if (isDeepStrictEqual(a, b)) continue;
    patch[key] = b === undefined ? null : b;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

export class BindingWriter {
  readonly #custom: CustomObjectsApi;
  readonly #attempts: number;

  constructor(custom: CustomObjectsApi, attempts = 4) {
    this.#custom = custom;
    this.#attempts = attempts;
  }

  /**
   * Writes the status if it differs from what the binding carries. Returns
   * the updated binding, or undefined when nothing had to be written.
   * A 409 (the object changed under us) is retried: the patch only touches
   * status, which only this operator writes.
   */
  async writeStatus(binding: CdnCertificateBinding, status: BindingStatus): Promise<CdnCertificateBinding | undefined> {
    const patch = statusPatch(binding.status, status);
    if (!patch) return undefined;
    const { namespace, name } = binding.metadata;
    return this.#retryConflicts(
      async () =>
        (await this.#custom.patchNamespacedCustomObjectStatus(
          { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { status: patch } },
          mergePatch,
        )) as CdnCertificateBinding,
    );
  }

  /**
   * Sets the finalizer list, guarded by the binding's resourceVersion so that
   * a concurrent change to the list is never overwritten. A 409 is returned
   * to the caller as an error: the reconcile reads the new version and decides again.
   */
  async setFinalizers(binding: CdnCertificateBinding, finalizers: string[]): Promise<CdnCertificateBinding> {
    const { namespace, name, resourceVersion } = binding.metadata;
    return (await this.#custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
        body: { metadata: { resourceVersion, finalizers } },
      },
      mergePatch,
    )) as CdnCertificateBinding;
  }

  async #retryConflicts<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (httpStatus(err) !== 409 || attempt >= this.#attempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
      }
    }
  }
}
