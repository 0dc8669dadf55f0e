// The invariant checker itself: it passes on a converged cluster and fails,
// naming the problem, on each thing it is meant to catch. A checker that
// cannot fail would make every reliability scenario vacuous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containsKeyMaterial, issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { InvariantError, Ledger, leaksIn } from './invariant.ts';
import type { RecordedCall } from './recorder.ts';
import { Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start();
});
afterAll(async () => {
  await stack.stop();
});

async function converged(prefix: string): Promise<{ ns: string; first: IssuedCert; second: IssuedCert; domain: string }> {
  const ns = await stack.namespace(prefix);
  const domain = `www.${ns}.example.com`;
  const first = await issueCertificate({ dnsNames: [domain], keyAlgorithm: 'ecdsa' });
  const second = await issueCertificate({ dnsNames: [domain], keyAlgorithm: 'ecdsa' });
  await stack.renew(ns, 'tls', first);
  await stack.bind({ namespace: ns, name: 'b', secretName: 'tls', domains: [domain] });
  await stack.env.waitForReason(ns, 'b', 'Synced');
  await stack.renew(ns, 'tls', second);
  await stack.env.waitForReason(ns, 'b', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === second.fingerprintSHA256);
  return { ns, first, second, domain };
}

async function failure(only: { namespace: string; name: string }, extra: Parameters<Stack['check']>[0] = {}): Promise<InvariantError> {
  const err = await stack.check({ bindings: [only], timeoutMs: 800, ...extra }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvariantError);
  return err as InvariantError;
}

describe('the invariant', () => {
  it('holds on a converged binding, with the renewals in the call log', async () => {
    const { ns } = await converged('ok');
    const report = await stack.check({ bindings: [{ namespace: ns, name: 'b' }], mustDeliverAfterMs: 0 });
    expect(report).toMatchObject({ bindings: 1, targets: 1 });
    expect(report.scannedChars).toBeGreaterThan(1000);
  });

  it('fails when a target serves something else than the Secret (drift the operator has not corrected)', async () => {
    const { ns, domain } = await converged('drift');
    stack.env.cdn.drift(domain, 'f'.repeat(64));
    const err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toContain(`${domain} serves ffffffffffff`);
  });

  it('fails when the status lags the Secret', async () => {
    const ns = await stack.namespace('lag');
    const domain = `www.${ns}.example.com`;
    const cert = await issueCertificate({ dnsNames: [domain], keyAlgorithm: 'ecdsa' });
    await stack.renew(ns, 'tls', cert);
    await stack.bind({ namespace: ns, name: 'b', secretName: 'tls', domains: [domain], suspend: true });
    const err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toMatch(/Ready=False reason Suspended/);
    expect(err.message).toContain('status.certificate is none');
  });

  it('fails when a renewal that stayed in the Secret long enough never reached the CDN', async () => {
    const { ns, first, second } = await converged('skip');
    // A renewal the scenario claims it made but the cluster never saw: the call log cannot show it delivered.
    const ghost = await issueCertificate({ dnsNames: ['ghost.example.com'], keyAlgorithm: 'ecdsa' });
    const ledger = new Ledger();
    ledger.renewal(`${ns}/tls`, first);
    ledger.renewal(`${ns}/tls`, ghost);
    ledger.renewal(`${ns}/tls`, second);
    const err = await failure({ namespace: ns, name: 'b' }, { ledger, mustDeliverAfterMs: 0 });
    expect(err.message).toContain(`renewal #2 (${ghost.fingerprintSHA256.slice(0, 12)}) never reached`);
    // Only the latest is required by default.
    await stack.check({ bindings: [{ namespace: ns, name: 'b' }], ledger });
  });

  it('fails when an older certificate was pushed after a newer one, or one the Secret never held, or unsound material', async () => {
    const { ns, first, domain } = await converged('stale');
    const fake = (fingerprint: string, problems: string[] = []): RecordedCall => ({
      seq: 1e9,
      startedAt: Date.now(),
      endedAt: Date.now(),
      provider: 'alibaba',
      binding: `${ns}/b`,
      action: 'deploy',
      targets: [domain],
      fingerprint,
      problems,
      results: [{ target: domain, ok: true, fingerprint }],
    });
    stack.log.calls.push(fake(first.fingerprintSHA256));
    let err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toContain('stale material pushed');
    stack.log.calls.pop();

    stack.log.calls.push(fake('e'.repeat(64)));
    err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toContain('which the Secret never held');
    stack.log.calls.pop();

    const last = stack.log.deliveries(`${ns}/b`, domain).at(-1)!;
    stack.log.calls.push(fake(last, ['the key does not belong to the first certificate']));
    err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toContain('unsound material pushed');
    stack.log.calls.pop();
  });

  it('fails when key material or a credential shows up in the operator logs', async () => {
    const { ns, second } = await converged('leak');
    const body = second.keyPem.split('\n')[1]!;
    stack.env.logs.write(`{"msg":"oops","detail":"${body.slice(5, 30)}"}\n`);
    let err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toMatch(/operator logs contain private key material/);
    expect(err.message).not.toContain(body.slice(5, 30));

    stack.env.logs.write(`{"msg":"oops","detail":"${encodeURIComponent(stack.credentialSecrets()[0]!)}"}\n`);
    err = await failure({ namespace: ns, name: 'b' });
    expect(err.message).toMatch(/operator logs contain a credential/);
  });
});

describe('leak detection', () => {
  let cert: IssuedCert;
  let ledger: Ledger;
  beforeAll(async () => {
    cert = await issueCertificate({ keyAlgorithm: 'rsa', withIntermediate: true });
    ledger = new Ledger();
    ledger.renewal('ns/tls', cert);
    ledger.credential('an-access-key-secret/with+specials=');
  });

  it('finds every form of the key and the credential, and nothing in public material', () => {
    // The tail of an RSA key is its private half (the modulus near the start is public, and shared with the certificate).
    const body = cert.keyPem.split('\n').slice(1, -2).join('');
    const der = Buffer.from(body, 'base64');
    const tail = body.length - 400;
    const forms: Record<string, string> = {
      'PEM body run': `x ${body.slice(tail, tail + 16)} y`,
      'whole PEM, JSON-escaped': JSON.stringify({ key: cert.keyPem }),
      'URL-encoded': encodeURIComponent(cert.keyPem),
      'Secret data (base64)': Buffer.from(cert.keyPem).toString('base64').slice(-300, -260),
      hex: der.toString('hex').slice(-400, -360),
      'slash-escaped': JSON.stringify(body.slice(tail)).replace(/\//g, '\\/'),
    };
    for (const [what, text] of Object.entries(forms)) expect(leaksIn(text, ledger), what).not.toEqual([]);
    expect(leaksIn('secret=an-access-key-secret%2Fwith%2Bspecials%3D', ledger)).toContain('a credential (URL-encoded)');
    expect(leaksIn(Buffer.from('an-access-key-secret/with+specials=').toString('base64'), ledger)).toEqual(['a credential (base64)']);

    // Public material shares the key's public half (the RSA modulus): never a leak.
    const publicText = [cert.chainPem, cert.caPem, Buffer.from(cert.chainPem).toString('base64'), JSON.stringify({ crt: cert.chainPem })].join('\n');
    expect(leaksIn(publicText, ledger)).toEqual([]);
    expect(leaksIn('{"level":30,"msg":"pushing certificate","fingerprint":"3f9a0c41d2b7"}', ledger)).toEqual([]);
  });

  it('agrees with containsKeyMaterial on PEM-body runs of the private half', () => {
    const body = cert.keyPem.split('\n').slice(1, -2).join('');
    const from = body.length - 900;
    for (let i = 0; i < 50; i++) {
      const at = from + ((i * 37) % 870);
      const text = `prefix ${body.slice(at, at + 16 + (i % 5))} suffix`;
      expect(leaksIn(text, ledger).length > 0).toBe(containsKeyMaterial(text, cert.keyPem));
    }
    expect(containsKeyMaterial('nothing here at all, really nothing', cert.keyPem)).toBe(false);
    expect(leaksIn('nothing here at all, really nothing', ledger)).toEqual([]);
  });
});
