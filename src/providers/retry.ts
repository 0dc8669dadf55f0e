// Short, in-call retries for transient provider errors (p-retry), before the
// key goes back to the work queue's slower per-key backoff.
import pRetry from 'p-retry';
import { ProviderError } from './provider.ts';
import { realClock, type Clock } from './ratelimit.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, minTimeoutMs: 200, maxTimeoutMs: 3_000 };

/**
 * Runs `call`, retrying a `ProviderError` that is retryable with exponential
 * backoff and full jitter, and waiting at least the vendor's `retryAfterMs`
 * when it gave one. A terminal `ProviderError`, or anything else, is thrown
 * at once. Every other error type must be classified by `call` first.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
  clock: Clock = realClock,
): Promise<T> {
  return pRetry(call, {
    retries: policy.retries,
    factor: 2,
    minTimeout: policy.minTimeoutMs,
    maxTimeout: policy.maxTimeoutMs,
    randomize: true,
    signal,
    shouldRetry: ({ error }) => error instanceof ProviderError && error.retryable,
    onFailedAttempt: async ({ error, retryDelay, retriesLeft }) => {
      if (retriesLeft <= 0 || !(error instanceof ProviderError) || !error.retryable) return;
      const extra = (error.retryAfterMs ?? 0) - retryDelay;
      if (extra > 0) await clock.sleep(Math.min(extra, policy.maxTimeoutMs * 4), signal);
    },
  });
}
