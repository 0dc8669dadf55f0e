// Secret hygiene: whatever goes wrong during an upload, neither the private
// key nor the secretKey reaches a log line, an error, a recorded call or the
// emulator's call log, in any of the forms it can take on the wire.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Outcome } from '../../../src/providers/provider.ts';
import { pemBodies } from '../../fixtures/certs.ts';
import { BINDING, bundle, HOSTS, startHarness, ZONE, type Harness, type TestBundle } from '../../emulators/tencent/testing.ts';

let h: Harness;
let cert: TestBundle;

beforeEach(async () => {
  h = await startHarness({ requestTimeoutMs: 150 });
  cert = await bundle();
});
afterEach(async () => {
  await h.stop();
});

/** Every spelling of the key and the secretKey that must not appear anywhere. */
function forbidden(): string[] {
  const forms = new Set<string>();
  const add = (secret: string) => {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(encodeURIComponent(secret).replace(/%20/g, '+'));
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(Buffer.from(secret).toString('base64'));
  };
  add(cert.keyPem);
  add(h.credentials.secretKey);
  for (const body of pemBodies(cert.keyPem)) {
    add(body);
    // Any 16 consecutive characters of a base64 line would do: check each line of the key.
    for (const line of cert.keyPem.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) forms.add(line);
  }
  return [...forms];
}

function everythingReported(outcomes: Outcome[]): string {
  const errors = outcomes.flatMap((o) => (o.ok ? [] : [o.error.message, o.error.describe(), JSON.stringify(o.error), String(o.error.stack)]));
  return [...h.logs, ...errors, JSON.stringify(h.calls), JSON.stringify(h.emulator.calls)].join('\n');
}

function expectClean(text: string): void {
  for (const form of forbidden()) expect(text.includes(form), `leaked a form of a secret (${form.length} chars)`).toBe(false);
  expect(text).not.toMatch(/PRIVATE KEY/);
}

it('leaks nothing through a reset, a timeout, and an error message that echoes the key', async () => {
  h.emulator.reset({ action: 'UploadCertificate', times: 1 });
  h.emulator.hang({ action: 'UploadCertificate', times: 1 });
  // A service that quotes the offending parameter back (as some APIs do).
  h.emulator.failWith('InvalidParameter', {
    action: 'UploadCertificate',
    message: `CertificatePrivateKey is invalid: ${cert.keyPem} / ${encodeURIComponent(cert.keyPem)} / ${h.credentials.secretKey}`,
  });

  const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });

  // The test saw each fault happen, and the final error is the echoing one.
  expect(h.emulator.calls.map((c) => c.code)).toEqual(['RESET', 'HANG', 'InvalidParameter']);
  expect(h.calls.map((c) => c.code)).toEqual(['ECONNRESET', 'ETIMEDOUT', 'InvalidParameter']);
  const failed = outcomes[0];
  expect(failed?.ok).toBe(false);
  if (failed && !failed.ok) expect(failed.error.message).toContain('CertificatePrivateKey is invalid: [REDACTED]');
  expect(h.logs.length).toBeGreaterThanOrEqual(3);
  expectClean(everythingReported(outcomes));
});

it('leaks nothing on the way to success, nor when observing (DescribeCertificateDetail returns the key)', async () => {
  h.emulator.reset({ action: 'UploadCertificate', times: 1 });
  h.emulator.hang({ action: 'ModifyHostsCertificate', times: 1 });
  const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
  expect(outcomes.every((o) => o.ok)).toBe(true);

  // Hosts switched to a copy uploaded elsewhere: the provider must read it (and its key) back.
  const copy = h.emulator.addCertificate(h.credentials.secretId, { chainPem: cert.chainPem, keyPem: cert.keyPem });
  for (const host of HOSTS) h.emulator.drift(ZONE, host, copy);
  const observed = await h.provider().observe({ binding: BINDING, targets: HOSTS });
  expect(observed.every((o) => o.state === 'serving')).toBe(true);
  expect(h.emulator.calls.some((c) => c.action === 'DescribeCertificateDetail' && c.code === 'OK')).toBe(true);

  expectClean(`${everythingReported(outcomes)}\n${JSON.stringify(observed)}`);
  expect(h.emulator.hostCertificate(ZONE, 'example.com').mode).toBe('sslcert');
});
