// Helpers for this server's own tests (driven through @kubernetes/client-node).
import { ApiException, Watch, type KubeConfig } from '@kubernetes/client-node';

export interface WatchEvent {
  type: string;
  object: { kind?: string; apiVersion?: string; metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }; [k: string]: unknown };
}

export interface OpenWatch {
  events: WatchEvent[];
  /** Resolves with the error (or null) passed to client-node's done callback. */
  done: Promise<unknown>;
  abort(): void;
}

/** Opens a watch with client-node's Watch class and records its events. */
export async function openWatch(kc: KubeConfig, path: string, params: Record<string, string | number | boolean | undefined>): Promise<OpenWatch> {
  const events: WatchEvent[] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const controller = await new Watch(kc).watch(
    path,
    params,
    (type, object) => events.push({ type, object: object as WatchEvent['object'] }),
    (err) => resolveDone(err ?? null),
  );
  return { events, done, abort: () => controller.abort() };
}

/** Polls until `probe` returns true; throws after `timeoutMs`. */
export async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface StatusBody {
  kind: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason: string; message: string; field: string }>; retryAfterSeconds?: number };
  metadata?: { continue?: string };
}

/** Runs `call`, expecting an ApiException; returns its HTTP code, parsed Status body and headers. */
export async function apiError(call: () => Promise<unknown>): Promise<{ code: number; status: StatusBody; headers: Record<string, string> }> {
  try {
    await call();
  } catch (err) {
    if (err instanceof ApiException) {
      const body = typeof err.body === 'string' ? (JSON.parse(err.body) as StatusBody) : (err.body as StatusBody);
      return { code: err.code, status: body, headers: err.headers as Record<string, string> };
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}
