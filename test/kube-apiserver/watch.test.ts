// Watches and fault injection through client-node's Watch class: replay
// from a resourceVersion, bookmarks, timeoutSeconds, 410 after compaction,
// selector transitions, dropped/stalled streams, injected errors, delays,
// and resuming after a server restart.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApiServer } from './index.ts';
import { apiError, openWatch, until } from './test-helpers.ts';

let server: TestApiServer;
let core: CoreV1Api;
let nsCounter = 0;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  server = await TestApiServer.start({ bookmarkIntervalMs: 100, watchWindow: 50 });
  core = server.kubeConfig().makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await server.stop();
});

async function freshNamespace(): Promise<string> {
  const name = `w-${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const secretsPath = (ns: string) => `/api/v1/namespaces/${ns}/secrets`;

describe('watch', () => {
  it('replays every event after a resourceVersion, then streams live ones', async () => {
    const ns = await freshNamespace();
    const a = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'a' } } });
    await core.patchNamespacedSecret({ namespace: ns, name: 'a', body: { data: { k: 'dg==' } } }, merge);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'b' } } });
    await core.deleteNamespacedSecret({ namespace: ns, name: 'b' });

    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { resourceVersion: a.metadata!.resourceVersion });
    await until('replayed events', () => w.events.length === 3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['MODIFIED a', 'ADDED b', 'DELETED b']);
    // Watch event objects carry apiVersion and kind; resourceVersions increase.
    expect(w.events[0]?.object).toMatchObject({ apiVersion: 'v1', kind: 'Secret' });
    const rvs = w.events.map((e) => Number(e.object.metadata?.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);

    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'c' } } });
    await until('live event', () => w.events.length === 4);
    expect(w.events[3]?.type).toBe('ADDED');
    w.abort();
  });

  it('starts with synthetic ADDED events without a resourceVersion, and turns selector exits into DELETED', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'in', labels: { app: 'x' } } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'out', labels: { app: 'y' } } } });
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { labelSelector: 'app=x' });
    await until('initial state', () => w.events.length === 1);
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'in' } } });

    const moved = await core.patchNamespacedSecret({ namespace: ns, name: 'in', body: { metadata: { labels: { app: 'z' } } } }, merge);
    await core.patchNamespacedSecret({ namespace: ns, name: 'out', body: { metadata: { labels: { app: 'x' } } } }, merge);
    await until('selector transitions', () => w.events.length === 3);
    expect(w.events[1]).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'in', resourceVersion: moved.metadata?.resourceVersion, labels: { app: 'x' } } } });
    expect(w.events[2]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'out' } } });
    w.abort();
  });

  it('sends BOOKMARK events when allowed, with only kind, apiVersion and resourceVersion', async () => {
    const ns = await freshNamespace();
    const list = await core.listNamespacedSecret({ namespace: ns });
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true });
    await until('a bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bookmark.object).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(Number(bookmark.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(list.metadata!.resourceVersion));
    w.abort();

    const plain = await openWatch(server.kubeConfig(), secretsPath(ns), { resourceVersion: list.metadata!.resourceVersion });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'after' } } });
    await until('event', () => plain.events.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 250)); // longer than the bookmark interval
    expect(plain.events.map((e) => e.type)).toEqual(['ADDED']);
    plain.abort();
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const ns = await freshNamespace();
    const started = Date.now();
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { timeoutSeconds: 1 });
    expect(await w.done).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('answers a watch from a compacted resourceVersion with 200 and one ERROR 410 Expired event', async () => {
    const ns = await freshNamespace();
    const old = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'y' } } });
    server.compact();
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { resourceVersion: old.metadata!.resourceVersion });
    expect(await w.done).toBeNull();
    expect(w.events).toHaveLength(1);
    expect(w.events[0]?.type).toBe('ERROR');
    expect(w.events[0]?.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(String(w.events[0]?.object.message)).toMatch(new RegExp(`^too old resource version: ${old.metadata!.resourceVersion} \\(\\d+\\)$`));
  });

  it('expires watches whose resourceVersion fell out of the bounded history window', async () => {
    const ns = await freshNamespace();
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { i: '0' } } });
    for (let i = 1; i <= 55; i++) await core.patchNamespacedConfigMap({ namespace: ns, name: 'cm', body: { data: { i: String(i) } } }, merge);
    const w = await openWatch(server.kubeConfig(), `/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata!.resourceVersion });
    await w.done;
    expect(w.events.map((e) => e.type)).toEqual(['ERROR']);
  });
});

describe('fault injection', () => {
  it('injects 429 (with Retry-After), 500 and 410 on list, each for the given number of times', async () => {
    const ns = await freshNamespace();
    server.faults.inject({ verb: 'list', resource: 'secrets', status: 429, retryAfterSeconds: 3 });
    const throttled = await apiError(() => core.listNamespacedSecret({ namespace: ns }));
    expect(throttled.code).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(throttled.status).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });

    server.faults.inject({ verb: 'list', resource: 'secrets', status: 500, times: 2 });
    expect((await apiError(() => core.listNamespacedSecret({ namespace: ns }))).status.reason).toBe('InternalError');
    expect((await apiError(() => core.listNamespacedSecret({ namespace: ns }))).code).toBe(500);
    server.faults.inject({ verb: 'list', resource: 'secrets', status: 410 });
    expect((await apiError(() => core.listNamespacedSecret({ namespace: ns }))).status).toMatchObject({ code: 410, reason: 'Expired' });
    // Rules are used up; other verbs were never affected.
    await expect(core.listNamespacedSecret({ namespace: ns })).resolves.toBeDefined();
    server.faults.inject({ verb: 'get', resource: 'secrets', name: 'nope', status: 503 });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'ok' } } });
    expect((await apiError(() => core.readNamespacedSecret({ namespace: ns, name: 'nope' }))).code).toBe(503);
    server.faults.clear();
  });

  it('delays matching requests', async () => {
    const ns = await freshNamespace();
    server.faults.delay({ verb: 'list', resource: 'secrets', ms: 300, times: 1 });
    const started = Date.now();
    await core.listNamespacedSecret({ namespace: ns });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const second = Date.now();
    await core.listNamespacedSecret({ namespace: ns });
    expect(Date.now() - second).toBeLessThan(280);
  });

  it('drops watch streams, and stalls them until clear()', async () => {
    const ns = await freshNamespace();
    const w1 = await openWatch(server.kubeConfig(), secretsPath(ns), {});
    const other = await openWatch(server.kubeConfig(), `/api/v1/namespaces/${ns}/configmaps`, {});
    await until('watches registered', () => server.requests.filter((r) => r.verb === 'watch' && r.namespace === ns && r.status === 200).length === 2);
    expect(server.faults.dropWatches({ resource: 'secrets' })).toBe(1);
    await w1.done;

    const w2 = await openWatch(server.kubeConfig(), secretsPath(ns), { allowWatchBookmarks: true });
    await until('w2 open', () => server.requests.filter((r) => r.verb === 'watch' && r.resource === 'secrets' && r.namespace === ns).length === 2);
    server.faults.stallWatches({ resource: 'secrets' });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'held-back' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'flows' } } });
    await until('configmap event', () => other.events.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(w2.events).toEqual([]);
    server.faults.clear();
    await until('held-back event delivered', () => w2.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'held-back'));
    w2.abort();
    other.abort();
  });

  it('keeps all state across restart(), and a client resumes its watch from the last resourceVersion', async () => {
    const ns = await freshNamespace();
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), {});
    const created = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'before' } } });
    await until('event before restart', () => w.events.length === 1);
    const lastRv = w.events[0]!.object.metadata!.resourceVersion!;
    expect(lastRv).toBe(created.metadata?.resourceVersion);
    const url = server.url;

    await server.restart();
    await w.done;
    expect(server.url).toBe(url);
    const after = await core.readNamespacedSecret({ namespace: ns, name: 'before' });
    expect(after.metadata?.uid).toBe(created.metadata?.uid);

    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'during' } } });
    const resumed = await openWatch(server.kubeConfig(), secretsPath(ns), { resourceVersion: lastRv });
    await until('resumed event', () => resumed.events.length === 1);
    expect(resumed.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'during' } } });
    resumed.abort();
  });

  it('logs list, watch and status-subresource verbs distinctly', async () => {
    const ns = await freshNamespace();
    server.clearRequests();
    await core.listNamespacedSecret({ namespace: ns });
    const w = await openWatch(server.kubeConfig(), secretsPath(ns), { timeoutSeconds: 1 });
    await w.done;
    await core.replaceNamespaceStatus({ name: ns, body: (await core.readNamespace({ name: ns })) });
    expect(server.requests.map((r) => [r.verb, r.resource, r.subresource ?? '', r.status])).toEqual([
      ['list', 'secrets', '', 200],
      ['watch', 'secrets', '', 200],
      ['get', 'namespaces', '', 200],
      ['update', 'namespaces', 'status', 200],
    ]);
  });
});
