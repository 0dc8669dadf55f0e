// A test kit: an emulator with one account and zone, the real driver pointed
// at it, and everything the driver reports (recorded calls, log lines)
// captured for assertions.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { CertificateBundle } from '../../../src/certs/types.ts';
import type { ProviderCall } from '../../../src/providers/calls.ts';
import type { BindingRef, Credentials, Observation, Provider, ProviderDriver } from '../../../src/providers/provider.ts';
import type { TencentSpec } from '../../../src/providers/tencent/index.ts';
import { tencentDriver, type TencentDriverOptions } from '../../../src/providers/tencent/driver.ts';
import { issueCertificate, type IssuedCert } from '../../fixtures/certs.ts';
import { TencentEmulator, type EmulatorOptions } from './emulator.ts';

export const ZONE = 'zone-2o0i4lh5c7qb';
export const HOSTS = ['example.com', 'www.example.com', 'api.example.com'] as const;
export const BINDING: BindingRef = { namespace: 'web', name: 'shop', uid: '5d1c7a52-0000-4000-8000-000000000001' };

/** Small, but enough to ride out a few injected failures. */
export const FAST_RETRY = { retries: 4, minTimeoutMs: 5, maxTimeoutMs: 20 };

export interface HarnessOptions {
  emulator?: Partial<EmulatorOptions>;
  driver?: TencentDriverOptions;
  requestTimeoutMs?: number;
  hosts?: readonly string[];
}

export interface Harness {
  emulator: TencentEmulator;
  driver: ProviderDriver<TencentSpec>;
  credentials: Credentials & { secretId: string; secretKey: string };
  /** Every call the driver recorded through settings.recordCall. */
  calls: ProviderCall[];
  /** Every log line the driver wrote (level trace and up), as JSON text. */
  logs: string[];
  provider(hosts?: readonly string[]): Provider;
  stop(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  // The service's rate limits are the subject of their own tests (which pass
  // `rateLimits: DEFAULT_OPTIONS.rateLimits`); elsewhere a burst of retries
  // would turn the code under test into RequestLimitExceeded.
  const emulator = await TencentEmulator.start({ rateLimits: {}, defaultRateLimit: 100_000, ...opts.emulator });
  const credentials = { secretId: `AKID${randomBytes(8).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
  emulator.addAccount(credentials.secretId, credentials.secretKey);
  const hosts = opts.hosts ?? HOSTS;
  emulator.addZone(credentials.secretId, ZONE, hosts);

  const calls: ProviderCall[] = [];
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  const driver = tencentDriver(
    {
      settings: { teoEndpoint: emulator.url, sslEndpoint: emulator.url, credentialsSecret: undefined },
      requestTimeoutMs: opts.requestTimeoutMs ?? 2_000,
      recordCall: (call) => void calls.push(call),
      logger,
    },
    {
      retry: FAST_RETRY,
      deleteTaskPolling: { intervalMs: 5, attempts: 20 },
      // Client-side limits are the subject of their own tests (which pass
      // `rateLimits: {}` for the defaults); elsewhere they only slow tests down.
      rateLimits: { ModifyHostsCertificate: 500, UploadCertificate: 500, DeleteCertificate: 500 },
      defaultRateLimit: 500,
      ...opts.driver,
    },
  );
  return {
    emulator,
    driver,
    credentials,
    calls,
    logs,
    provider: (targets = hosts) => driver.connect({ provider: 'tencent', spec: { zoneId: ZONE, hosts: [...targets] } }, credentials),
    stop: () => emulator.stop(),
  };
}

export type TestBundle = CertificateBundle & { issued: IssuedCert };

/** A fresh ECDSA certificate (fast to issue) for `dnsNames`, as the controller hands it over. */
export async function bundle(dnsNames: readonly string[] = HOSTS, opts: { notAfter?: Date; notBefore?: Date } = {}): Promise<TestBundle> {
  const issued = await issueCertificate({ dnsNames: [...dnsNames], keyAlgorithm: 'ecdsa', withIntermediate: true, ...opts });
  return {
    chainPem: issued.chainPem,
    keyPem: issued.keyPem,
    leaf: {
      fingerprintSHA256: issued.fingerprintSHA256,
      serialNumber: issued.serialNumber,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      dnsNames: issued.dnsNames,
    },
    issued,
  };
}

/** The observation of `target`, failing the test when there is none. */
export function observationOf(observations: readonly Observation[], target: string): Observation {
  const found = observations.find((o) => o.target === target);
  if (!found) throw new Error(`no observation for ${target}`);
  return found;
}

/** Resolves when `condition` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
