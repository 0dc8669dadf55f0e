// Properties of parseTlsSecret over inputs nobody would write by hand:
// - it never throws, whatever the bytes;
// - a failure is one of the three reasons, with a message that quotes no key material;
// - a success is sound: checked independently with node:crypto, the key
//   belongs to the first certificate, the fingerprint is that certificate's,
//   it is in date, and the PEM is canonical.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTlsSecret, type ParseResult } from '../../src/certs/index.ts';
import {
  bundleProblems,
  containsKeyMaterial,
  issueCertificate,
  reverseChain,
  toCrlf,
  utf8,
  withEcParameters,
} from '../fixtures/certs.ts';

const NOW = new Date('2030-02-01T00:00:00Z');
const VALIDITY = { notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2030-04-01T00:00:00Z') };
const REASONS = ['InvalidCertificate', 'KeyMismatch', 'CertificateExpired'];

interface Sample {
  crt: Uint8Array;
  key: Uint8Array;
  /** The canonical key, to look for in messages. */
  keyPem: string;
}
let samples: Sample[] = [];

beforeAll(async () => {
  const rsa = await issueCertificate({ ...VALIDITY, keyAlgorithm: 'rsa', withIntermediate: true });
  const ec = await issueCertificate({ ...VALIDITY, keyAlgorithm: 'ecdsa' });
  const ec8 = await issueCertificate({ ...VALIDITY, keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8', withIntermediate: true });
  samples = [
    { crt: utf8(reverseChain(rsa.chainPem)), key: utf8(rsa.keyPem), keyPem: rsa.keyPem },
    { crt: utf8(ec.chainPem + ec.caPem), key: utf8(withEcParameters(ec.keyPem)), keyPem: ec.keyPem },
    { crt: utf8(toCrlf(ec8.chainPem)), key: utf8(toCrlf(ec8.keyPem)), keyPem: ec8.keyPem },
  ];
});

/** Checks every property of one result; throws (failing the run) on a violation. */
function checkResult(result: ParseResult, keyPems: readonly string[]): void {
  expect(typeof result.ok).toBe('boolean');
  if (result.ok) {
    expect(bundleProblems(result.bundle, NOW)).toEqual([]);
    return;
  }
  expect(REASONS).toContain(result.reason);
  expect(result.message.length).toBeGreaterThan(0);
  for (const keyPem of keyPems) expect(containsKeyMaterial(result.message, keyPem)).toBe(false);
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'replace'; at: number; byte: number };

const position = fc.nat({ max: 10_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  // Characters that matter to PEM: armour, line breaks, padding, header colon, NUL.
  fc.record({ kind: fc.constant('replace' as const), at: position, byte: fc.constantFrom(...utf8('-\n\r =:A/+\0')) }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const bytes = Buffer.from(input);
  const at = bytes.length === 0 ? 0 : m.at % bytes.length;
  switch (m.kind) {
    case 'flip':
      if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit);
      return bytes;
    case 'replace':
      if (bytes.length > 0) bytes[at] = m.byte;
      return bytes;
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case 'duplicate':
      return Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
    case 'truncate':
      return bytes.subarray(0, at);
  }
}

describe('parseTlsSecret properties', () => {
  it('holds for mutated valid Secrets', () => {
    const scenario = fc.record({
      sample: fc.nat({ max: 2 }),
      target: fc.constantFrom('crt', 'key', 'both', 'swapped'),
      // Zero mutations keeps some runs valid, so the success properties are exercised too.
      crtMutations: fc.array(mutation, { maxLength: 4 }),
      keyMutations: fc.array(mutation, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(scenario, ({ sample: i, target, crtMutations, keyMutations }) => {
        const sample = samples[i]!;
        let crt = target === 'swapped' ? sample.key : sample.crt;
        let key = target === 'swapped' ? sample.crt : sample.key;
        if (target === 'crt' || target === 'both') crt = crtMutations.reduce(mutate, crt);
        if (target === 'key' || target === 'both') key = keyMutations.reduce(mutate, key);
        checkResult(parseTlsSecret(crt, key, NOW), samples.map((s) => s.keyPem));
      }),
      { numRuns: 300 },
    );
  });

  it('holds for arbitrary bytes, alone or next to a valid half', () => {
    const scenario = fc.record({
      sample: fc.nat({ max: 2 }),
      crt: fc.option(fc.uint8Array({ maxLength: 4096 }), { nil: undefined }),
      key: fc.option(fc.uint8Array({ maxLength: 4096 }), { nil: undefined }),
      keepValid: fc.constantFrom('none', 'crt', 'key'),
    });
    fc.assert(
      fc.property(scenario, ({ sample: i, crt, key, keepValid }) => {
        const sample = samples[i]!;
        const result = parseTlsSecret(keepValid === 'crt' ? sample.crt : crt, keepValid === 'key' ? sample.key : key, NOW);
        checkResult(result, samples.map((s) => s.keyPem));
        expect(result.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('holds for PEM-shaped text assembled from armour, base64 and noise', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '-----BEGIN CERTIFICATE-----',
        '-----END CERTIFICATE-----',
        '-----BEGIN PRIVATE KEY-----',
        '-----END PRIVATE KEY-----',
        '-----BEGIN EC PRIVATE KEY-----',
        '-----END EC PRIVATE KEY-----',
        '-----BEGIN RSA PRIVATE KEY-----',
        '-----END RSA PRIVATE KEY-----',
        'Proc-Type: 4,ENCRYPTED',
        '\n',
        '\r\n',
        ' ',
        '=',
        'MII',
      ),
      fc.base64String({ maxLength: 200 }),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(piece, { maxLength: 40 }), (crt, key) => {
        checkResult(parseTlsSecret(utf8(crt.join('')), utf8(key.join('')), NOW), samples.map((s) => s.keyPem));
      }),
      { numRuns: 100 },
    );
  });
});
