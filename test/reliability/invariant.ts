// The one invariant every reliability scenario ends with.
//
// After whatever faults a scenario threw at the operator, once they stop:
//  1. Convergence (waited for, with a timeout): every binding's Secret is
//     read back from the API server and its leaf fingerprint computed here,
//     with node:crypto, independently of src/certs; then
//     - every target of the binding serves exactly that certificate, as the
//       CDN (emulator or in-memory CDN) itself says;
//     - the binding's status says exactly that: Ready=True reason Synced,
//       status.certificate.fingerprintSHA256 and notAfter are the Secret's
//       leaf's, every spec target is in status.targets, Synced, with that
//       fingerprint, and status.observedGeneration and the condition's
//       observedGeneration equal metadata.generation;
//     - the ledger's latest renewal of the Secret is that certificate (the
//       scenario and the cluster agree on what "latest" is).
//  2. No renewal skipped, nothing stale or foreign pushed: the provider call
//     log (ProviderLog, around the real drivers) or, for an operator process,
//     the cloud's own upload records show the latest renewal delivered to
//     every target; every delivered certificate is one of the Secret's
//     renewals, delivered in renewal order (never an older one after a newer
//     one); every renewal that stayed in its Secret for `mustDeliverAfterMs`
//     was delivered; nothing unsound was ever pushed (the log checks each
//     bundle as it goes by); no certificate was uploaded twice.
//  3. Secret hygiene: the operator's logs, every binding's status, every
//     Event, the metrics, every provider error message, the fake clouds' call
//     logs and any extra text the scenario hands in hold no private key of
//     the scenario (PEM body, any 16-character run of it, the Secret's base64
//     form, hex, URL-encoded or JSON-escaped) and no credential (plain,
//     base64, URL-encoded). A failure names the source and the form, never
//     the secret.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type CdnCertificateBinding } from '../../src/api/v1alpha1/schema.ts';
import type { MemoryCdn } from '../../src/providers/memory/index.ts';
import { certName, toApiDomain } from '../../src/providers/alibaba/driver.ts';
import { aliasFor } from '../../src/providers/tencent/driver.ts';
import type { AlibabaCdnEmulator } from '../emulators/alibaba/emulator.ts';
import type { TencentEmulator } from '../emulators/tencent/emulator.ts';
import { pemBodies, type IssuedCert } from '../fixtures/certs.ts';
import { tlsSecret, type TlsSecretOptions } from '../fixtures/secrets.ts';
import type { TestEnv } from '../harness/env.ts';
import type { ProviderLog } from './recorder.ts';

export { ProviderLog, covers } from './recorder.ts';

// ---------------------------------------------------------------------------
// What the scenario did: renewals, and every secret that must never leak.

export interface Renewal {
  seq: number;
  /** `namespace/name` of the Secret. */
  secret: string;
  fingerprint: string;
  /** Date.now() when the scenario wrote it. */
  at: number;
}

export class Ledger {
  readonly renewals: Renewal[] = [];
  readonly #keys = new Set<string>();
  readonly #certs = new Set<string>();
  readonly #credentials = new Set<string>();
  #version = 0;

  /** Records that `secret` (`namespace/name`) now holds `cert`; registers its key as a secret. Call before writing it. */
  renewal(secret: string, cert: Pick<IssuedCert, 'fingerprintSHA256' | 'keyPem' | 'chainPem'> & { caPem?: string }): Renewal {
    this.key(cert.keyPem);
    this.#certs.add(cert.chainPem);
    if (cert.caPem) this.#certs.add(cert.caPem);
    const r: Renewal = { seq: this.renewals.length + 1, secret, fingerprint: cert.fingerprintSHA256, at: Date.now() };
    this.renewals.push(r);
    return r;
  }

  /** Private key material (a PEM, or anything with PEM blocks) that must never appear in any output. */
  key(pem: string): void {
    if (!this.#keys.has(pem)) {
      this.#keys.add(pem);
      this.#version++;
    }
  }

  /** Public material that may legitimately appear: windows it shares with a key are not counted as leaks. */
  publicPem(pem: string): void {
    if (!this.#certs.has(pem)) {
      this.#certs.add(pem);
      this.#version++;
    }
  }

  /** A credential (access key secret, token) that must never appear in any output. */
  credential(value: string): void {
    if (value && !this.#credentials.has(value)) {
      this.#credentials.add(value);
      this.#version++;
    }
  }

  get keys(): readonly string[] {
    return [...this.#keys];
  }
  get certs(): readonly string[] {
    return [...this.#certs];
  }
  get credentials(): readonly string[] {
    return [...this.#credentials];
  }
  /** Changes whenever a secret is added (the leak scanner's cache key). */
  get version(): number {
    return this.#version;
  }

  of(secret: string): Renewal[] {
    return this.renewals.filter((r) => r.secret === secret);
  }

  latest(secret: string): Renewal | undefined {
    return this.of(secret).at(-1);
  }
}

/** Writes a cert-manager style TLS Secret holding `cert` (in place when it exists) and records the renewal. */
export async function renew(
  env: TestEnv,
  ledger: Ledger,
  opts: Omit<TlsSecretOptions, 'cert'> & { cert: IssuedCert },
): Promise<Renewal> {
  const r = ledger.renewal(`${opts.namespace}/${opts.name}`, opts.cert);
  await env.applySecret(tlsSecret(opts));
  return r;
}

// ---------------------------------------------------------------------------
// What a CDN serves, as the CDN (not the operator) says.

export interface CdnProbe {
  /** The SHA-256 fingerprint of the leaf `target` of `binding` serves now, or undefined when HTTPS is off. */
  served(binding: CdnCertificateBinding, target: string): string | undefined;
  /** The cloud's own record of certificates uploaded for the binding (fingerprints, in upload order), where it keeps one. */
  uploads?(binding: CdnCertificateBinding): string[];
  /** Anything the fake cloud logged (call logs), for the hygiene check. */
  texts?(): string;
}

function ref(b: CdnCertificateBinding) {
  return { namespace: b.metadata.namespace, name: b.metadata.name, uid: b.metadata.uid };
}

export function memoryProbe(cdn: MemoryCdn): CdnProbe {
  return {
    served: (b, target) => cdn.serving(b.spec.tencent ? `${b.spec.tencent.zoneId}/${target}` : target),
    texts: () => JSON.stringify(cdn.calls),
  };
}

export function alibabaProbe(emulator: AlibabaCdnEmulator, accountId: string): CdnProbe {
  return {
    served: (_b, target) => emulator.servedFingerprint(toApiDomain(target)),
    uploads: (b) =>
      emulator
        .certificates(accountId)
        .filter((c) => c.name === certName(ref(b), c.fingerprintSHA256, b.spec.alibaba?.certNamePrefix))
        .sort((x, y) => x.id - y.id)
        .map((c) => c.fingerprintSHA256),
    texts: () => JSON.stringify(emulator.calls),
  };
}

export function tencentProbe(emulator: TencentEmulator, secretId: string): CdnProbe {
  return {
    served: (b, target) => {
      const zone = b.spec.tencent?.zoneId;
      if (!zone) return undefined;
      const host = emulator.hostCertificate(zone, target);
      const id = host.mode === 'sslcert' ? host.certIds[0] : undefined;
      return id === undefined ? undefined : emulator.certificates(secretId).find((c) => c.id === id)?.fingerprintSHA256;
    },
    uploads: (b) => emulator.uploads().filter((u) => u.secretId === secretId && u.alias === aliasFor(ref(b), u.fingerprintSHA256)).map((u) => u.fingerprintSHA256),
    texts: () => JSON.stringify(emulator.calls),
  };
}

// ---------------------------------------------------------------------------
// The Secret's certificate, computed here.

export interface SecretLeaf {
  fingerprint: string;
  notAfter: Date;
}

/** The leaf of a TLS Secret (the certificate its key belongs to), or why there is none. */
export function leafOfSecret(secret: V1Secret): SecretLeaf | string {
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return 'the Secret has no tls.crt or tls.key';
  const chain = Buffer.from(crt, 'base64').toString('latin1');
  const blocks = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let privateKey;
  try {
    privateKey = createPrivateKey(Buffer.from(key, 'base64').toString('latin1'));
  } catch {
    return 'tls.key does not parse';
  }
  const certs = blocks.flatMap((b) => {
    try {
      return [new X509Certificate(b)];
    } catch {
      return [];
    }
  });
  const matching = certs.filter((c) => {
    try {
      return c.checkPrivateKey(privateKey);
    } catch {
      return false;
    }
  });
  const leaf = matching.find((c) => !c.ca) ?? matching[0];
  if (!leaf) return 'no certificate in tls.crt matches tls.key';
  return { fingerprint: createHash('sha256').update(leaf.raw).digest('hex'), notAfter: new Date(leaf.validTo) };
}

function targetsOf(b: CdnCertificateBinding): string[] {
  return b.spec.alibaba?.domains ?? b.spec.tencent?.hosts ?? [];
}

function providerOf(b: CdnCertificateBinding): 'alibaba' | 'tencent' | undefined {
  return b.spec.alibaba ? 'alibaba' : b.spec.tencent ? 'tencent' : undefined;
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------
// The checker.

export interface BindingId {
  namespace: string;
  name: string;
}

export interface InvariantOptions {
  env: TestEnv;
  bindings: readonly BindingId[];
  probes: Partial<Record<'alibaba' | 'tencent', CdnProbe>>;
  ledger: Ledger;
  /** The in-process operator's provider call log; without it, the probes' upload records are the evidence. */
  log?: ProviderLog;
  /** Further text the operator produced (an operator process's output and /metrics), by source name. */
  texts?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Whether env.logs / env.metrics belong to the operator under test (the in-process one); default true. */
  inProcess?: boolean;
  /** A renewal that stayed in its Secret at least this long must have been delivered; default: only the latest must. */
  mustDeliverAfterMs?: number;
  /** How long to wait for convergence; default 20 s. */
  timeoutMs?: number;
}

export interface InvariantReport {
  bindings: number;
  targets: number;
  renewals: number;
  /** Milliseconds until everything converged. */
  convergedInMs: number;
  /** Characters of output scanned for leaks. */
  scannedChars: number;
}

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  readonly problems: string[];
  constructor(what: string, problems: string[]) {
    const shown = problems.slice(0, 25);
    super(`${what}:\n  - ${shown.join('\n  - ')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`);
    this.problems = problems;
  }
}

async function readBinding(env: TestEnv, id: BindingId): Promise<CdnCertificateBinding | undefined> {
  return env.getBinding(id.namespace, id.name);
}

async function readSecret(env: TestEnv, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await env.core.readNamespacedSecret({ namespace, name });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Everything wrong with one binding now (empty when it has converged). */
export async function convergenceProblems(opts: InvariantOptions, id: BindingId): Promise<string[]> {
  const key = `${id.namespace}/${id.name}`;
  const b = await readBinding(opts.env, id);
  if (!b) return [`${key}: the binding does not exist`];
  const problems: string[] = [];
  const secretKey = `${id.namespace}/${b.spec.secretName}`;
  const secret = await readSecret(opts.env, id.namespace, b.spec.secretName);
  if (!secret) return [`${key}: its Secret ${secretKey} does not exist`];
  const leaf = leafOfSecret(secret);
  if (typeof leaf === 'string') return [`${key}: Secret ${secretKey}: ${leaf}`];
  const short = leaf.fingerprint.slice(0, 12);

  const latest = opts.ledger.latest(secretKey);
  if (latest && latest.fingerprint !== leaf.fingerprint) {
    problems.push(`${key}: Secret ${secretKey} holds ${short} but the scenario's latest renewal is ${latest.fingerprint.slice(0, 12)}`);
  }

  const status = b.status;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  const generation = b.metadata.generation;
  if (ready?.status !== 'True' || ready.reason !== 'Synced') {
    problems.push(`${key}: Ready=${ready?.status ?? 'none'} reason ${ready?.reason ?? 'none'}: ${ready?.message ?? ''}`);
  }
  if (status?.observedGeneration !== generation) problems.push(`${key}: status.observedGeneration ${status?.observedGeneration} != generation ${generation}`);
  if (ready && ready.observedGeneration !== generation) problems.push(`${key}: Ready.observedGeneration ${ready.observedGeneration} != generation ${generation}`);
  if (status?.certificate?.fingerprintSHA256 !== leaf.fingerprint) {
    problems.push(`${key}: status.certificate is ${status?.certificate?.fingerprintSHA256?.slice(0, 12) ?? 'none'}, the Secret holds ${short}`);
  } else if (status.certificate.notAfter !== rfc3339(leaf.notAfter)) {
    problems.push(`${key}: status.certificate.notAfter ${status.certificate.notAfter} != ${rfc3339(leaf.notAfter)}`);
  }
  const provider = providerOf(b);
  if (status?.provider !== provider) problems.push(`${key}: status.provider ${status?.provider} != ${provider}`);

  const targets = targetsOf(b);
  const listed = new Map((status?.targets ?? []).map((t) => [t.name, t]));
  const extra = [...listed.keys()].filter((n) => !targets.includes(n));
  if (extra.length > 0) problems.push(`${key}: status.targets lists targets not in the spec: ${extra.join(', ')}`);
  const probe = provider ? opts.probes[provider] : undefined;
  if (!probe) problems.push(`${key}: no probe for provider ${provider}`);
  for (const t of targets) {
    const s = listed.get(t);
    if (!s) problems.push(`${key}: ${t} is missing from status.targets`);
    else if (s.state !== 'Synced' || s.fingerprintSHA256 !== leaf.fingerprint) {
      problems.push(`${key}: status says ${t} is ${s.state} with ${s.fingerprintSHA256?.slice(0, 12) ?? 'nothing'}${s.message ? ` (${s.message})` : ''}`);
    }
    const served = probe?.served(b, t);
    if (served !== leaf.fingerprint) problems.push(`${key}: ${t} serves ${served?.slice(0, 12) ?? 'nothing'}, not ${short}`);
  }
  return problems;
}

/** Fingerprints delivered in an order compatible with the renewals' (each delivery maps to a renewal no earlier than the last). */
function orderProblems(what: string, delivered: readonly string[], renewals: readonly Renewal[]): string[] {
  let at = 0;
  for (const fp of delivered) {
    const next = renewals.findIndex((r, i) => i >= at && r.fingerprint === fp);
    if (next >= 0) {
      at = next;
      continue;
    }
    if (renewals.some((r) => r.fingerprint === fp)) {
      return [`${what}: ${fp.slice(0, 12)} was delivered after a newer renewal (${renewals[at]?.fingerprint.slice(0, 12)}) had been: stale material pushed`];
    }
    return [`${what}: delivered ${fp.slice(0, 12)}, which the Secret never held`];
  }
  return [];
}

/** Renewal evidence and soundness of everything pushed, for one converged binding. */
async function evidenceProblems(opts: InvariantOptions, id: BindingId, now: number): Promise<string[]> {
  const key = `${id.namespace}/${id.name}`;
  const b = await readBinding(opts.env, id);
  if (!b) return [`${key}: the binding does not exist`];
  const secretKey = `${id.namespace}/${b.spec.secretName}`;
  const renewals = opts.ledger.of(secretKey);
  const latest = renewals.at(-1);
  if (!latest) return [`${key}: the scenario recorded no renewal of ${secretKey}`];
  const mustDeliver = renewals.filter((r, i) => r === latest || (renewals[i + 1]?.at ?? now) - r.at >= (opts.mustDeliverAfterMs ?? Number.POSITIVE_INFINITY));
  const problems: string[] = [];
  const provider = providerOf(b);
  const probe = provider ? opts.probes[provider] : undefined;

  // A binding may have pointed at another Secret of its namespace before (spec.secretName edited):
  // what it delivered from that one is not foreign, but only the current Secret's renewals are ordered.
  const ns = `${id.namespace}/`;
  const neighbours = new Set(opts.ledger.renewals.filter((r) => r.secret.startsWith(ns) && r.secret !== secretKey).map((r) => r.fingerprint));
  const own = new Set(renewals.map((r) => r.fingerprint));
  const ordered = (fps: readonly string[]) => fps.filter((fp) => own.has(fp) || !neighbours.has(fp));
  if (opts.log) {
    for (const t of targetsOf(b)) {
      const delivered = ordered(opts.log.deliveries(key, t));
      const seen = new Set([...delivered, ...opts.log.observedServing(key, t)]);
      for (const r of mustDeliver) {
        if (!seen.has(r.fingerprint)) {
          problems.push(`${key}: renewal #${r.seq} (${r.fingerprint.slice(0, 12)}) never reached ${t} per the provider call log (delivered: ${delivered.map((f) => f.slice(0, 12)).join(', ') || 'nothing'})`);
        }
      }
      problems.push(...orderProblems(`${key} → ${t}`, delivered, renewals));
    }
  }
  const uploads = probe?.uploads?.(b);
  if (uploads) {
    const counts = new Map<string, number>();
    for (const fp of uploads) counts.set(fp, (counts.get(fp) ?? 0) + 1);
    for (const [fp, n] of counts) if (n > 1) problems.push(`${key}: ${fp.slice(0, 12)} was uploaded ${n} times`);
    if (!opts.log) {
      for (const r of mustDeliver) {
        if (!uploads.includes(r.fingerprint)) problems.push(`${key}: renewal #${r.seq} (${r.fingerprint.slice(0, 12)}) was never uploaded`);
      }
      problems.push(...orderProblems(`${key} uploads`, ordered(uploads), renewals));
    }
  }
  return problems;
}

/**
 * Waits until every binding converged, then checks renewals, pushes and
 * hygiene. Throws an InvariantError listing every problem.
 */
export async function checkInvariant(opts: InvariantOptions): Promise<InvariantReport> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let problems: string[] = [];
  for (;;) {
    problems = (await Promise.all(opts.bindings.map((id) => convergenceProblems(opts, id).catch((err: unknown) => [`reading ${id.namespace}/${id.name}: ${String(err)}`])))).flat();
    if (problems.length === 0 || Date.now() - started > timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (problems.length > 0) throw new InvariantError(`not converged after ${timeoutMs} ms`, problems);
  const convergedInMs = Date.now() - started;

  const now = Date.now();
  for (const id of opts.bindings) problems.push(...(await evidenceProblems(opts, id, now)));
  for (const c of opts.log?.badPushes() ?? []) problems.push(`unsound material pushed for ${c.binding} to ${c.targets.join(', ')}: ${c.problems?.join('; ')}`);
  for (const c of opts.log?.calls ?? []) if (c.threw) problems.push(`a provider threw for ${c.binding} (${c.action}): ${c.threw.slice(0, 200)}`);
  if (problems.length > 0) throw new InvariantError('renewals and pushes', problems);

  const hygiene = await hygieneProblems(opts);
  if (hygiene.problems.length > 0) throw new InvariantError('secret hygiene', hygiene.problems);

  const bindings = await Promise.all(opts.bindings.map((id) => readBinding(opts.env, id)));
  return {
    bindings: opts.bindings.length,
    targets: bindings.reduce((n, b) => n + (b ? targetsOf(b).length : 0), 0),
    renewals: opts.ledger.renewals.length,
    convergedInMs,
    scannedChars: hygiene.scanned,
  };
}

// ---------------------------------------------------------------------------
// Secret hygiene.

const WINDOW = 16;

/** Every `size`-character run of `s` from `from` to `to`. */
function windows(s: string, size: number, into: Set<string>, from = 0, to = s.length): void {
  for (let i = from; i + size <= to; i++) into.add(s.slice(i, i + size));
}

interface Needles {
  version: number;
  /** 16-character runs of a key in any of its forms, minus those public material shares. */
  keyWindows: Map<string, string>;
  /** Credential forms, by form name. */
  credentials: Array<{ form: string; value: string }>;
}

const needleCache = new WeakMap<Ledger, Needles>();

function needlesOf(ledger: Ledger): Needles {
  const cached = needleCache.get(ledger);
  if (cached?.version === ledger.version) return cached;
  const publicWindows = new Set<string>();
  for (const pem of ledger.certs) {
    for (const body of pemBodies(pem)) {
      windows(body, WINDOW, publicWindows);
      windows(Buffer.from(body, 'base64').toString('hex'), 2 * WINDOW, publicWindows);
    }
    windows(Buffer.from(pem).toString('base64'), WINDOW, publicWindows);
  }
  const keyWindows = new Map<string, string>();
  const add = (set: Set<string>, form: string) => {
    for (const w of set) if (!publicWindows.has(w) && !keyWindows.has(w)) keyWindows.set(w, form);
  };
  for (const pem of ledger.keys) {
    const body = new Set<string>();
    const hex = new Set<string>();
    for (const b of pemBodies(pem)) {
      if (b.length < WINDOW) continue;
      windows(b, WINDOW, body);
      windows(Buffer.from(b, 'base64').toString('hex'), 2 * WINDOW, hex);
    }
    add(body, 'a run of the PEM body');
    add(hex, 'hex of the DER');
    // As it sits in Secret.data: base64 of the whole PEM. The armour lines are
    // the same for every key, so only runs inside the body count.
    const b64 = Buffer.from(pem).toString('base64');
    const inner = new Set<string>();
    windows(b64, WINDOW, inner, 48, b64.length - 48);
    add(inner, 'base64 of the Secret data');
  }
  const credentials: Needles['credentials'] = [];
  for (const c of ledger.credentials) {
    credentials.push({ form: 'plain', value: c });
    credentials.push({ form: 'base64', value: Buffer.from(c).toString('base64') });
    if (encodeURIComponent(c) !== c) credentials.push({ form: 'URL-encoded', value: encodeURIComponent(c) });
  }
  const needles = { version: ledger.version, keyWindows, credentials };
  needleCache.set(ledger, needles);
  return needles;
}

function decodePercent(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** Which secret forms `text` contains (names of forms only; never the secret). */
export function leaksIn(text: string, ledger: Ledger): string[] {
  const needles = needlesOf(ledger);
  const found = new Set<string>();
  const variants = [text];
  if (text.includes('%')) variants.push(decodePercent(text));
  if (text.includes('\\/')) variants.push(text.replace(/\\\//g, '/'));
  if (text.includes('\\u00')) variants.push(text.replace(/\\u00([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))));
  for (const v of variants) {
    if (needles.keyWindows.size > 0) {
      for (let i = 0; i + WINDOW <= v.length; i++) {
        const form = needles.keyWindows.get(v.slice(i, i + WINDOW)) ?? needles.keyWindows.get(v.slice(i, i + 2 * WINDOW));
        if (form) {
          found.add(`private key material (${form}${v === text ? '' : ', after decoding escapes'})`);
          break;
        }
      }
    }
    for (const c of needles.credentials) if (v.includes(c.value)) found.add(`a credential (${c.form})`);
  }
  return [...found];
}

/** Incremental scan of append-only sources (the log): offsets already checked, per ledger version. */
const scannedPrefix = new WeakMap<object, Map<string, number>>();

function scanAppendOnly(owner: object, source: string, text: string, ledger: Ledger): { leaks: string[]; scanned: number } {
  let offsets = scannedPrefix.get(owner);
  if (!offsets) scannedPrefix.set(owner, (offsets = new Map()));
  // A key registered after a scan cannot be in text written before it was ever in a Secret.
  const from = Math.max(0, (offsets.get(source) ?? 0) - 2 * WINDOW);
  const slice = from < text.length ? text.slice(from) : '';
  offsets.set(source, text.length);
  return { leaks: leaksIn(slice, ledger), scanned: slice.length };
}

export interface HygieneSources {
  env: TestEnv;
  ledger: Ledger;
  log?: ProviderLog;
  probes?: Partial<Record<'alibaba' | 'tencent', CdnProbe>>;
  texts?: InvariantOptions['texts'];
  inProcess?: boolean;
}

/** Every place output goes, checked for secrets. */
export async function hygieneProblems(opts: HygieneSources): Promise<{ problems: string[]; scanned: number }> {
  const { env, ledger } = opts;
  const sources: Record<string, string> = {};
  const bindings = (await env.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as { items: unknown[] };
  sources['binding statuses'] = JSON.stringify(bindings.items);
  sources['Events'] = JSON.stringify((await env.core.listEventForAllNamespaces()).items);
  if (opts.inProcess !== false) sources['metrics'] = await env.metrics.registry.metrics();
  if (opts.log) sources['provider messages'] = opts.log.messages();
  for (const [name, probe] of Object.entries(opts.probes ?? {})) if (probe?.texts) sources[`${name} cloud call log`] = probe.texts();
  Object.assign(sources, (await opts.texts?.()) ?? {});

  const problems: string[] = [];
  let scanned = 0;
  if (opts.inProcess !== false) {
    const r = scanAppendOnly(env, 'operator logs', env.logs.text, ledger);
    scanned += r.scanned;
    for (const leak of r.leaks) problems.push(`operator logs contain ${leak}`);
  }
  for (const [source, text] of Object.entries(sources)) {
    scanned += text.length;
    for (const leak of leaksIn(text, ledger)) problems.push(`${source} contain ${leak}`);
  }
  return { problems, scanned };
}

/** Just the hygiene part of the invariant, for scenarios that end in a failure state on purpose. */
export async function expectNoLeaks(opts: HygieneSources): Promise<void> {
  const { problems } = await hygieneProblems(opts);
  if (problems.length > 0) throw new InvariantError('secret hygiene', problems);
}
