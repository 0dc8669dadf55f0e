// CustomResourceDefinitions and custom resources through the real
// client-node: schema pruning/defaulting/validation (incl. list types and
// CEL), the status subresource, generation, and finalizers.
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceDefinition } from '../../src/api/v1alpha1/crd.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/v1alpha1/schema.ts';
import { TestApiServer } from './index.ts';
import { apiError, openWatch, until } from './test-helpers.ts';

let server: TestApiServer;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let extensions: ApiextensionsV1Api;
let nsCounter = 0;

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

type Binding = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; finalizers?: string[]; deletionTimestamp?: string; uid?: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

beforeAll(async () => {
  server = await TestApiServer.start({ bookmarkIntervalMs: 200 });
  const kc = server.kubeConfig();
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  extensions = kc.makeApiClient(ApiextensionsV1Api);
  await installCrd(customResourceDefinition());
});

/**
 * POSTs the CRD as JSON, like `kubectl apply`. (ApiextensionsV1Api would
 * serialise a plain object through its model and silently drop `default` and
 * every `x-kubernetes-*` key, whose model names are `_default`,
 * `x_kubernetes_validations`, ...; see the test below.)
 */
async function installCrd(crd: unknown): Promise<Response> {
  return fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(crd),
  });
}

afterAll(async () => {
  await server.stop();
});

async function freshNamespace(): Promise<string> {
  const name = `cr-${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function binding(name: string, spec: Record<string, unknown> = { secretName: 'tls', alibaba: { domains: ['a.example.com'] } }): Binding {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'CdnCertificateBinding', metadata: { name }, spec };
}

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, namespace, plural: PLURAL });

describe('CRDs', () => {
  it('establishes the CRD and serves its resource in discovery', async () => {
    const crd = await extensions.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    expect(crd.status?.acceptedNames?.kind).toBe('CdnCertificateBinding');
    expect(crd.metadata?.generation).toBe(1);
    const doc = (await fetch(`${server.url}/apis/${GROUP}/${VERSION}`).then((r) => r.json())) as { resources: Array<{ name: string; shortNames?: string[] }> };
    expect(doc.resources.map((r) => r.name)).toEqual([PLURAL, `${PLURAL}/status`]);
    expect(doc.resources[0]?.shortNames).toEqual(['ccb']);
  });

  it('refuses a CRD whose x-kubernetes-validations rule it cannot evaluate', async () => {
    const crd = customResourceDefinition() as unknown as V1CustomResourceDefinition;
    crd.metadata!.name = `widgets.${GROUP}`;
    crd.spec.names = { kind: 'Widget', plural: 'widgets' };
    (crd.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec as { 'x-kubernetes-validations': unknown })['x-kubernetes-validations'] = [
      { rule: 'self.alibaba.domains.all(d, d.endsWith(".com"))' },
    ];
    const refused = await installCrd(crd);
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { message: string }).message).toContain('unsupported x-kubernetes-validations rule');
  });

  it('shows that ApiextensionsV1Api drops x-kubernetes-* and default from a plain CRD object', async () => {
    const crd = customResourceDefinition() as unknown as V1CustomResourceDefinition;
    crd.metadata!.name = `gadgets.${GROUP}`;
    crd.spec.names = { kind: 'Gadget', plural: 'gadgets' };
    await extensions.createCustomResourceDefinition({ body: crd });
    const stored = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${GROUP}`).then((r) => r.text());
    expect(stored).not.toContain('x-kubernetes-validations');
    expect(stored).not.toContain('"default"');
    await extensions.deleteCustomResourceDefinition({ name: `gadgets.${GROUP}` });
  });
});

describe('custom resources', () => {
  it('creates with defaults, prunes unknown fields, keeps apiVersion/kind on list items, and starts generation at 1', async () => {
    const ns = await freshNamespace();
    const body = binding('b1') as Binding & { extra?: unknown };
    (body.spec as Record<string, unknown>).unknownField = 'dropped';
    body.extra = 'dropped';
    body.status = { provider: 'alibaba' };
    const created = (await custom.createNamespacedCustomObject({ ...ref(ns), body })) as Binding;
    expect(created.spec).toEqual({ secretName: 'tls', alibaba: { domains: ['a.example.com'] }, deletionPolicy: 'Retain', suspend: false });
    expect((created as { extra?: unknown }).extra).toBeUndefined();
    // With a status subresource, create ignores .status.
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
    const list = (await custom.listNamespacedCustomObject(ref(ns))) as { kind: string; items: Binding[] };
    expect(list.kind).toBe('CdnCertificateBindingList');
    expect(list.items[0]).toMatchObject({ apiVersion: `${GROUP}/${VERSION}`, kind: 'CdnCertificateBinding' });
  });

  it('validates against the schema: required, pattern, enum, list-type set, list-type map, CEL', async () => {
    const ns = await freshNamespace();
    const create = (b: Binding) => apiError(() => custom.createNamespacedCustomObject({ ...ref(ns), body: b }));

    const missing = await create(binding('m', { alibaba: { domains: ['a.example.com'] } }));
    expect(missing.code).toBe(422);
    expect(missing.status).toMatchObject({
      reason: 'Invalid',
      message: 'CdnCertificateBinding.cdn-cert-sync.io "m" is invalid: spec.secretName: Required value',
      details: { name: 'm', group: GROUP, kind: 'CdnCertificateBinding', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.secretName' }] },
    });

    const dup = await create(binding('d', { secretName: 'tls', alibaba: { domains: ['a.example.com', 'a.example.com'] } }));
    expect(dup.code).toBe(422);
    expect(dup.status.details?.causes).toEqual([{ reason: 'FieldValueDuplicate', message: 'Duplicate value: "a.example.com"', field: 'spec.alibaba.domains[1]' }]);

    const both = await create(binding('c', { secretName: 'tls', alibaba: { domains: ['a.example.com'] }, tencent: { zoneId: 'zone-1', hosts: ['b.example.com'] } }));
    expect(both.status.message).toBe(
      'CdnCertificateBinding.cdn-cert-sync.io "c" is invalid: spec: Invalid value: "object": exactly one of spec.alibaba or spec.tencent must be set',
    );
    const neither = await create(binding('n', { secretName: 'tls' }));
    expect(neither.status.details?.causes?.[0]?.field).toBe('spec');

    const badPattern = await create(binding('p', { secretName: 'Not_A_Name', alibaba: { domains: ['a.example.com'] }, deletionPolicy: 'Sometimes' }));
    expect(badPattern.status.details?.causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'spec.secretName', reason: 'FieldValueInvalid' }),
        { reason: 'FieldValueNotSupported', field: 'spec.deletionPolicy', message: 'Unsupported value: "Sometimes": supported values: "Retain", "Disable"' },
      ]),
    );
    const wrongType = await create(binding('t', { secretName: 'tls', alibaba: { domains: ['a.example.com'] }, suspend: 'yes' }));
    expect(wrongType.status.details?.causes?.[0]).toEqual({
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: "string": spec.suspend in body must be of type boolean: "string"',
      field: 'spec.suspend',
    });

    const ok = (await custom.createNamespacedCustomObject({ ...ref(ns), body: binding('ok') })) as Binding;
    const now = '2024-05-01T10:00:00Z';
    const condition = { type: 'Ready', status: 'True', reason: 'Synced', message: '', lastTransitionTime: now };
    const dupConditions = await apiError(() =>
      custom.replaceNamespacedCustomObjectStatus({ ...ref(ns), name: 'ok', body: { ...ok, status: { conditions: [condition, condition] } } }),
    );
    expect(dupConditions.code).toBe(422);
    expect(dupConditions.status.details?.causes).toEqual([
      { reason: 'FieldValueDuplicate', message: 'Duplicate value: map[string]interface {}{"type":"Ready"}', field: 'status.conditions[1]' },
    ]);
    const badTime = await apiError(() =>
      custom.replaceNamespacedCustomObjectStatus({ ...ref(ns), name: 'ok', body: { ...ok, status: { lastSyncTime: 'yesterday' } } }),
    );
    expect(badTime.status.details?.causes?.[0]).toMatchObject({ field: 'status.lastSyncTime', message: 'Invalid value: "yesterday": status.lastSyncTime in body must be of type date-time: "yesterday"' });
  });

  it('isolates the status subresource both ways and bumps generation only for spec changes', async () => {
    const ns = await freshNamespace();
    const created = (await custom.createNamespacedCustomObject({ ...ref(ns), body: binding('s') })) as Binding;

    // Status write: only .status changes; spec and labels in the body are ignored; generation stays.
    const statusBody = { ...created, metadata: { ...created.metadata, labels: { x: 'y' } }, spec: { ...created.spec, secretName: 'other' }, status: { provider: 'alibaba', observedGeneration: 1 } };
    const afterStatus = (await custom.replaceNamespacedCustomObjectStatus({ ...ref(ns), name: 's', body: statusBody })) as Binding & { metadata: { labels?: unknown } };
    expect(afterStatus.status).toEqual({ provider: 'alibaba', observedGeneration: 1 });
    expect(afterStatus.spec.secretName).toBe('tls');
    expect(afterStatus.metadata.labels).toBeUndefined();
    expect(afterStatus.metadata.generation).toBe(1);
    expect(Number(afterStatus.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    // Main resource write: .status is kept from storage; a spec change bumps generation.
    const mainBody = { ...afterStatus, spec: { ...afterStatus.spec, suspend: true }, status: { provider: 'tencent' } };
    const afterMain = (await custom.replaceNamespacedCustomObject({ ...ref(ns), name: 's', body: mainBody })) as Binding;
    expect(afterMain.status).toEqual({ provider: 'alibaba', observedGeneration: 1 });
    expect(afterMain.spec.suspend).toBe(true);
    expect(afterMain.metadata.generation).toBe(2);

    // Metadata-only changes do not bump generation.
    const labelled = (await custom.patchNamespacedCustomObject({ ...ref(ns), name: 's', body: { metadata: { labels: { team: 'a' } } } }, merge)) as Binding;
    expect(labelled.metadata.generation).toBe(2);
    // Status merge patch with a stale resourceVersion is a conflict.
    const stale = await apiError(() =>
      custom.patchNamespacedCustomObjectStatus({ ...ref(ns), name: 's', body: { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { provider: 'tencent' } } }, merge),
    );
    expect(stale.code).toBe(409);
    const patchedStatus = (await custom.patchNamespacedCustomObjectStatus({ ...ref(ns), name: 's', body: { status: { provider: 'tencent' } } }, merge)) as Binding;
    expect(patchedStatus.status).toEqual({ provider: 'tencent', observedGeneration: 1 });
    expect(patchedStatus.metadata.generation).toBe(2);

    // Custom resources: no strategic merge patch, no unconditional update.
    const smp = await apiError(() => custom.patchNamespacedCustomObject({ ...ref(ns), name: 's', body: { spec: { suspend: false } } }, strategic));
    expect(smp.code).toBe(415);
    expect(smp.status.reason).toBe('UnsupportedMediaType');
    const { resourceVersion: _rv, ...metaWithoutRv } = patchedStatus.metadata;
    const unconditional = await apiError(() => custom.replaceNamespacedCustomObject({ ...ref(ns), name: 's', body: { ...patchedStatus, metadata: metaWithoutRv } }));
    expect(unconditional.code).toBe(422);
    expect(unconditional.status.message).toBe(
      'CdnCertificateBinding.cdn-cert-sync.io "s" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
  });

  it('holds a deleted object with finalizers until an update empties them', async () => {
    const ns = await freshNamespace();
    const body = binding('f');
    body.metadata.finalizers = ['cdn-cert-sync.io/disable-https'];
    const created = (await custom.createNamespacedCustomObject({ ...ref(ns), body })) as Binding;
    const watch = await openWatch(server.kubeConfig(), `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`, { resourceVersion: created.metadata.resourceVersion! });

    const deleting = (await custom.deleteNamespacedCustomObject({ ...ref(ns), name: 'f' })) as Binding & { metadata: { deletionGracePeriodSeconds?: number } };
    expect(deleting.metadata.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deleting.metadata.generation).toBe(2);
    // Deleting again changes nothing.
    const again = (await custom.deleteNamespacedCustomObject({ ...ref(ns), name: 'f' })) as Binding;
    expect(again.metadata.resourceVersion).toBe(deleting.metadata.resourceVersion);

    const addFinalizer = await apiError(() =>
      custom.patchNamespacedCustomObject({ ...ref(ns), name: 'f', body: { metadata: { finalizers: ['cdn-cert-sync.io/disable-https', 'example.com/more'] } } }, merge),
    );
    expect(addFinalizer.code).toBe(422);
    expect(addFinalizer.status.details?.causes?.[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'metadata.finalizers' });

    const removed = (await custom.patchNamespacedCustomObject({ ...ref(ns), name: 'f', body: { metadata: { finalizers: null } } }, merge)) as Binding;
    expect(removed.metadata.finalizers).toEqual(['cdn-cert-sync.io/disable-https']);
    const gone = await apiError(() => custom.getNamespacedCustomObject({ ...ref(ns), name: 'f' }));
    expect(gone.code).toBe(404);
    expect(gone.status.message).toBe(`${PLURAL}.${GROUP} "f" not found`);

    await until('MODIFIED then DELETED', () => watch.events.length >= 2);
    expect(watch.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(watch.events[1]?.object.metadata?.resourceVersion).toBe(removed.metadata.resourceVersion);
    watch.abort();

    // Without finalizers, delete removes at once and answers with the object.
    await custom.createNamespacedCustomObject({ ...ref(ns), body: binding('plain') });
    const deleted = (await custom.deleteNamespacedCustomObject({ ...ref(ns), name: 'plain' })) as Binding;
    expect(deleted.metadata.name).toBe('plain');
    const precondition = (await custom.createNamespacedCustomObject({ ...ref(ns), body: binding('pre') })) as Binding;
    const wrongUid = await apiError(() => custom.deleteNamespacedCustomObject({ ...ref(ns), name: 'pre', body: { preconditions: { uid: 'not-it' } } }));
    expect(wrongUid.code).toBe(409);
    expect(wrongUid.status.message).toBe(
      `Operation cannot be fulfilled on ${PLURAL}.${GROUP} "pre": Precondition failed: UID in precondition: not-it, UID in object meta: ${precondition.metadata.uid}`,
    );
  });
});
