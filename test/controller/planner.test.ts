import { describe, expect, it } from 'vitest';
import { assess, planDeploy } from '../../src/controller/planner.ts';
import { ProviderError, type Observation } from '../../src/providers/provider.ts';

const FP = 'a'.repeat(64);
const OLD = 'b'.repeat(64);
const now = new Date('2026-01-01T00:00:00Z');
const busy = new ProviderError({ provider: 'alibaba', code: 'ServiceBusy', message: 'configuring', retryable: true, requestId: 'r1' });
const denied = new ProviderError({ provider: 'alibaba', code: 'InvalidDomain.Offline', message: 'offline', retryable: false, requestId: 'r2' });

describe('planDeploy', () => {
  it('deploys only to targets serving something else or nothing, and sets unreadable ones aside', () => {
    const observations: Observation[] = [
      { target: 'a', state: 'serving', fingerprintSHA256: FP },
      { target: 'b', state: 'serving', fingerprintSHA256: OLD },
      { target: 'c', state: 'disabled' },
      { target: 'd', state: 'error', error: busy },
    ];
    expect(planDeploy(['a', 'b', 'c', 'd', 'e'], observations, FP)).toEqual({
      deploy: ['b', 'c', 'e'],
      inSync: ['a'],
      unreadable: [{ target: 'd', error: busy }],
    });
  });
});

describe('assess', () => {
  const base = { targets: ['a', 'b'], fingerprint: FP, certificateIds: new Map<string, string>(), previous: undefined, now };

  it('is Synced only when every target is seen serving the fingerprint', () => {
    const r = assess({
      ...base,
      observations: new Map<string, Observation>([
        ['a', { target: 'a', state: 'serving', fingerprintSHA256: FP }],
        ['b', { target: 'b', state: 'serving', fingerprintSHA256: FP, certificateId: 'c-1' }],
      ]),
      failures: new Map(),
    });
    expect(r.outcome).toBe('synced');
    expect(r.ready).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(r.targets).toEqual([
      { name: 'a', state: 'Synced', fingerprintSHA256: FP, lastSyncTime: '2026-01-01T00:00:00Z' },
      { name: 'b', state: 'Synced', fingerprintSHA256: FP, certificateId: 'c-1', lastSyncTime: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('is Syncing and pending when a push is not yet visible', () => {
    const r = assess({
      ...base,
      observations: new Map<string, Observation>([['a', { target: 'a', state: 'serving', fingerprintSHA256: OLD }]]),
      failures: new Map(),
    });
    expect(r.outcome).toBe('pending');
    expect(r.ready).toMatchObject({ status: 'False', reason: 'Syncing' });
    expect(r.targets.map((t) => t.state)).toEqual(['Pending', 'Pending']);
  });

  it('retries transient failures and names the provider code', () => {
    const r = assess({ ...base, observations: new Map(), failures: new Map([['a', busy]]) });
    expect(r.outcome).toBe('retry');
    expect(r.ready.reason).toBe('Syncing');
    expect(r.ready.message).toContain('ServiceBusy');
    expect(r.ready.message).toContain('r1');
  });

  it('reports ProviderRejected with code and request id, and still retries the transient targets', () => {
    const r = assess({ ...base, observations: new Map(), failures: new Map([['a', denied], ['b', busy]]) });
    expect(r.ready.reason).toBe('ProviderRejected');
    expect(r.ready.message).toContain('InvalidDomain.Offline');
    expect(r.ready.message).toContain('RequestId r2');
    expect(r.outcome).toBe('retry');
    expect(r.targets.find((t) => t.name === 'a')?.state).toBe('Failed');
    const onlyTerminal = assess({ ...base, observations: new Map(), failures: new Map([['a', denied]]) });
    expect(onlyTerminal.outcome).toBe('terminal');
  });

  it('keeps the last sync time of a target that is not verified this round', () => {
    const r = assess({
      ...base,
      previous: [{ name: 'a', state: 'Synced', fingerprintSHA256: OLD, lastSyncTime: '2025-12-01T00:00:00Z' }],
      observations: new Map(),
      failures: new Map([['a', busy]]),
    });
    expect(r.targets[0]).toMatchObject({ name: 'a', state: 'Pending', fingerprintSHA256: OLD, lastSyncTime: '2025-12-01T00:00:00Z' });
  });
});
