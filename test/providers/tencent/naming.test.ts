// The alias scheme and the endpoint/proxy rules: pure functions, tested directly.
import { describe, expect, it } from 'vitest';
import { ALIAS_MAX_LENGTH, aliasFor, aliasPrefix, isOwnAlias } from '../../../src/providers/tencent/alias.ts';
import { Agents, bypassesProxy, parseEndpoint } from '../../../src/providers/tencent/transport.ts';

const FP = '3f9a0c41d2b7e5a1c0ffee00112233445566778899aabbccddeeff0011223344';

describe('alias', () => {
  it('is ccs-<namespace>-<name>-<12 hex of the fingerprint>', () => {
    expect(aliasFor({ namespace: 'web', name: 'shop' }, FP)).toBe('ccs-web-shop-3f9a0c41d2b7');
    expect(aliasFor({ namespace: 'web', name: 'shop' }, FP.toUpperCase())).toBe('ccs-web-shop-3f9a0c41d2b7');
  });

  it('shortens a long binding name with a hash, keeping the ccs- prefix and the fingerprint suffix', () => {
    const long = { namespace: 'payments-production', name: 'a-very-long-binding-name-for-the-checkout-frontend.example.com' };
    const other = { ...long, name: `${long.name}-2` };
    const alias = aliasFor(long, FP);
    expect(alias.length).toBeLessThanOrEqual(ALIAS_MAX_LENGTH);
    expect(alias).toMatch(/^ccs-payments-production-a-very-long-bindi-[0-9a-f]{8}-3f9a0c41d2b7$/);
    // Same first characters, different binding: a different prefix.
    expect(aliasPrefix(other)).not.toBe(aliasPrefix(long));
    expect(aliasFor(long, FP)).toBe(alias);
    const longest = { namespace: 'n'.repeat(63), name: 'm'.repeat(253) };
    expect(aliasFor(longest, FP).length).toBe(ALIAS_MAX_LENGTH);
  });

  it('recognises only the binding\'s own prefix followed by exactly 12 hex digits', () => {
    const shop = { namespace: 'web', name: 'shop' };
    expect(isOwnAlias(shop, 'ccs-web-shop-3f9a0c41d2b7')).toBe(true);
    expect(isOwnAlias(shop, 'ccs-web-shop-eu-3f9a0c41d2b7')).toBe(false); // binding web/shop-eu
    expect(isOwnAlias(shop, 'ccs-web-shop-3f9a0c41d2b')).toBe(false);
    expect(isOwnAlias(shop, 'ccs-web-shop-3F9A0C41D2B7')).toBe(false);
    expect(isOwnAlias(shop, 'ccs-web-shop')).toBe(false);
    expect(isOwnAlias(shop, 'xccs-web-shop-3f9a0c41d2b7')).toBe(false);
    expect(isOwnAlias(shop, null)).toBe(false);
    const long = { namespace: 'payments-production', name: 'a-very-long-binding-name-for-the-checkout-frontend' };
    expect(isOwnAlias(long, aliasFor(long, FP))).toBe(true);
    expect(isOwnAlias({ ...long, name: `${long.name}x` }, aliasFor(long, FP))).toBe(false);
  });

  it('refuses something that is not a fingerprint', () => {
    expect(() => aliasFor({ namespace: 'a', name: 'b' }, 'abc')).toThrow(RangeError);
  });
});

describe('endpoints', () => {
  it('defaults to the public host over HTTPS and splits an override into protocol and host', () => {
    expect(parseEndpoint(undefined, 'teo.tencentcloudapi.com', 'x')).toEqual({ protocol: 'https://', host: 'teo.tencentcloudapi.com' });
    expect(parseEndpoint('http://127.0.0.1:8080', 'teo.tencentcloudapi.com', 'x')).toEqual({ protocol: 'http://', host: '127.0.0.1:8080' });
    expect(parseEndpoint('https://teo.internal.example/', 'teo.tencentcloudapi.com', 'x')).toEqual({ protocol: 'https://', host: 'teo.internal.example' });
    expect(parseEndpoint('teo.ap-guangzhou.tencentcloudapi.com', 'teo.tencentcloudapi.com', 'x')).toEqual({
      protocol: 'https://',
      host: 'teo.ap-guangzhou.tencentcloudapi.com',
    });
  });

  it('refuses what the SDK cannot express', () => {
    expect(() => parseEndpoint('http://127.0.0.1:8080/teo', 'h', 'tencentTeoEndpoint')).toThrow(/tencentTeoEndpoint/);
    expect(() => parseEndpoint('ftp://127.0.0.1', 'h', 'tencentTeoEndpoint')).toThrow(/http/);
    expect(() => parseEndpoint('http://user:pw@127.0.0.1', 'h', 'tencentTeoEndpoint')).toThrow();
  });
});

describe('proxy', () => {
  const agents = new Agents();
  const real = { protocol: 'https://', host: 'teo.tencentcloudapi.com' } as const;
  const local = { protocol: 'http://', host: '127.0.0.1:8080' } as const;

  it('hands the SDK a direct keep-alive agent when there is no proxy', () => {
    expect(agents.for(real, {})).toBe(agents.https);
    expect(agents.for(local, {})).toBe(agents.http);
    expect(agents.https.options.keepAlive).toBe(true);
  });

  it('leaves the SDK to use http_proxy, unless NO_PROXY or a loopback address exempts the host', () => {
    expect(agents.for(real, { http_proxy: 'http://proxy:3128' })).toBeUndefined();
    expect(agents.for(local, { http_proxy: 'http://proxy:3128' })).toBe(agents.http);
    expect(agents.for(real, { http_proxy: 'http://proxy:3128', NO_PROXY: '.tencentcloudapi.com' })).toBe(agents.https);
    expect(agents.for(real, { http_proxy: 'http://proxy:3128', no_proxy: 'example.com, *' })).toBe(agents.https);
  });

  it('matches NO_PROXY entries like curl: exact, parent domains, ports ignored', () => {
    expect(bypassesProxy('teo.tencentcloudapi.com', 'tencentcloudapi.com')).toBe(true);
    expect(bypassesProxy('teo.tencentcloudapi.com', '*.tencentcloudapi.com:443')).toBe(true);
    expect(bypassesProxy('teo.tencentcloudapi.com', 'cloudapi.com')).toBe(false);
    expect(bypassesProxy('teo.tencentcloudapi.com', 'other.com,ssl.tencentcloudapi.com')).toBe(false);
    expect(bypassesProxy('::1', '')).toBe(true);
    expect(bypassesProxy('fd00::1', 'fd00::1')).toBe(true);
  });
});
