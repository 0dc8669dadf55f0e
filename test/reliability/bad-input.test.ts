// Bad input: malformed TLS Secrets and invalid binding specs.
// - A table of malformed Secrets through the whole operator (API server,
//   caches, reconcile, in-memory CDN behind the ProviderLog): each ends in its
//   own reason with a message that says what is wrong and quotes nothing,
//   a Warning Event, and zero provider calls. The odd-but-valid ones (a
//   reversed chain, CRLF, indentation, EC PARAMETERS) must sync, with the
//   chain reordered leaf first.
// - Invalid specs the CRD schema rejects at the API (422), so no binding
//   exists and no provider is ever called.
// - Property-based fuzzing of Secret contents: straight through the
//   Reconciler (hundreds of cases) and through the whole operator over HTTP
//   (dozens): no crash, a clear reason, never a provider call with
//   unsound material. The soak runs the former ten thousand times and more.
import { generateKeyPairSync, X509Certificate as X509 } from 'node:crypto';
import fc from 'fast-check';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../src/api/v1alpha1/schema.ts';
import { bindingManifest } from '../fixtures/bindings.ts';
import {
  certificateRequestPem,
  encryptedKey,
  garbage,
  issueCertificate,
  mismatchedKeyFor,
  pemBlocks,
  reverseChain,
  toCrlf,
  truncatePem,
  withEcParameters,
  withPemType,
  type IssuedCert,
} from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { credentialsData, waitFor } from '../harness/env.ts';
import { describeCase, FUZZ_DOMAIN, fuzzCase, fuzzMaterial, fuzzReconciler, keyOwnerFingerprint, MATERIAL_REASONS, quotes, type Material } from './fuzz.ts';
import { leaksIn } from './invariant.ts';
import { Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start();
});
afterAll(async () => {
  await stack?.stop();
});

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

interface Case {
  what: string;
  /** The Ready reason expected. */
  reason: string;
  /** A phrase the message must contain. */
  says: RegExp;
  /** The Secret for the binding's domain `d` in namespace `ns`. */
  secret: (ns: string, d: string) => Promise<V1Secret>;
}

async function leafFor(d: string, opts: Parameters<typeof issueCertificate>[0] = {}): Promise<IssuedCert> {
  return issueCertificate({ dnsNames: [d], keyAlgorithm: 'ecdsa', ...opts });
}

/** A TLS Secret with `crt` and `key` as given (raw), other fields as cert-manager writes them. */
async function raw(ns: string, d: string, crt: string | Uint8Array, key: string | Uint8Array, type = 'kubernetes.io/tls'): Promise<V1Secret> {
  const base = tlsSecret({ namespace: ns, name: 'tls', cert: await leafFor(d), type });
  return { ...base, data: { 'tls.crt': b64(crt), 'tls.key': b64(key) } };
}

const DAY = 86_400_000;
const malformed: Case[] = [
  { what: 'no PEM at all in tls.crt', reason: 'InvalidCertificate', says: /tls\.crt holds no PEM block/, secret: async (ns, d) => raw(ns, d, 'hello, I am not a certificate', (await leafFor(d)).keyPem) },
  { what: 'tls.crt cut short (no END line)', reason: 'InvalidCertificate', says: /tls\.crt.*(truncated|no END)/i, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, truncatePem(c.chainPem, 0.6), c.keyPem); } },
  { what: 'tls.key cut short', reason: 'InvalidCertificate', says: /tls\.key/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, truncatePem(c.keyPem, 0.7)); } },
  { what: 'a certificate labelled PUBLIC KEY', reason: 'InvalidCertificate', says: /tls\.crt: PEM block 1 is a public key/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, withPemType(c.certPem, 'PUBLIC KEY'), c.keyPem); } },
  { what: 'a key labelled as a certificate', reason: 'InvalidCertificate', says: /tls\.key: PEM block 1 is a certificate/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, withPemType(c.keyPem, 'CERTIFICATE')); } },
  { what: 'tls.crt and tls.key swapped', reason: 'InvalidCertificate', says: /tls\.crt: PEM block 1 is a private key/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.keyPem, c.certPem); } },
  { what: 'a key that belongs to another certificate', reason: 'KeyMismatch', says: /tls\.key does not match/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, await mismatchedKeyFor(c)); } },
  { what: 'the chain without its leaf (intermediate only)', reason: 'KeyMismatch', says: /does not match the certificate/, secret: async (ns, d) => { const c = await leafFor(d, { withIntermediate: true }); return raw(ns, d, pemBlocks(c.chainPem)[1]!, c.keyPem); } },
  { what: 'an expired certificate', reason: 'CertificateExpired', says: /expired at/, secret: async (ns, d) => { const c = await leafFor(d, { notBefore: new Date(Date.now() - 40 * DAY), notAfter: new Date(Date.now() - DAY) }); return raw(ns, d, c.chainPem, c.keyPem); } },
  { what: 'a certificate not valid yet', reason: 'InvalidCertificate', says: /not valid before/, secret: async (ns, d) => { const c = await leafFor(d, { notBefore: new Date(Date.now() + 2 * DAY), validDays: 30 }); return raw(ns, d, c.chainPem, c.keyPem); } },
  { what: 'a certificate whose SANs do not cover the domain', reason: 'DomainNotCovered', says: /does not cover/, secret: async (ns, d) => { const c = await issueCertificate({ dnsNames: [`other.${d}`], keyAlgorithm: 'ecdsa' }); return raw(ns, d, c.chainPem, c.keyPem); } },
  { what: 'a certificate without any SAN', reason: 'DomainNotCovered', says: /its DNS names: none/, secret: async (ns, d) => { const c = await issueCertificate({ dnsNames: [], keyAlgorithm: 'ecdsa' }); return raw(ns, d, c.chainPem, c.keyPem); } },
  { what: 'empty tls.crt and tls.key', reason: 'InvalidCertificate', says: /tls\.crt is missing or empty/, secret: async (ns, d) => raw(ns, d, '', '') },
  { what: 'an empty tls.key', reason: 'InvalidCertificate', says: /tls\.key is missing or empty/, secret: async (ns, d) => raw(ns, d, (await leafFor(d)).chainPem, '') },
  { what: 'an Opaque Secret with no data at all', reason: 'InvalidCertificate', says: /has type Opaque; want kubernetes\.io\/tls/, secret: async (ns) => ({ metadata: { name: 'tls', namespace: ns }, type: 'Opaque', data: {} }) },
  { what: 'a valid certificate in an Opaque Secret', reason: 'InvalidCertificate', says: /has type Opaque/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, c.keyPem, 'Opaque'); } },
  { what: 'a huge tls.crt, near the 1 MiB Secret limit', reason: 'InvalidCertificate', says: /tls\.crt is larger than 256 KiB/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem + 'A'.repeat(1_000_000), c.keyPem); } },
  { what: 'binary garbage in both', reason: 'InvalidCertificate', says: /tls\.crt holds no PEM block/, secret: async (ns, d) => raw(ns, d, garbage(3000, 7), garbage(1200, 11)) },
  { what: 'DER instead of PEM', reason: 'InvalidCertificate', says: /tls\.crt holds no PEM block/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, new X509(c.certPem).raw, c.keyPem); } },
  { what: 'a PKCS#8-encrypted key', reason: 'InvalidCertificate', says: /encrypted/, secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, encryptedKey(c.keyPem, 'pkcs8')); } },
  { what: 'a legacy OpenSSL-encrypted RSA key', reason: 'InvalidCertificate', says: /encrypted/, secret: async (ns, d) => { const c = await issueCertificate({ dnsNames: [d] }); return raw(ns, d, c.chainPem, encryptedKey(c.keyPem, 'legacy')); } },
  { what: 'a CSR instead of the certificate', reason: 'InvalidCertificate', says: /certificate signing request/, secret: async (ns, d) => raw(ns, d, await certificateRequestPem(d), (await leafFor(d)).keyPem) },
  { what: 'a PEM body that is not base64', reason: 'InvalidCertificate', says: /tls\.crt: PEM block 1/, secret: async (ns, d) => raw(ns, d, '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n', (await leafFor(d)).keyPem) },
  { what: 'an ed25519 key', reason: 'InvalidCertificate', says: /unsupported ed25519 key/, secret: async (ns, d) => raw(ns, d, (await leafFor(d)).chainPem, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) },
  { what: 'a whole CA bundle (more than 10 certificates)', reason: 'InvalidCertificate', says: /at most 10 are accepted/, secret: async (ns, d) => { const c = await leafFor(d, { withIntermediate: true }); return raw(ns, d, c.chainPem + c.caPem.repeat(10), c.keyPem); } },
];

// Odd but valid: must sync, chain reordered leaf first (the ProviderLog checks every pushed bundle).
const accepted: Array<Omit<Case, 'reason' | 'says'>> = [
  { what: 'a reversed chain (root and intermediate before the leaf)', secret: async (ns, d) => { const c = await leafFor(d, { withIntermediate: true }); return raw(ns, d, reverseChain(c.chainPem + c.caPem), c.keyPem); } },
  { what: 'CRLF line endings', secret: async (ns, d) => { const c = await leafFor(d, { withIntermediate: true }); return raw(ns, d, toCrlf(c.chainPem), toCrlf(c.keyPem)); } },
  { what: 'PEM indented by a YAML block scalar', secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem.replace(/^/gm, '    '), c.keyPem.replace(/^/gm, '    ')); } },
  { what: 'an EC PARAMETERS block before the key', secret: async (ns, d) => { const c = await leafFor(d); return raw(ns, d, c.chainPem, withEcParameters(c.keyPem)); } },
];

describe('malformed Secrets, through the whole operator', () => {
  const started = new Map<string, Promise<{ ns: string; key: string }>>();
  beforeAll(async () => {
    // All at once: the cases are independent (own namespace, own domain).
    for (const c of [...malformed, ...accepted]) {
      started.set(c.what, (async () => {
        const ns = await stack.namespace('bad');
        const d = `www.${ns}.example.com`;
        const secret = await c.secret(ns, d);
        const keyText = Buffer.from(secret.data?.['tls.key'] ?? '', 'base64').toString('latin1');
        stack.ledger.key(keyText);
        for (const k of Object.values(secret.data ?? {})) stack.ledger.key(Buffer.from(k, 'base64').toString('latin1').replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, ''));
        await stack.env.core.createNamespacedSecret({ namespace: ns, body: secret });
        await stack.env.createBinding({ namespace: ns, name: 'site', secretName: 'tls', domains: [d] });
        return { ns, key: keyText };
      })());
    }
    await Promise.all(started.values());
  });

  it.each(malformed.map((c) => [c.what, c] as const))('%s → its own reason, a clear message, no provider call', async (_what, c) => {
    const { ns, key } = await started.get(c.what)!;
    const b = await stack.env.waitForReason(ns, 'site', c.reason);
    const ready = b.status!.conditions!.find((x) => x.type === 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.message).toMatch(c.says);
    expect(ready.message).not.toMatch(/undefined|\[object|Error:/);
    expect(quotes(ready.message, Buffer.from(key, 'latin1'))).toBe(false);
    expect(stack.log.forBinding(`${ns}/site`)).toEqual([]);
    expect(stack.env.cdn.calls.filter((x) => x.binding === `${ns}/site`)).toEqual([]);
    await waitFor(`a Warning Event ${c.reason}`, async () => (await stack.env.events(ns)).find((e) => e.reason === c.reason && e.type === 'Warning'));
  });

  it.each(accepted.map((c) => [c.what, c] as const))('%s → Synced, pushed leaf first', async (_what, c) => {
    const { ns } = await started.get(c.what)!;
    await stack.env.waitForReason(ns, 'site', 'Synced');
    const deploys = stack.log.callsFor(`${ns}/site`, 'deploy');
    expect(deploys.length).toBe(1);
    expect(deploys[0]!.problems).toEqual([]);
  });

  it('no case crashed a reconcile, and nothing leaked anywhere', async () => {
    await Promise.all(started.values());
    expect(stack.env.logs.lines.filter((l) => l.includes('reconcile failed'))).toEqual([]);
    await stack.noLeaks();
    expect(malformed.length).toBeGreaterThanOrEqual(20);
  });
});

describe('invalid specs, rejected by the API (422)', () => {
  const many = Array.from({ length: 101 }, (_, i) => `d${i}.example.com`);
  const specs: Array<[string, Record<string, unknown>]> = [
    ['both providers', { secretName: 'tls', alibaba: { domains: ['www.example.com'] }, tencent: { zoneId: 'zone-abc', hosts: ['www.example.com'] } }],
    ['no provider', { secretName: 'tls' }],
    ['empty domains', { secretName: 'tls', alibaba: { domains: [] } }],
    ['duplicate domains', { secretName: 'tls', alibaba: { domains: ['www.example.com', 'www.example.com'] } }],
    ['101 domains', { secretName: 'tls', alibaba: { domains: many } }],
    ['an upper-case domain', { secretName: 'tls', alibaba: { domains: ['WWW.example.com'] } }],
    ['a domain with an underscore', { secretName: 'tls', alibaba: { domains: ['www_1.example.com'] } }],
    ['a domain with a trailing dot', { secretName: 'tls', alibaba: { domains: ['www.example.com.'] } }],
    ['a wildcard that is not the leftmost label', { secretName: 'tls', alibaba: { domains: ['www.*.example.com'] } }],
    ['a URL instead of a domain', { secretName: 'tls', alibaba: { domains: ['https://www.example.com'] } }],
    ['a bare label', { secretName: 'tls', alibaba: { domains: ['localhost'] } }],
    ['a bad zoneId', { secretName: 'tls', tencent: { zoneId: 'zone_ABC', hosts: ['www.example.com'] } }],
    ['a zoneId without the zone- prefix', { secretName: 'tls', tencent: { zoneId: '2o0i4lh5c7qb', hosts: ['www.example.com'] } }],
    ['no hosts', { secretName: 'tls', tencent: { zoneId: 'zone-abc', hosts: [] } }],
    ['a Secret in another namespace (secretName with a namespace)', { secretName: 'other/tls', alibaba: { domains: ['www.example.com'] } }],
    ['credentials in another namespace', { secretName: 'tls', alibaba: { domains: ['www.example.com'] }, credentialsSecretRef: { name: 'kube-system/creds' } }],
    ['no secretName', { alibaba: { domains: ['www.example.com'] } }],
    ['a certNamePrefix starting with a dash', { secretName: 'tls', alibaba: { domains: ['www.example.com'], certNamePrefix: '-bad' } }],
    ['an unknown deletionPolicy', { secretName: 'tls', alibaba: { domains: ['www.example.com'] }, deletionPolicy: 'Delete' }],
    ['suspend as a string', { secretName: 'tls', alibaba: { domains: ['www.example.com'] }, suspend: 'yes' }],
  ];

  it.each(specs)('%s', async (_what, spec) => {
    const ns = await stack.namespace('spec');
    const body = { ...bindingManifest({ namespace: ns, name: 'bad' }), spec };
    const err = await stack.env.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns, body }).then(
      () => undefined,
      (e: unknown) => e as { code?: number; body?: unknown },
    );
    expect(err?.code).toBe(422);
    expect(await stack.env.getBinding(ns, 'bad')).toBeUndefined();
    expect(stack.log.calls.filter((c) => c.binding.startsWith(`${ns}/`))).toEqual([]);
  });

  it('a namespace given for the credentials Secret is dropped (never honoured): the binding\'s own namespace is used', async () => {
    const ns = await stack.namespace('spec');
    const d = `www.${ns}.example.com`;
    const c = await leafFor(d);
    await stack.renew(ns, 'tls', c);
    await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'creds' }, stringData: credentialsData('own-namespace-account', 'own-namespace-secret-value') } });
    stack.ledger.credential('own-namespace-secret-value');
    const body = { ...bindingManifest({ namespace: ns, name: 'site', secretName: 'tls', domains: [d] }) };
    (body.spec as Record<string, unknown>).credentialsSecretRef = { name: 'creds', namespace: 'cdn-cert-sync' };
    await stack.env.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns, body });
    const stored = await stack.env.getBinding(ns, 'site');
    expect(stored?.spec.credentialsSecretRef).toEqual({ name: 'creds' });
    stack.bindings.push({ namespace: ns, name: 'site' });
    await stack.check({ bindings: [{ namespace: ns, name: 'site' }] });
    expect(stack.env.cdn.calls.filter((x) => x.binding === `${ns}/site`).every((x) => x.account === 'own-namespace-account')).toBe(true);
  });
});

describe('fuzzed Secret contents', () => {
  let material: Material;
  beforeAll(async () => {
    material = await fuzzMaterial();
    for (const k of material.keys) stack.ledger.key(k);
    for (const c of material.certs) stack.ledger.publicPem(c);
  });

  it('300 cases straight through the Reconciler: no crash, a clear reason, no call with unsound material', async () => {
    const summary = await fuzzReconciler(material, { numRuns: 300 });
    expect(summary.runs).toBe(300);
    // The generator reaches both sides: some sync, most fail for one reason or another.
    expect(summary.byReason['Synced'] ?? 0).toBeGreaterThan(5);
    expect(Object.keys(summary.byReason).length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('30 cases through the whole operator over HTTP', async () => {
    const ns = await stack.namespace('fz');
    await stack.env.createBinding({ namespace: ns, name: 'site', secretName: 'none-yet', domains: [FUZZ_DOMAIN] });
    let n = 0;
    const reasons: Record<string, number> = {};
    let failure: string | undefined;
    const details = await fc.check(
      fc.asyncProperty(fuzzCase(material), async (c) => {
        const name = `fz-${++n}`;
        const data = Object.fromEntries(Object.entries(c.secret.data).map(([k, v]) => [k, b64(v)]));
        const key = c.secret.data['tls.key'];
        if (key) stack.ledger.key(text(key));
        const created = await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, type: c.secret.type, data } }).then(
          () => true,
          (e: { code?: number }) => {
            if (e.code !== 422) throw e;
            return false; // the API server refused it (a kubernetes.io/tls Secret without tls.key): never reaches the operator
          },
        );
        fc.pre(created);
        const before = stack.log.forBinding(`${ns}/site`).length;
        const patched = await stack.env.patchBinding(ns, 'site', { spec: { secretName: name, alibaba: { domains: c.targets } } });
        const b = await waitFor(`case ${n} reconciled`, async () => {
          const x = await stack.env.getBinding(ns, 'site');
          const ready = x?.status?.conditions?.find((y) => y.type === 'Ready');
          return x?.status?.observedGeneration === patched.metadata.generation && ready && ready.reason !== 'Syncing' ? x : undefined;
        });
        const ready = b.status!.conditions!.find((y) => y.type === 'Ready')!;
        reasons[ready.reason] = (reasons[ready.reason] ?? 0) + 1;
        const calls = stack.log.forBinding(`${ns}/site`).slice(before);
        const problems: string[] = [];
        if (!(MATERIAL_REASONS as readonly string[]).includes(ready.reason)) problems.push(`reason ${ready.reason}`);
        if (ready.message.length <= 10) problems.push(`unclear message ${ready.message}`);
        if (key && quotes(ready.message, key)) problems.push('the message quotes tls.key');
        if (ready.reason === 'Synced') {
          const owner = keyOwnerFingerprint(c.secret.data['tls.crt'], key);
          if (b.status?.certificate?.fingerprintSHA256 !== owner) problems.push(`Synced ${b.status?.certificate?.fingerprintSHA256?.slice(0, 12)}, the key belongs to ${owner?.slice(0, 12) ?? 'no certificate'}`);
        } else if (calls.some((x) => x.action === 'deploy')) {
          problems.push(`${ready.reason}, yet a deploy was made`);
        }
        if (calls.some((x) => (x.problems?.length ?? 0) > 0)) problems.push('unsound material pushed');
        if (problems.length > 0) failure = `${problems.join('; ')} [${describeCase(c)}; reason ${ready.reason}]`;
        return problems.length === 0;
      }),
      { numRuns: 30, endOnFailure: true },
    );
    if (details.failed) throw new Error(`fuzz case failed (seed ${details.seed}, path ${details.counterexamplePath}): ${failure ?? String(details.errorInstance)}`);
    expect(n).toBeGreaterThan(20);
    expect(stack.env.logs.lines.filter((l) => l.includes('reconcile failed'))).toEqual([]);
    expect(leaksIn(stack.env.logs.text, stack.ledger)).toEqual([]);
    await stack.noLeaks();
  }, 60_000);
});
