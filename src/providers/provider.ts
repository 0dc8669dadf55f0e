// The one interface every CDN sits behind. The controller knows nothing about
// clouds: it asks a Provider what its targets serve, tells it to deploy a
// certificate to the ones that differ, and to disable HTTPS on deletion.
// Everything a provider returns is already scrubbed of key material and
// credentials (see ./scrub.ts).
import type { CertificateBundle } from '../certs/types.ts';

/** Who a call is for. Providers use it to name uploads and in logs. */
export interface BindingRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * What one target serves right now.
 * - `serving`: HTTPS is on with the certificate whose leaf has `fingerprintSHA256`.
 * - `disabled`: HTTPS is off (or no certificate is bound).
 * - `error`: the target could not be read; `error` says why.
 */
export type Observation =
  | {
      target: string;
      state: 'serving';
      fingerprintSHA256: string;
      /** The provider's id of the bound certificate, where it has one. */
      certificateId?: string;
      /** The served leaf's notAfter, when the provider reports the certificate itself. */
      notAfter?: Date;
    }
  | { target: string; state: 'disabled' }
  | { target: string; state: 'error'; error: ProviderError };

/** The result of a write for one target. */
export type Outcome =
  | { target: string; ok: true; certificateId?: string }
  | { target: string; ok: false; error: ProviderError };

export interface ObserveRequest {
  binding: BindingRef;
  targets: readonly string[];
  signal?: AbortSignal;
}

export interface DeployRequest {
  binding: BindingRef;
  /** Only the targets that must change; never empty. */
  targets: readonly string[];
  certificate: CertificateBundle;
  /** The latest observation of every target of the binding, so a provider can skip work already done. */
  observed: readonly Observation[];
  signal?: AbortSignal;
}

export interface DisableRequest {
  binding: BindingRef;
  targets: readonly string[];
  signal?: AbortSignal;
}

export interface PruneRequest {
  binding: BindingRef;
  /** Certificate ids this operator recorded for the binding before (status.targets[].certificateId). */
  recorded: readonly string[];
  /** Certificate ids in use by the binding now; never deleted. */
  inUse: readonly string[];
  signal?: AbortSignal;
}

export interface PruneResult {
  deleted: string[];
  /** Cleanup failures: reported as a Warning Event, never fail the sync. */
  failed: Array<{ certificateId: string; error: ProviderError }>;
}

export interface Provider {
  /** The provider module's name (`status.provider`), for metrics and errors. */
  readonly name: string;
  observe(req: ObserveRequest): Promise<Observation[]>;
  deploy(req: DeployRequest): Promise<Outcome[]>;
  disable(req: DisableRequest): Promise<Outcome[]>;
  /** Optional: delete provider-side copies this operator uploaded and nothing uses any more. */
  prune?(req: PruneRequest): Promise<PruneResult>;
}

/** The provider part of a binding's spec: `spec.<provider>`, already validated by the CRD's schema. */
export interface ProviderScope<S = unknown> {
  readonly provider: string;
  readonly spec: S;
}

/** Credentials exactly as read from the credentials Secret (decoded), or the ambient identity. */
export type Credentials = Readonly<Record<string, string>>;

/**
 * One cloud, connected: built once per operator by its module's `driver()`
 * (./module.ts), it hands out a Provider per binding scope.
 */
export interface ProviderDriver<S = unknown> {
  readonly name: string;
  /** Whether the operator may use an ambient identity (such as Alibaba RRSA) when a binding names no Secret. */
  readonly ambientCredentials: boolean;
  /**
   * A Provider for one binding's scope. Cheap: implementations share SDK
   * clients and rate limiters per account across every binding that uses the
   * same credentials. `credentials` is undefined to use the ambient identity;
   * otherwise it holds the module's credential keys that the Secret has.
   */
  connect(scope: ProviderScope<S>, credentials: Credentials | undefined): Provider;
}

/**
 * A failed provider call. `retryable` decides between "retry with backoff"
 * (reason Syncing) and "terminal" (reason ProviderRejected). The message is
 * already scrubbed and safe to show anywhere.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  /** The provider module's name. */
  readonly provider: string;
  /** The vendor's error code (such as `ServiceBusy`), or a transport code (`ETIMEDOUT`, `ECONNRESET`, `HTTP502`). */
  readonly code: string;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** The vendor's hint of when to try again, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  readonly httpStatus: number | undefined;

  constructor(init: {
    provider: string;
    code: string;
    message: string;
    retryable: boolean;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    httpStatus?: number | undefined;
  }) {
    super(init.message);
    this.provider = init.provider;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.httpStatus = init.httpStatus;
  }

  /** One line for status and Events: code, message, request id. */
  describe(): string {
    const id = this.requestId ? ` (RequestId ${this.requestId})` : '';
    return `${this.code}: ${this.message}${id}`;
  }
}
