// prune: deletes this binding's earlier uploads that nothing uses, and
// nothing else.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Provider, PruneResult } from '../../../src/providers/provider.ts';
import { aliasFor } from '../../../src/providers/tencent/driver.ts';
import { BINDING, bundle, HOSTS, startHarness, ZONE, type Harness } from '../../emulators/tencent/testing.ts';

let h: Harness;
let provider: Provider;

beforeEach(async () => {
  h = await startHarness();
  provider = h.provider();
});
afterEach(async () => {
  await h.stop();
});

/** Deploys `count` certificates in turn; returns their ids, oldest first. The last one is bound. */
async function renewals(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    const first = outcomes[0];
    if (!first?.ok || !first.certificateId) throw new Error('deploy failed');
    ids.push(first.certificateId);
  }
  return ids;
}

const stored = () => h.emulator.certificates(h.credentials.secretId).map((c) => c.id).sort();
const prune = (recorded: string[], inUse: string[]): Promise<PruneResult> => {
  if (!provider.prune) throw new Error('the Tencent provider prunes');
  return provider.prune({ binding: BINDING, recorded, inUse });
};

describe('prune', () => {
  it('deletes the previous upload, found by its alias even when it was never recorded, and keeps the one in use', async () => {
    const [old1, old2, current] = await renewals(3);
    const result = await prune([], [current as string]);
    expect(result).toEqual({ deleted: [old1, old2].sort(), failed: [] });
    expect(stored()).toEqual([current]);
    // Every deletion asked SSL Certificates to check bound resources.
    expect(h.emulator.calls.filter((c) => c.action === 'DeleteCertificate')).toHaveLength(2);
  });

  it('never deletes an id in use, a foreign upload, or another binding\'s upload', async () => {
    const [old, current] = await renewals(2);
    const foreign = await bundle();
    // Someone uploaded by hand, even with a name that mentions the binding.
    const byHand = h.emulator.addCertificate(h.credentials.secretId, { chainPem: foreign.chainPem, keyPem: foreign.keyPem, alias: 'ccs-web-shop' });
    const similar = await bundle();
    const otherBinding = h.emulator.addCertificate(h.credentials.secretId, {
      chainPem: similar.chainPem,
      keyPem: similar.keyPem,
      alias: aliasFor({ namespace: 'web', name: 'shop-eu' }, similar.leaf.fingerprintSHA256),
    });

    const result = await prune([current as string], [current as string]);

    expect(result).toEqual({ deleted: [old], failed: [] });
    expect(stored()).toEqual([current, byHand, otherBinding].sort());
  });

  it('deletes a recorded id whatever its alias, and counts one already gone as deleted', async () => {
    const foreign = await bundle();
    const recordedForeign = h.emulator.addCertificate(h.credentials.secretId, { chainPem: foreign.chainPem, keyPem: foreign.keyPem, alias: 'imported' });
    const result = await prune([recordedForeign, 'gone1234'], []);
    expect(result).toEqual({ deleted: [recordedForeign, 'gone1234'].sort(), failed: [] });
    expect(stored()).toEqual([]);
  });

  it('reports a certificate still bound to a host as failed (deletion task status 4), and deletes nothing bound', async () => {
    const [old, current] = await renewals(2);
    // The old certificate is still bound elsewhere (another binding, or a host changed by hand).
    h.emulator.drift(ZONE, 'api.example.com', old as string);

    const result = await prune([old as string], [current as string]);

    expect(result.deleted).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.certificateId).toBe(old);
    expect(result.failed[0]?.error).toMatchObject({ code: 'DeleteTask.BoundResources', retryable: false });
    expect(stored()).toEqual([old, current].sort());
  });

  it('reports the synchronous refusal (FailedOperation.DeleteResourceFailed) as failed too', async () => {
    h.emulator.configure({ deleteCheck: 'sync' });
    const [old, current] = await renewals(2);
    h.emulator.drift(ZONE, 'api.example.com', old as string);
    const result = await prune([], [current as string]);
    expect(result.failed.map((f) => [f.certificateId, f.error.code])).toEqual([[old, 'FailedOperation.DeleteResourceFailed']]);
    expect(result.deleted).toEqual([]);

    h.emulator.drift(ZONE, 'api.example.com', current as string);
    expect(await prune([], [current as string])).toEqual({ deleted: [old], failed: [] });
  });

  it('waits for a slow deletion task to finish', async () => {
    const [old, current] = await renewals(2);
    h.emulator.configure({ deleteTaskPolls: 3 });
    expect(await prune([], [current as string])).toEqual({ deleted: [old], failed: [] });
    expect(h.emulator.calls.filter((c) => c.action === 'DescribeDeleteCertificatesTaskResult')).toHaveLength(4);
    expect(stored()).toEqual([current]);
  });

  it('gives up on a deletion task that outlasts the polling with a retryable DeleteTask.Pending', async () => {
    const [old, current] = await renewals(2);
    h.emulator.configure({ deleteTaskPolls: 1_000 });
    const result = await prune([], [current as string]);
    expect(result.deleted).toEqual([]);
    expect(result.failed.map((f) => [f.certificateId, f.error.code, f.error.retryable])).toEqual([[old, 'DeleteTask.Pending', true]]);
  });

  it('reports a missing service role (task status 3) without throwing', async () => {
    const [old, current] = await renewals(2);
    h.emulator.configure({ deleteTaskStatus: 3 });
    const result = await prune([], [current as string]);
    expect(result.failed.map((f) => [f.certificateId, f.error.code, f.error.retryable])).toEqual([[old, 'DeleteTask.RoleNotAuthorized', false]]);
  });

  it('puts a failed delete call into failed and still deletes the others', async () => {
    const [a, b, current] = await renewals(3);
    h.emulator.failWith('FailedOperation.AuthError', { action: 'DeleteCertificate' });
    const result = await prune([], [current as string]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.error).toMatchObject({ code: 'FailedOperation.AuthError', retryable: false });
    expect([...result.deleted, result.failed[0]?.certificateId].sort()).toEqual([a, b].sort());
  });

  it('still prunes the recorded ids when listing fails, and reports failures after retries instead of throwing', async () => {
    const [old, current] = await renewals(2);
    h.emulator.failWith('UnauthorizedOperation.CamUnauthorized', { action: 'DescribeCertificates' });
    expect(await prune([old as string], [current as string])).toEqual({ deleted: [old], failed: [] });
    expect(h.logs.some((l) => l.includes('cannot list uploads to prune') && l.includes('UnauthorizedOperation.CamUnauthorized'))).toBe(true);

    const [older, newest] = await renewals(2);
    h.emulator.failWith('InternalError', { action: 'DeleteCertificate', times: Infinity });
    const result = await prune([], [newest as string]);
    expect(result.deleted).toEqual([]);
    expect(result.failed).toEqual([
      expect.objectContaining({ certificateId: [current, older].sort()[0] }),
      expect.objectContaining({ certificateId: [current, older].sort()[1] }),
    ]);
    expect(result.failed.every((f) => f.error.code === 'InternalError' && f.error.retryable)).toBe(true);
  });
});
