// Prometheus metrics (prom-client). Labels are bounded: result, provider,
// action, error code, and the binding's namespace/name for the per-binding
// gauges (one series per binding, removed when the binding goes away).
// Never a domain, a certificate or anything secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMetrics } from '../controller/queue.ts';
import type { ReconcileMetrics } from '../controller/controller.ts';
import type { BindingObserver } from '../controller/reconciler.ts';
import type { CallRecorder } from '../providers/calls.ts';

const PREFIX = 'cdn_cert_sync_';

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'result'>;
  readonly reconcileDuration: Histogram<'result'>;
  readonly queueDepth: Gauge;
  readonly queueAdds: Counter;
  readonly queueRetries: Counter;
  readonly queueLatency: Histogram;
  readonly providerCalls: Counter<'provider' | 'action' | 'code'>;
  readonly providerCallDuration: Histogram<'provider' | 'action'>;
  readonly certificateExpiry: Gauge<'namespace' | 'name'>;
  readonly lastSync: Gauge<'namespace' | 'name'>;
  readonly leader: Gauge;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.reconcileTotal = new Counter({ name: `${PREFIX}reconcile_total`, help: 'Reconciles by result: success, retry, terminal or error.', labelNames: ['result'], registers });
    this.reconcileDuration = new Histogram({
      name: `${PREFIX}reconcile_duration_seconds`,
      help: 'Time spent in one reconcile, by result.',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.queueDepth = new Gauge({ name: `${PREFIX}workqueue_depth`, help: 'Keys waiting in the work queue.', registers });
    this.queueAdds = new Counter({ name: `${PREFIX}workqueue_adds_total`, help: 'Keys added to the work queue.', registers });
    this.queueRetries = new Counter({ name: `${PREFIX}workqueue_retries_total`, help: 'Keys re-queued with backoff after a retryable failure.', registers });
    this.queueLatency = new Histogram({
      name: `${PREFIX}workqueue_queue_duration_seconds`,
      help: 'How long a key waited in the work queue before a worker took it.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
      registers,
    });
    this.providerCalls = new Counter({
      name: `${PREFIX}provider_api_calls_total`,
      help: 'Provider API calls by provider, action and result code (OK or the vendor error code).',
      labelNames: ['provider', 'action', 'code'],
      registers,
    });
    this.providerCallDuration = new Histogram({
      name: `${PREFIX}provider_api_call_duration_seconds`,
      help: 'Provider API call latency.',
      labelNames: ['provider', 'action'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.certificateExpiry = new Gauge({
      name: `${PREFIX}certificate_expiry_timestamp_seconds`,
      help: 'notAfter (Unix seconds) of the certificate the CDN serves for the binding (earliest across its targets).',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.lastSync = new Gauge({
      name: `${PREFIX}last_sync_timestamp_seconds`,
      help: 'When every target of the binding was last verified in sync (Unix seconds).',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.leader = new Gauge({ name: `${PREFIX}leader`, help: '1 while this replica is the leader (or leader election is off), else 0.', registers });
  }

  queue(): QueueMetrics {
    return {
      added: () => this.queueAdds.inc(),
      retried: () => this.queueRetries.inc(),
      depth: (n) => this.queueDepth.set(n),
      latency: (s) => this.queueLatency.observe(s),
    };
  }

  reconciles(): ReconcileMetrics {
    return {
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ result });
        this.reconcileDuration.observe({ result }, seconds);
      },
    };
  }

  bindings(): BindingObserver {
    const labels = (key: string) => {
      const slash = key.indexOf('/');
      return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    };
    return {
      synced: (key, notAfter, at) => {
        if (notAfter) this.certificateExpiry.set(labels(key), Math.floor(notAfter.getTime() / 1000));
        this.lastSync.set(labels(key), Math.floor(at.getTime() / 1000));
      },
      forget: (key) => {
        this.certificateExpiry.remove(labels(key));
        this.lastSync.remove(labels(key));
      },
    };
  }

  calls(): CallRecorder {
    return ({ provider, action, code, seconds }) => {
      this.providerCalls.inc({ provider, action, code });
      this.providerCallDuration.observe({ provider, action }, seconds);
    };
  }
}
