// The one table of coded errors. Every failure the operator reports about a
// binding, and every start-up failure, has a code here, with the condition
// reason it maps to and whether waiting and retrying can fix it.

export const Reason = {
  Synced: 'Synced',
  Syncing: 'Syncing',
  SecretNotFound: 'SecretNotFound',
  InvalidCertificate: 'InvalidCertificate',
  KeyMismatch: 'KeyMismatch',
  CertificateExpired: 'CertificateExpired',
  DomainNotCovered: 'DomainNotCovered',
  CredentialsNotFound: 'CredentialsNotFound',
  ProviderRejected: 'ProviderRejected',
  Conflict: 'Conflict',
  Suspended: 'Suspended',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/**
 * How the work queue treats a failure:
 * - `watch`: nothing to retry; a change to a watched object (binding or TLS Secret) enqueues the binding again.
 * - `backoff`: retry with the key's exponential backoff (the cause is transient, or not watched).
 * - `config`: a start-up error; the process exits.
 */
type Retry = 'watch' | 'backoff' | 'config';

interface ErrorSpec {
  reason?: Reason;
  retry: Retry;
  message: (...args: string[]) => string;
}

export const Errors = {
  CCS_SECRET_NOT_FOUND: {
    reason: Reason.SecretNotFound,
    retry: 'watch',
    message: (name) => `Secret ${name} not found in the binding's namespace`,
  },
  CCS_SECRET_WRONG_TYPE: {
    reason: Reason.InvalidCertificate,
    retry: 'watch',
    message: (name, type) => `Secret ${name} has type ${type}; want kubernetes.io/tls`,
  },
  CCS_CERT_INVALID: { reason: Reason.InvalidCertificate, retry: 'watch', message: (detail) => detail },
  CCS_CERT_KEY_MISMATCH: { reason: Reason.KeyMismatch, retry: 'watch', message: (detail) => detail },
  CCS_CERT_EXPIRED: { reason: Reason.CertificateExpired, retry: 'watch', message: (detail) => detail },
  CCS_DOMAIN_NOT_COVERED: {
    reason: Reason.DomainNotCovered,
    retry: 'watch',
    message: (targets, sans) => `the certificate does not cover ${targets} (its DNS names: ${sans})`,
  },
  CCS_CREDENTIALS_NOT_FOUND: {
    reason: Reason.CredentialsNotFound,
    // Credentials Secrets are not watched (they are not TLS Secrets): poll with backoff.
    retry: 'backoff',
    message: (detail) => detail,
  },
  CCS_PROVIDER_REJECTED: { reason: Reason.ProviderRejected, retry: 'watch', message: (detail) => detail },
  CCS_PROVIDER_TRANSIENT: { reason: Reason.Syncing, retry: 'backoff', message: (detail) => detail },
  CCS_TARGET_CONFLICT: {
    reason: Reason.Conflict,
    retry: 'watch',
    message: (targets, owner) => `${targets} already bound by ${owner}, which is older`,
  },
  CCS_CONFIG_INVALID: { retry: 'config', message: (setting, detail) => `invalid setting ${setting}: ${detail}` },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof Errors;

/** A failure with a code from the table. Messages never carry key material or credentials. */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';
  readonly code: ErrorCode;
  readonly reason: Reason | undefined;
  readonly retry: Retry;

  constructor(code: ErrorCode, ...args: string[]) {
    const spec: ErrorSpec = Errors[code];
    super(spec.message(...args));
    this.code = code;
    this.reason = spec.reason;
    this.retry = spec.retry;
  }
}

export function isOperatorError(err: unknown, code?: ErrorCode): err is OperatorError {
  return err instanceof OperatorError && (code === undefined || err.code === code);
}
