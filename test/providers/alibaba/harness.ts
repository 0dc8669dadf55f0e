// Shared set-up for the Alibaba provider suites: an emulator with one
// account, a driver pointed at it with small timeouts and retry delays, a
// pino logger writing to memory, and the recorded calls.
import pino, { type Logger } from 'pino';
import { parseTlsSecret } from '../../../src/certs/index.ts';
import type { CertificateBundle } from '../../../src/certs/types.ts';
import type { ProviderCall } from '../../../src/providers/calls.ts';
import { alibabaDriver, type AlibabaDriverOptions } from '../../../src/providers/alibaba/driver.ts';
import type { AlibabaSpec } from '../../../src/providers/alibaba/index.ts';
import type { BindingRef, ProviderDriver, ProviderScope } from '../../../src/providers/provider.ts';
import type { RetryPolicy } from '../../../src/providers/retry.ts';
import { AlibabaCdnEmulator, type EmulatorOptions } from '../../emulators/alibaba/emulator.ts';
import { issueCertificate, type IssueOptions, type IssuedCert } from '../../fixtures/certs.ts';

export const ACCESS_KEY_ID = 'LTAI5tEmulatorKeyId01';
export const ACCESS_KEY_SECRET = 'emulator-secret-Zq8xW3vN5mK2pL7rT9yB';
export const CREDENTIALS = { accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET };

export const BINDING: BindingRef = { namespace: 'web', name: 'shop', uid: '6c1f8a52-0d7e-4b8e-9d0a-1f2e3d4c5b6a' };

/** Quick in-call retries: the behaviour of the real defaults, at test speed. */
export const FAST_RETRY: RetryPolicy = { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 40 };

export function scope(domains: string[], certNamePrefix?: string): ProviderScope<AlibabaSpec> {
  return { provider: 'alibaba', spec: certNamePrefix === undefined ? { domains } : { domains, certNamePrefix } };
}

export interface MemoryLog {
  logger: Logger;
  /** Everything written so far, one JSON line per record. */
  text(): string;
}

export function memoryLogger(): MemoryLog {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join('') };
}

export interface Rig {
  emulator: AlibabaCdnEmulator;
  driver: ProviderDriver<AlibabaSpec>;
  log: MemoryLog;
  calls: ProviderCall[];
}

export interface RigOptions {
  emulator?: EmulatorOptions;
  driver?: AlibabaDriverOptions;
  domains?: string[];
  requestTimeoutMs?: number;
  ambient?: boolean;
}

/** An emulator with the standard account and `domains`, and a driver aimed at it. */
export async function rig(opts: RigOptions = {}): Promise<Rig> {
  const emulator = await AlibabaCdnEmulator.start(opts.emulator);
  emulator.addAccount(ACCESS_KEY_ID, ACCESS_KEY_SECRET);
  for (const domain of opts.domains ?? []) emulator.addDomain(ACCESS_KEY_ID, domain);
  const log = memoryLogger();
  const calls: ProviderCall[] = [];
  const driver = alibabaDriver(
    {
      settings: { endpoint: emulator.url, rrsa: opts.ambient ?? false, credentialsSecret: undefined },
      requestTimeoutMs: opts.requestTimeoutMs ?? 2_000,
      recordCall: (call) => void calls.push(call),
      logger: log.logger,
    },
    { retry: FAST_RETRY, ...opts.driver },
  );
  return { emulator, driver, log, calls };
}

export interface TestCertificate {
  bundle: CertificateBundle;
  issued: IssuedCert;
}

/**
 * A certificate from the fixtures, validated into a bundle the way the
 * controller builds one. ECDSA unless asked otherwise: RSA key generation is
 * slow, so only the suites where the key's size matters ask for RSA.
 */
export async function certificate(opts: IssueOptions = {}): Promise<TestCertificate> {
  const issued = await issueCertificate({ dnsNames: ['example.com', '*.example.com'], keyAlgorithm: 'ecdsa', ...opts });
  const parsed = parseTlsSecret(Buffer.from(issued.chainPem), Buffer.from(issued.keyPem), new Date());
  if (!parsed.ok) throw new Error(`fixture did not validate: ${parsed.reason}`);
  return { bundle: parsed.bundle, issued };
}

/** The calls the emulator answered for `action`, optionally for one domain (in its API spelling). */
export function callsTo(emulator: AlibabaCdnEmulator, action: string, domain?: string) {
  return emulator.calls.filter((c) => c.action === action && (domain === undefined || c.domain === domain));
}
