// Built-in resources through the real client-node: CRUD, optimistic
// concurrency, selectors, pagination, patches, Secrets, Leases, Events, and
// the request log.
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1Secret,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApiServer } from './index.ts';
import { apiError } from './test-helpers.ts';

let server: TestApiServer;
let core: CoreV1Api;
let coordination: CoordinationV1Api;
let nsCounter = 0;

beforeAll(async () => {
  server = await TestApiServer.start();
  core = server.kubeConfig().makeApiClient(CoreV1Api);
  coordination = server.kubeConfig().makeApiClient(CoordinationV1Api);
});

afterAll(async () => {
  await server.stop();
});

async function freshNamespace(): Promise<string> {
  const name = `core-${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function tlsSecret(name: string, labels?: Record<string, string>): V1Secret {
  return { metadata: { name, labels }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } };
}

describe('CRUD and resourceVersions', () => {
  it('creates, reads, updates and deletes a Secret with a global, increasing resourceVersion', async () => {
    const ns = await freshNamespace();
    const created = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'a' }, stringData: { user: 'admin' } } });
    expect(created.type).toBe('Opaque');
    expect(created.data).toEqual({ user: Buffer.from('admin').toString('base64') });
    expect((created as { stringData?: unknown }).stringData).toBeUndefined();
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.generation).toBeUndefined();
    const rv1 = Number(created.metadata!.resourceVersion);

    const other = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { a: 'b' } } });
    expect(Number(other.metadata!.resourceVersion)).toBe(rv1 + 1);

    const read = await core.readNamespacedSecret({ namespace: ns, name: 'a' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    read.data = { ...read.data, extra: 'eA==' };
    const updated = await core.replaceNamespacedSecret({ namespace: ns, name: 'a', body: read });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(rv1 + 1);
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);

    // An identical write is a no-op: no new resourceVersion.
    const same = await core.replaceNamespacedSecret({ namespace: ns, name: 'a', body: updated });
    expect(same.metadata?.resourceVersion).toBe(updated.metadata?.resourceVersion);

    const status = await core.deleteNamespacedSecret({ namespace: ns, name: 'a' });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'a', kind: 'secrets', uid: created.metadata?.uid } });
    const gone = await apiError(() => core.readNamespacedSecret({ namespace: ns, name: 'a' }));
    expect(gone.code).toBe(404);
    expect(gone.status).toMatchObject({ reason: 'NotFound', message: 'secrets "a" not found', details: { name: 'a', kind: 'secrets' } });
  });

  it('rejects creating into a missing namespace, duplicates, and create with a resourceVersion', async () => {
    const missing = await apiError(() => core.createNamespacedSecret({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({ reason: 'NotFound', message: 'namespaces "no-such-ns" not found', details: { name: 'no-such-ns', kind: 'namespaces' } });

    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'dup' } } });
    const dup = await apiError(() => core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'dup' } } }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ reason: 'AlreadyExists', message: 'secrets "dup" already exists' });

    const withRv = await apiError(() => core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'rv', resourceVersion: '5' } } }));
    expect(withRv.code).toBe(500);
    expect(withRv.status.message).toBe('resourceVersion should not be set on objects to be created');
  });

  it('answers 409 Conflict to a stale update and a stale merge patch, and allows an unconditional update', async () => {
    const ns = await freshNamespace();
    const first = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'c' }, data: { a: 'YQ==' } } });
    await core.patchNamespacedSecret({ namespace: ns, name: 'c', body: { data: { b: 'Yg==' } } }, merge);

    const stale = await apiError(() => core.replaceNamespacedSecret({ namespace: ns, name: 'c', body: first }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on secrets "c": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'c', kind: 'secrets' },
    });

    const stalePatch = await apiError(() =>
      core.patchNamespacedSecret({ namespace: ns, name: 'c', body: { metadata: { resourceVersion: first.metadata!.resourceVersion }, data: { c: 'Yw==' } } }, merge),
    );
    expect(stalePatch.code).toBe(409);
    expect(stalePatch.status.reason).toBe('Conflict');

    // Secrets allow unconditional updates (no resourceVersion): last write wins.
    const unconditional = await core.replaceNamespacedSecret({ namespace: ns, name: 'c', body: { metadata: { name: 'c' }, data: { z: 'eg==' } } });
    expect(unconditional.data).toEqual({ z: 'eg==' });
  });

  it('applies JSON patches (with test) and strategic merge patches', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'p', finalizers: ['example.com/a'] }, data: { a: 'YQ==' } } });
    const patched = await core.patchNamespacedSecret({
      namespace: ns,
      name: 'p',
      body: [
        { op: 'test', path: '/data/a', value: 'YQ==' },
        { op: 'add', path: '/data/b', value: 'Yg==' },
      ],
    });
    expect(patched.data).toEqual({ a: 'YQ==', b: 'Yg==' });
    const failed = await apiError(() => core.patchNamespacedSecret({ namespace: ns, name: 'p', body: [{ op: 'test', path: '/data/a', value: 'bm8=' }] }));
    expect(failed.code).toBe(422);
    expect(failed.status.reason).toBe('Invalid');

    // Strategic merge: finalizers merge as a set, where a merge patch would replace the list.
    const smp = await core.patchNamespacedSecret({ namespace: ns, name: 'p', body: { metadata: { finalizers: ['example.com/b'] } } }, strategic);
    expect(smp.metadata?.finalizers).toEqual(['example.com/a', 'example.com/b']);
    const mp = await core.patchNamespacedSecret({ namespace: ns, name: 'p', body: { metadata: { finalizers: ['example.com/b'] } } }, merge);
    expect(mp.metadata?.finalizers).toEqual(['example.com/b']);
    await core.patchNamespacedSecret({ namespace: ns, name: 'p', body: { metadata: { finalizers: null } } }, merge);
  });
});

describe('Secrets', () => {
  it('validates kubernetes.io/tls keys, base64 data, and keeps type immutable', async () => {
    const ns = await freshNamespace();
    const missingKey = await apiError(() =>
      core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } } }),
    );
    expect(missingKey.code).toBe(422);
    expect(missingKey.status).toMatchObject({
      reason: 'Invalid',
      message: 'Secret "t" is invalid: data[tls.key]: Required value',
      details: { name: 't', kind: 'Secret', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'data[tls.key]' }] },
    });

    const badBase64 = await apiError(() => core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'b' }, data: { a: 'not base64!' } } }));
    expect(badBase64.code).toBe(400);
    expect(badBase64.status.reason).toBe('BadRequest');
    expect(badBase64.status.message).toContain('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte');

    const tls = await core.createNamespacedSecret({ namespace: ns, body: tlsSecret('t') });
    const changeType = await apiError(() => core.replaceNamespacedSecret({ namespace: ns, name: 't', body: { ...tls, type: 'Opaque' } }));
    expect(changeType.code).toBe(422);
    expect(changeType.status.message).toBe('Secret "t" is invalid: type: Invalid value: "Opaque": field is immutable');
  });

  it('filters by field selector type=kubernetes.io/tls and by label selectors; rejects unsupported fields', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: tlsSecret('tls-a', { app: 'web', tier: 'front' }) });
    await core.createNamespacedSecret({ namespace: ns, body: tlsSecret('tls-b', { app: 'db' }) });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'opaque', labels: { app: 'web' } }, data: {} } });

    const names = async (params: { fieldSelector?: string; labelSelector?: string }) =>
      (await core.listNamespacedSecret({ namespace: ns, ...params })).items.map((s) => s.metadata?.name);
    expect(await names({ fieldSelector: 'type=kubernetes.io/tls' })).toEqual(['tls-a', 'tls-b']);
    expect(await names({ fieldSelector: 'type!=kubernetes.io/tls' })).toEqual(['opaque']);
    expect(await names({ fieldSelector: 'metadata.name=tls-b' })).toEqual(['tls-b']);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['opaque', 'tls-a']);
    expect(await names({ labelSelector: 'app in (db, web),tier' })).toEqual(['tls-a']);
    expect(await names({ labelSelector: 'app notin (web)' })).toEqual(['tls-b']);
    expect(await names({ labelSelector: '!tier,app!=db' })).toEqual(['opaque']);
    expect(await names({ labelSelector: 'app==db', fieldSelector: 'type=kubernetes.io/tls' })).toEqual(['tls-b']);

    const unsupported = await apiError(() => core.listNamespacedSecret({ namespace: ns, fieldSelector: 'data.x=y' }));
    expect(unsupported.code).toBe(400);
    expect(unsupported.status.message).toBe('field label not supported: data.x');
    // List items of a built-in type carry no apiVersion/kind; the list does.
    const list = await core.listNamespacedSecret({ namespace: ns });
    expect(list.kind).toBe('SecretList');
    expect(list.items[0]?.kind).toBeUndefined();
  });
});

describe('pagination', () => {
  it('pages with limit/continue from a consistent snapshot, and expires continue tokens after compact()', async () => {
    const ns = await freshNamespace();
    for (let i = 0; i < 7; i++) await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `s-${i}` } } });
    const page1 = await core.listNamespacedSecret({ namespace: ns, limit: 3 });
    expect(page1.items.map((s) => s.metadata?.name)).toEqual(['s-0', 's-1', 's-2']);
    expect(page1.metadata?.remainingItemCount).toBe(4);
    expect(page1.metadata?._continue).toBeTruthy();

    // Writes after the first page do not show in later pages: they read the first page's revision.
    await core.deleteNamespacedSecret({ namespace: ns, name: 's-4' });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's-5a' } } });
    const page2 = await core.listNamespacedSecret({ namespace: ns, limit: 3, _continue: page1.metadata!._continue });
    expect(page2.items.map((s) => s.metadata?.name)).toEqual(['s-3', 's-4', 's-5']);
    expect(page2.metadata?.resourceVersion).toBe(page1.metadata?.resourceVersion);
    const page3 = await core.listNamespacedSecret({ namespace: ns, limit: 3, _continue: page2.metadata!._continue });
    expect(page3.items.map((s) => s.metadata?.name)).toEqual(['s-6']);
    expect(page3.metadata?._continue).toBeUndefined();

    const fresh = await core.listNamespacedSecret({ namespace: ns, limit: 2 });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'later' } } });
    server.compact();
    const expired = await apiError(() => core.listNamespacedSecret({ namespace: ns, limit: 2, _continue: fresh.metadata!._continue }));
    expect(expired.code).toBe(410);
    expect(expired.status.reason).toBe('Expired');
    expect(expired.status.message).toContain('The provided continue parameter is too old');
    expect(expired.status.metadata?.continue).toBeTruthy();
  });
});

describe('Leases', () => {
  it('requires MicroTime with exactly six fractional digits', async () => {
    const ns = await freshNamespace();
    const threeDigits = await apiError(() =>
      coordination.createNamespacedLease({
        namespace: ns,
        body: { metadata: { name: 'l' }, spec: { holderIdentity: 'a', renewTime: new Date('2024-05-01T10:00:00.123Z') as V1MicroTime } },
      }),
    );
    expect(threeDigits.code).toBe(400);
    expect(threeDigits.status.message).toBe(
      'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-05-01T10:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    );

    const lease = await coordination.createNamespacedLease({
      namespace: ns,
      body: {
        metadata: { name: 'l' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0, acquireTime: new V1MicroTime('2024-05-01T10:00:00.123Z'), renewTime: new V1MicroTime('2024-05-01T10:00:00.123Z') },
      },
    });
    expect(lease.spec?.holderIdentity).toBe('a');
    expect(lease.spec?.leaseDurationSeconds).toBe(15);
    const raw = await fetch(`${server.url}/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/l`).then((r) => r.json() as Promise<{ spec: { renewTime: string } }>);
    expect(raw.spec.renewTime).toBe('2024-05-01T10:00:00.123000Z');

    lease.spec!.holderIdentity = 'b';
    lease.spec!.leaseTransitions = 1;
    lease.spec!.renewTime = new V1MicroTime();
    const taken = await coordination.replaceNamespacedLease({ namespace: ns, name: 'l', body: lease });
    expect(taken.spec?.holderIdentity).toBe('b');
    const stale = await apiError(() => coordination.replaceNamespacedLease({ namespace: ns, name: 'l', body: lease }));
    expect(stale.code).toBe(409);
  });
});

describe('Events', () => {
  it('stores core/v1 Events as given and patches them with merge and strategic merge patches', async () => {
    const ns = await freshNamespace();
    const event = await core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: 'binding.17a' },
        involvedObject: { kind: 'CdnCertificateBinding', namespace: ns, name: 'binding', uid: 'u-1', apiVersion: 'cdn-cert-sync.io/v1alpha1' },
        reason: 'Synced',
        message: 'all good',
        type: 'Normal',
        count: 1,
        firstTimestamp: new Date('2024-05-01T10:00:00Z'),
        lastTimestamp: new Date('2024-05-01T10:00:00Z'),
        source: { component: 'cdn-cert-sync' },
      },
    });
    expect(event.count).toBe(1);
    expect(event.involvedObject.name).toBe('binding');
    const bumped = await core.patchNamespacedEvent({ namespace: ns, name: 'binding.17a', body: { count: 2, lastTimestamp: '2024-05-01T10:05:00Z' } }, merge);
    expect(bumped.count).toBe(2);
    expect(bumped.lastTimestamp?.toISOString()).toBe('2024-05-01T10:05:00.000Z');
    const smp = await core.patchNamespacedEvent({ namespace: ns, name: 'binding.17a', body: { count: 3 } }, strategic);
    expect(smp.count).toBe(3);
    expect(smp.firstTimestamp?.toISOString()).toBe('2024-05-01T10:00:00.000Z');

    const wrongNs = await apiError(() =>
      core.createNamespacedEvent({ namespace: ns, body: { metadata: { name: 'x' }, involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' } } }),
    );
    expect(wrongNs.code).toBe(422);
    expect(wrongNs.status.message).toBe('Event "x" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });
});

describe('namespaces and discovery', () => {
  it('terminates a namespace: its content is deleted, then the namespace', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' } } });
    const deleting = await core.deleteNamespace({ name: ns });
    expect((deleting as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const refused = await apiError(() => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } }));
    expect(refused.code).toBe(403);
    expect(refused.status.message).toBe(`configmaps "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);

    const held = await core.readNamespacedSecret({ namespace: ns, name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedSecret({ namespace: ns, name: 'held', body: { metadata: { finalizers: null } } }, merge);
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await core.readNamespace({ name: ns }).catch((e: unknown) => e);
      if (!(r instanceof Error)) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      expect((r as { code?: number }).code).toBe(404);
      break;
    }
  });

  it('serves discovery documents and /version', async () => {
    const v1 = (await fetch(`${server.url}/api/v1`).then((r) => r.json())) as { resources: Array<{ name: string; namespaced: boolean; kind: string; verbs: string[] }> };
    expect(v1.resources).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'secrets', namespaced: true, kind: 'Secret' })]));
    expect(v1.resources.find((r) => r.name === 'namespaces/status')?.verbs).toEqual(['get', 'patch', 'update']);
    const groups = (await fetch(`${server.url}/apis`).then((r) => r.json())) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toContain('coordination.k8s.io');
    const version = (await fetch(`${server.url}/version`).then((r) => r.json())) as { major: string };
    expect(version.major).toBe('1');
  });
});

describe('request log', () => {
  it('records RBAC verbs, groups, subresources and status codes', async () => {
    const ns = await freshNamespace();
    server.clearRequests();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'r' } } });
    await core.readNamespacedSecret({ namespace: ns, name: 'r' });
    await core.listNamespacedSecret({ namespace: ns });
    await core.listSecretForAllNamespaces();
    await core.patchNamespacedSecret({ namespace: ns, name: 'r', body: { data: {} } }, merge);
    await core.deleteNamespacedSecret({ namespace: ns, name: 'r' });
    await apiError(() => core.readNamespacedSecret({ namespace: ns, name: 'r' }));
    await coordination.listNamespacedLease({ namespace: ns });
    await core.readNamespaceStatus({ name: ns });
    expect(server.requests.map(({ verb, apiGroup, resource, subresource, namespace, name, status }) => ({ verb, apiGroup, resource, subresource, namespace, name, status }))).toEqual([
      { verb: 'create', apiGroup: '', resource: 'secrets', namespace: ns, status: 201 },
      { verb: 'get', apiGroup: '', resource: 'secrets', namespace: ns, name: 'r', status: 200 },
      { verb: 'list', apiGroup: '', resource: 'secrets', namespace: ns, status: 200 },
      { verb: 'list', apiGroup: '', resource: 'secrets', status: 200 },
      { verb: 'patch', apiGroup: '', resource: 'secrets', namespace: ns, name: 'r', status: 200 },
      { verb: 'delete', apiGroup: '', resource: 'secrets', namespace: ns, name: 'r', status: 200 },
      { verb: 'get', apiGroup: '', resource: 'secrets', namespace: ns, name: 'r', status: 404 },
      { verb: 'list', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: ns, status: 200 },
      { verb: 'get', apiGroup: '', resource: 'namespaces', subresource: 'status', namespace: ns, name: ns, status: 200 },
    ].map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))));
  });
});
