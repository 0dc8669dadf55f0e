import { describe, expect, it } from 'vitest';
import { BindingIndex } from '../../src/controller/index.ts';
import { aBinding } from '../fixtures/bindings.ts';

describe('BindingIndex', () => {
  it('maps a Secret to every binding that references it, across renames and deletes', () => {
    const index = new BindingIndex();
    index.upsert(aBinding({ name: 'one', secretName: 'tls-a' }));
    index.upsert(aBinding({ name: 'two', secretName: 'tls-a', domains: ['b.example.com'] }));
    expect(index.bindingsForSecret('default', 'tls-a').sort()).toEqual(['default/one', 'default/two']);
    index.upsert(aBinding({ name: 'two', secretName: 'tls-b', domains: ['b.example.com'] }));
    expect(index.bindingsForSecret('default', 'tls-a')).toEqual(['default/one']);
    expect(index.bindingsForSecret('default', 'tls-b')).toEqual(['default/two']);
    index.remove('default', 'one');
    expect(index.isSecretReferenced('default', 'tls-a')).toBe(false);
    expect(index.bindingsForSecret('other', 'tls-b')).toEqual([]);
  });

  it('gives a target to the oldest binding and re-enqueues the others when ownership moves', () => {
    const index = new BindingIndex();
    index.upsert(aBinding({ name: 'old', domains: ['a.example.com'], created: '2026-01-01T00:00:00Z' }));
    const affected = index.upsert(aBinding({ name: 'new', domains: ['a.example.com', 'b.example.com'], created: '2026-01-02T00:00:00Z' }));
    expect(affected.sort()).toEqual(['default/new', 'default/old']);
    expect(index.conflictFor('default/old')).toBeUndefined();
    expect(index.conflictFor('default/new')).toEqual({ targets: ['a.example.com'], owner: 'default/old' });
    expect(index.remove('default', 'old')).toEqual(['default/new']);
    expect(index.conflictFor('default/new')).toBeUndefined();
  });

  it('keeps Tencent zones apart: the same host in two zones is no conflict', () => {
    const index = new BindingIndex();
    index.upsert(aBinding({ name: 'x', tencent: { zoneId: 'zone-a', hosts: ['a.example.com'] } }));
    index.upsert(aBinding({ name: 'y', tencent: { zoneId: 'zone-b', hosts: ['a.example.com'] }, created: '2026-02-01T00:00:00Z' }));
    expect(index.conflictFor('default/y')).toBeUndefined();
  });
});
