import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/controller/queue.ts';

/** Resolves when `predicate` holds, polling the event loop; fails after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WorkQueue', () => {
  it('collapses duplicates while queued', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands a key to two workers at once, and re-queues a key added while it is processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a'); // changed while being processed
    expect(q.length).toBe(0); // not handed out while processing
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBeUndefined();
    q.done(first!);
    await until(() => second === 'a');
  });

  it('runs each key by one worker at a time under concurrent adds', async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    let overlaps = 0;
    let processed = 0;
    const workers = Array.from({ length: 4 }, async () => {
      for (let key = await q.get(); key !== undefined; key = await q.get()) {
        if (active.has(key)) overlaps++;
        active.add(key);
        await new Promise((resolve) => setTimeout(resolve, 1));
        active.delete(key);
        processed++;
        q.done(key);
      }
    });
    for (let i = 0; i < 200; i++) {
      q.add(`k${i % 5}`);
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await until(() => q.length === 0 && active.size === 0);
    q.shutDown();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(processed).toBeGreaterThanOrEqual(5);
  });

  it('backs off exponentially per key with jitter, capped, and forget() resets it', () => {
    const q = new WorkQueue({ backoff: { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 }, random: () => 0.5 });
    expect([0, 1, 2, 3].map((n) => q.backoffFor(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(q.backoffFor(20)).toBe(300_000);
    const low = new WorkQueue({ backoff: { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 }, random: () => 0 });
    const high = new WorkQueue({ backoff: { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 }, random: () => 0.999 });
    expect(low.backoffFor(2)).toBe(3_200);
    expect(high.backoffFor(2)).toBeGreaterThan(4_700);
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.failures('a')).toBe(2);
    q.forget('a');
    expect(q.failures('a')).toBe(0);
    q.shutDown();
  });

  it('delivers a rate-limited key after its backoff', async () => {
    const q = new WorkQueue({ backoff: { baseMs: 20, maxMs: 1_000, jitter: 0 } });
    const started = Date.now();
    q.addRateLimited('a');
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('a');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    q.shutDown();
  });

  it('keeps the earliest of several delayed adds', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 60_000);
    q.addAfter('a', 10);
    q.addAfter('a', 30_000);
    expect(await q.get()).toBe('a');
    q.done('a');
    q.shutDown();
  });

  it('shutDown releases waiting workers; shutDownWithDrain waits for in-flight keys, bounded', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();

    const q2 = new WorkQueue();
    q2.add('a');
    const key = await q2.get();
    const drained = q2.shutDownWithDrain(5_000);
    setTimeout(() => q2.done(key!), 10);
    expect(await drained).toBe(true);

    const q3 = new WorkQueue();
    q3.add('b');
    await q3.get();
    expect(await q3.shutDownWithDrain(20)).toBe(false);
  });

  it('reports depth, adds, retries and latency', async () => {
    const seen = { added: 0, retried: 0, depth: [] as number[], latency: 0 };
    const q = new WorkQueue({
      backoff: { baseMs: 1, maxMs: 1, jitter: 0 },
      metrics: { added: () => seen.added++, retried: () => seen.retried++, depth: (n) => seen.depth.push(n), latency: () => seen.latency++ },
    });
    q.add('a');
    q.add('b');
    await q.get();
    q.addRateLimited('c');
    expect(seen).toMatchObject({ added: 2, retried: 1, latency: 1 });
    expect(seen.depth).toEqual([1, 2, 1]);
    q.shutDown();
  });
});
