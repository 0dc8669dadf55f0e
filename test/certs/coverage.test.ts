import { describe, expect, it } from 'vitest';
import { uncoveredTargets } from '../../src/certs/coverage.ts';

describe('uncoveredTargets', () => {
  // [SANs, target, covered]
  it.each<[string[], string, boolean]>([
    [['example.com'], 'example.com', true],
    [['example.com'], 'www.example.com', false],
    [['www.example.com'], 'example.com', false],
    [['Example.COM'], 'example.com', true],
    [['example.com'], 'EXAMPLE.com', true],
    [['example.com.'], 'example.com', true],
    [['example.com'], 'example.com.', true],
    [['*.example.com'], 'a.example.com', true],
    [['*.example.com'], 'A.Example.Com.', true],
    [['*.example.com'], 'example.com', false],
    [['*.example.com'], 'a.b.example.com', false],
    [['*.example.com'], '.example.com', false],
    [['*.b.example.com'], 'a.b.example.com', true],
    [['*.b.example.com'], 'a.example.com', false],
    [['*.example.com'], 'a.example.org', false],
    [['*.example.com'], 'aexample.com', false],
    // A wildcard target (a CDN wildcard domain) needs the identical wildcard SAN.
    [['*.example.com'], '*.example.com', true],
    [['*.EXAMPLE.com'], '*.example.com.', true],
    [['a.example.com', 'b.example.com'], '*.example.com', false],
    [['*.b.example.com'], '*.example.com', false],
    [['*.example.com'], '*.b.example.com', false],
    // Partial-label wildcards are not honoured: they match only themselves.
    [['f*.example.com'], 'foo.example.com', false],
    [['*foo.example.com'], 'xfoo.example.com', false],
    [['*'], 'localhost', false],
    [['*.*.example.com'], 'a.b.example.com', false],
    [[], 'example.com', false],
    [['example.com'], '', false],
  ])('SANs %j cover %j: %s', (sans, target, covered) => {
    expect(uncoveredTargets(sans, [target])).toEqual(covered ? [] : [target]);
  });

  it('returns the uncovered targets as written, in order', () => {
    const sans = ['example.com', '*.example.com'];
    const targets = ['cdn.example.com', 'A.B.example.com', 'example.com', 'Other.org.', 'static.example.com', '*.Example.org'];
    expect(uncoveredTargets(sans, targets)).toEqual(['A.B.example.com', 'Other.org.', '*.Example.org']);
  });

  it('returns nothing when there are no targets', () => {
    expect(uncoveredTargets(['example.com'], [])).toEqual([]);
  });
});
