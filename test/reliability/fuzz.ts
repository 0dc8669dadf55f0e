// Property-based fuzzing of TLS Secret contents (fast-check), shared by the
// bad-input suite (a few hundred cases) and the soak (ten thousand and more).
//
// Secrets are built from real material (valid chains and keys, expired and
// not-yet-valid certificates, other names, CSRs, encrypted and mismatched
// keys) cut, mutated, mixed and swapped, plus plain garbage, and fed to the
// operator's real reconcile path (Reconciler, TlsSecretStore decoding a
// Secret as the API returns it, the in-memory CDN behind a ProviderLog).
// Every case must end the same way: no crash, a clear reason with a message
// that quotes no input, no provider call at all unless the material is
// sound, and then exactly the certificate the key belongs to pushed.
import { createPrivateKey, generateKeyPairSync, X509Certificate, createHash } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import { API_VERSION, KIND, type BindingStatus, type CdnCertificateBinding } from '../../src/api/v1alpha1/schema.ts';
import { BindingIndex } from '../../src/controller/index.ts';
import { Reconciler, type Result } from '../../src/controller/reconciler.ts';
import { TlsSecretStore } from '../../src/kube/secrets.ts';
import { MemoryCdn, memoryDriver } from '../../src/providers/memory/index.ts';
import { Drivers } from '../../src/providers/drivers.ts';
import {
  certificateRequestPem,
  containsKeyMaterial,
  encryptedKey,
  garbage,
  issueCertificate,
  mismatchedKeyFor,
  reverseChain,
  toCrlf,
  withEcParameters,
  withPemType,
  type IssuedCert,
} from '../fixtures/certs.ts';
import { credentialsData } from '../harness/env.ts';
import { ProviderLog } from './recorder.ts';

export const FUZZ_DOMAIN = 'www.fuzz.example.com';
const OTHER_DOMAIN = 'www.elsewhere.example.org';
/** The reasons bad (or good) material may end in. */
export const MATERIAL_REASONS = ['Synced', 'InvalidCertificate', 'KeyMismatch', 'CertificateExpired', 'DomainNotCovered'] as const;

export interface Material {
  ecdsa: IssuedCert;
  rsa: IssuedCert;
  expired: IssuedCert;
  future: IssuedCert;
  elsewhere: IssuedCert;
  csr: string;
  mismatched: string;
  encrypted8: string;
  encryptedLegacy: string;
  ed25519: string;
  p521: string;
  /** Every private key above, to look for in outputs. */
  keys: string[];
  /** Every certificate above (public). */
  certs: string[];
}

export async function fuzzMaterial(): Promise<Material> {
  const dnsNames = ['fuzz.example.com', '*.fuzz.example.com'];
  const ecdsa = await issueCertificate({ dnsNames, keyAlgorithm: 'ecdsa', withIntermediate: true });
  const rsa = await issueCertificate({ dnsNames, keyAlgorithm: 'rsa', keyEncoding: 'pkcs8' });
  const expired = await issueCertificate({ dnsNames, keyAlgorithm: 'ecdsa', notBefore: new Date(Date.now() - 100 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  const future = await issueCertificate({ dnsNames, keyAlgorithm: 'ecdsa', notBefore: new Date(Date.now() + 86_400_000), validDays: 30 });
  const elsewhere = await issueCertificate({ dnsNames: ['elsewhere.example.net'], keyAlgorithm: 'ecdsa' });
  const mismatched = await mismatchedKeyFor(ecdsa);
  const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  const encrypted8 = encryptedKey(ecdsa.keyPem, 'pkcs8');
  const encryptedLegacy = encryptedKey(rsa.keyPem, 'legacy');
  return {
    ecdsa,
    rsa,
    expired,
    future,
    elsewhere,
    csr: await certificateRequestPem('www.fuzz.example.com'),
    mismatched,
    encrypted8,
    encryptedLegacy,
    ed25519,
    p521,
    keys: [ecdsa.keyPem, rsa.keyPem, expired.keyPem, future.keyPem, elsewhere.keyPem, mismatched, encrypted8, encryptedLegacy, ed25519, p521],
    certs: [ecdsa.chainPem, ecdsa.caPem, rsa.chainPem, expired.chainPem, future.chainPem, elsewhere.chainPem],
  };
}

// ---------------------------------------------------------------------------
// Arbitraries.

export interface FuzzSecret {
  type: string;
  data: Record<string, Uint8Array>;
}

export interface FuzzCase {
  secret: FuzzSecret;
  targets: string[];
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'crlf' }
  | { kind: 'indent' }
  | { kind: 'relabel'; type: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.constant({ kind: 'crlf' as const }),
  fc.constant({ kind: 'indent' as const }),
  fc.record({ kind: fc.constant('relabel' as const), type: fc.constantFrom('PUBLIC KEY', 'CERTIFICATE', 'PRIVATE KEY', 'X509 CRL', 'TRUSTED CERTIFICATE', 'PKCS7') }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const text = () => Buffer.from(bytes).toString('latin1');
  const back = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      const i = m.at % n;
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'delete': {
      if (n === 0) return bytes;
      const i = m.at % n;
      return new Uint8Array([...bytes.subarray(0, i), ...bytes.subarray(i + m.length)]);
    }
    case 'insert': {
      const i = n === 0 ? 0 : m.at % (n + 1);
      return new Uint8Array([...bytes.subarray(0, i), ...m.bytes, ...bytes.subarray(i)]);
    }
    case 'truncate':
      return n === 0 ? bytes : bytes.subarray(0, m.at % n);
    case 'crlf':
      return back(toCrlf(text()));
    case 'indent':
      return back(text().replace(/^/gm, '    '));
    case 'relabel':
      return back(withPemType(text(), m.type));
  }
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

export function fuzzCase(m: Material): fc.Arbitrary<FuzzCase> {
  const crtPart = fc.constantFrom(
    m.ecdsa.chainPem,
    reverseChain(m.ecdsa.chainPem),
    m.ecdsa.certPem,
    m.ecdsa.chainPem + m.ecdsa.caPem,
    m.rsa.chainPem,
    m.expired.chainPem,
    m.future.chainPem,
    m.elsewhere.chainPem,
    m.ecdsa.caPem,
    m.csr,
    m.ecdsa.keyPem,
    'not a certificate\n',
    '',
  );
  const keyPart = fc.constantFrom(
    m.ecdsa.keyPem,
    m.rsa.keyPem,
    m.expired.keyPem,
    m.future.keyPem,
    m.elsewhere.keyPem,
    m.mismatched,
    m.encrypted8,
    m.encryptedLegacy,
    m.ed25519,
    m.p521,
    withEcParameters(m.ecdsa.keyPem),
    m.ecdsa.certPem,
    '',
  );
  const composed = (part: fc.Arbitrary<string>) =>
    fc
      .tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(mutation, { maxLength: 3 }))
      .map(([parts, ms]) => ms.reduce<Uint8Array>((b, mu) => mutate(b, mu), utf8(parts.join(''))));
  const raw = fc.oneof(
    { weight: 6, arbitrary: composed(crtPart) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 1 << 30 }).map((seed) => garbage(512, seed)) },
  );
  const rawKey = fc.oneof(
    { weight: 6, arbitrary: composed(keyPart) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  );
  // Pairs that belong together (most of them sound), sometimes mutated a little.
  const pairs: Array<[string, string]> = [
    [m.ecdsa.chainPem, m.ecdsa.keyPem],
    [reverseChain(m.ecdsa.chainPem + m.ecdsa.caPem), m.ecdsa.keyPem],
    [toCrlf(m.ecdsa.chainPem), withEcParameters(m.ecdsa.keyPem)],
    [m.rsa.chainPem, m.rsa.keyPem],
    [m.expired.chainPem, m.expired.keyPem],
    [m.future.chainPem, m.future.keyPem],
    [m.elsewhere.chainPem, m.elsewhere.keyPem],
  ];
  const fewMutations = fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) });
  const coherent = fc
    .record({ pair: fc.constantFrom(...pairs), onCrt: fewMutations, onKey: fewMutations, ca: fc.boolean() })
    .map(({ pair: [crt, key], onCrt, onKey, ca }) => {
      const d: Record<string, Uint8Array> = {
        'tls.crt': onCrt.reduce<Uint8Array>((b, mu) => mutate(b, mu), utf8(crt)),
        'tls.key': onKey.reduce<Uint8Array>((b, mu) => mutate(b, mu), utf8(key)),
      };
      if (ca) d['ca.crt'] = utf8(m.ecdsa.caPem);
      return d;
    });
  const independent = fc
    .record(
      {
        crt: fc.option(raw, { nil: undefined, freq: 12 }),
        key: fc.option(rawKey, { nil: undefined, freq: 12 }),
        ca: fc.option(fc.constant(utf8(m.ecdsa.caPem)), { nil: undefined }),
        extra: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      },
      { requiredKeys: ['crt', 'key'] },
    )
    .map(({ crt, key, ca, extra }) => {
      const d: Record<string, Uint8Array> = {};
      if (crt) d['tls.crt'] = crt;
      if (key) d['tls.key'] = key;
      if (ca) d['ca.crt'] = ca;
      if (extra) d['extra.bin'] = extra;
      return d;
    });
  const data = fc.oneof({ weight: 1, arbitrary: coherent }, { weight: 1, arbitrary: independent });
  const type = fc.oneof(
    { weight: 12, arbitrary: fc.constant('kubernetes.io/tls') },
    { weight: 1, arbitrary: fc.constantFrom('Opaque', 'example.com/tls', 'kubernetes.io/basic-auth') },
  );
  const targets = fc.oneof({ weight: 5, arbitrary: fc.constant([FUZZ_DOMAIN]) }, { weight: 1, arbitrary: fc.constant([FUZZ_DOMAIN, OTHER_DOMAIN]) });
  return fc.record({ secret: fc.record({ type, data }), targets }).map(({ secret, targets: t }): FuzzCase => ({ secret: { type: String(secret.type), data: secret.data }, targets: [...t] }));
}

// ---------------------------------------------------------------------------
// The independent oracle.

/** PEM blocks read leniently (indentation, CRLF, text around them), re-armoured canonically; no validation beyond node:crypto's. */
function lenientBlocks(bytes: Uint8Array): Array<{ type: string; pem: string }> {
  const text = Buffer.from(bytes).toString('latin1');
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].map((m) => {
    const body = (m[2] ?? '').replace(/\s+/g, '');
    return { type: m[1] ?? '', pem: `-----BEGIN ${m[1]}-----\n${body.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${m[1]}-----\n` };
  });
}

/** The fingerprint of the certificate `key` belongs to, if tls.crt holds one (node:crypto, not src/certs). */
export function keyOwnerFingerprint(crt: Uint8Array | undefined, key: Uint8Array | undefined): string | undefined {
  if (!crt || !key) return undefined;
  const keyBlocks = lenientBlocks(key).filter((b) => /^(RSA |EC )?PRIVATE KEY$/.test(b.type));
  if (keyBlocks.length !== 1) return undefined;
  let privateKey;
  try {
    privateKey = createPrivateKey(keyBlocks[0]!.pem);
  } catch {
    return undefined;
  }
  const owners: X509Certificate[] = [];
  for (const b of lenientBlocks(crt)) {
    if (b.type !== 'CERTIFICATE') continue;
    try {
      const c = new X509Certificate(b.pem);
      if (c.checkPrivateKey(privateKey)) owners.push(c);
    } catch {
      // not a certificate node can read
    }
  }
  const leaf = owners.find((c) => !c.ca) ?? owners[0];
  return leaf && createHash('sha256').update(leaf.raw).digest('hex');
}

/** Whether any run of `size` characters of `input` (as latin1 text) appears in `output`. */
export function quotes(output: string, input: Uint8Array, size = 24): boolean {
  if (input.length < size || output.length < size) return false;
  const text = Buffer.from(input).toString('latin1');
  for (let i = 0; i + size <= output.length; i++) {
    const w = output.slice(i, i + size);
    // Armour and field names are not secrets.
    if (/^[-A-Z ]+$/.test(w)) continue;
    if (text.includes(w)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Running one case through the reconcile path.

export interface CaseOutcome {
  result: Result | undefined;
  threw: string | undefined;
  status: BindingStatus | undefined;
  events: Array<{ type: string; reason: string; message: string }>;
  logs: string[];
  log: ProviderLog;
}

/** Feeds one Secret to a fresh Reconciler (the real one) over a fresh in-memory CDN. */
export async function reconcileOnce(c: FuzzCase, n: number): Promise<CaseOutcome> {
  const namespace = 'fuzz';
  const name = `case-${n}`;
  const rawSecret = {
    metadata: { namespace, name: 'tls', uid: `uid-${n}`, resourceVersion: String(n) },
    type: c.secret.type,
    data: Object.fromEntries(Object.entries(c.secret.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  const core = {
    readNamespacedSecret: async ({ namespace: ns, name: secretName }: { namespace: string; name: string }) => {
      if (ns !== namespace || secretName !== 'tls') throw Object.assign(new Error('not found'), { code: 404 });
      return rawSecret;
    },
  } as unknown as CoreV1Api;
  const binding: CdnCertificateBinding = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { namespace, name, uid: `b-${n}`, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { secretName: 'tls', alibaba: { domains: c.targets } },
  };
  const index = new BindingIndex();
  index.upsert(binding);
  const log = new ProviderLog();
  const cdn = new MemoryCdn();
  const logs: string[] = [];
  const events: CaseOutcome['events'] = [];
  let status: BindingStatus | undefined;
  const reconciler = new Reconciler({
    index,
    secrets: new TlsSecretStore({ core, isReferenced: () => false, onChange: () => {} }),
    credentials: { read: async () => credentialsData('fuzz-account', 'fuzz-credential-value') },
    credentialsDefaults: { operatorNamespace: 'ops', secrets: { alibaba: 'creds' } },
    writer: {
      writeStatus: async (_b, s) => {
        status = s;
        return undefined;
      },
      setFinalizers: async (b) => b,
    },
    events: { event: (_o, type, reason, message) => void events.push({ type, reason, message }) },
    providers: new Drivers([log.wrap(memoryDriver('alibaba', cdn))]),
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    resyncIntervalMs: 60 * 60_000,
  });
  let result: Result | undefined;
  let threw: string | undefined;
  try {
    result = await reconciler.reconcile(`${namespace}/${name}`);
  } catch (err) {
    threw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  return { result, threw, status, events, logs, log };
}

/** Every property one outcome must have; the problems found (empty when all hold). */
export function outcomeProblems(c: FuzzCase, o: CaseOutcome, m: Material): string[] {
  const problems: string[] = [];
  if (o.threw) return [`reconcile threw: ${o.threw.slice(0, 200)}`];
  if (!o.result || (o.result.type !== 'success' && o.result.type !== 'terminal')) problems.push(`result ${JSON.stringify(o.result)}`);
  const ready = o.status?.conditions?.find((x) => x.type === 'Ready');
  if (!ready) return [...problems, 'no Ready condition written'];
  if (!(MATERIAL_REASONS as readonly string[]).includes(ready.reason)) problems.push(`reason ${ready.reason} is not a material reason`);
  if (ready.message.trim().length < 10) problems.push(`unclear message "${ready.message}"`);
  const deploys = o.log.calls.filter((x) => x.action === 'deploy');
  const calls = o.log.calls.filter((x) => x.action !== 'prune');
  if (ready.reason === 'Synced') {
    if (o.status?.certificate?.fingerprintSHA256 === undefined) problems.push('Synced without status.certificate');
    const owner = keyOwnerFingerprint(c.secret.data['tls.crt'], c.secret.data['tls.key']);
    if (c.secret.type !== 'kubernetes.io/tls') problems.push(`Synced a Secret of type ${c.secret.type}`);
    if (!owner) problems.push('Synced, but the key belongs to no certificate of tls.crt (node:crypto)');
    else if (o.status?.certificate?.fingerprintSHA256 !== owner) problems.push('Synced a certificate other than the one the key belongs to');
    for (const d of deploys) if (d.fingerprint !== owner) problems.push('pushed a certificate other than the one the key belongs to');
    for (const d of deploys) if ((d.problems?.length ?? 0) > 0) problems.push(`pushed unsound material: ${d.problems?.join('; ')}`);
  } else if (calls.length > 0) {
    problems.push(`${ready.reason}, yet ${calls.length} provider calls were made (${calls.map((x) => x.action).join(', ')})`);
  }
  const outputs = [ready.message, ...o.events.map((e) => e.message), ...o.logs, JSON.stringify(o.status)].join('\n');
  for (const key of m.keys) if (containsKeyMaterial(outputs, key)) problems.push('an output quotes a private key');
  const input = c.secret.data['tls.key'];
  if (input && quotes(outputs.replace(/"fingerprint[^"]*":"[0-9a-f]+"/g, ''), input)) problems.push('an output quotes tls.key');
  if (outputs.includes('fuzz-credential-value')) problems.push('an output quotes the credential');
  return problems;
}

/** A short description of a case for failure reports (sizes and digests, never contents). */
export function describeCase(c: FuzzCase): string {
  const parts = Object.entries(c.secret.data).map(([k, v]) => `${k}: ${v.length} bytes sha256:${createHash('sha256').update(v).digest('hex').slice(0, 12)}`);
  return `type ${c.secret.type}; targets ${c.targets.join(', ')}; ${parts.join('; ') || 'no data'}`;
}

/**
 * Runs `numRuns` cases; resolves with a summary, throws on the first
 * violation with the seed and path to replay it (fast-check's own report
 * would print the whole Secret, keys included).
 */
export async function fuzzReconciler(m: Material, opts: { numRuns: number; seed?: number }): Promise<{ runs: number; byReason: Record<string, number>; ms: number; seed: number }> {
  const byReason: Record<string, number> = {};
  let n = 0;
  const started = Date.now();
  let failure: string | undefined;
  const details = await fc.check(
    fc.asyncProperty(fuzzCase(m), async (c) => {
      const o = await reconcileOnce(c, ++n);
      const reason = o.status?.conditions?.find((x) => x.type === 'Ready')?.reason ?? 'none';
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      const problems = outcomeProblems(c, o, m);
      if (problems.length > 0) {
        failure = `${problems.join('; ')} [${describeCase(c)}; reason ${reason}]`;
        return false;
      }
      return true;
    }),
    { numRuns: opts.numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), endOnFailure: true },
  );
  if (details.failed) throw new Error(`fuzz case failed (seed ${details.seed}, path ${details.counterexamplePath}): ${failure ?? String(details.errorInstance)}`);
  return { runs: n, byReason, ms: Date.now() - started, seed: details.seed };
}
