// The process: the only module that touches `process` (environment, argv,
// signals, exit codes). Everything else is built from plain values.
import { hostname } from 'node:os';
import { loadConfig, USAGE } from './config.ts';
import { isOperatorError } from './errors.ts';
import { kubeClients, loadKubeConfig } from './kube/client.ts';
import { LeaderElector } from './kube/leader.ts';
import { Operator } from './operator.ts';
import { Drivers } from './providers/drivers.ts';
import { ProviderError } from './providers/provider.ts';
import { createLogger } from './telemetry/logger.ts';
import { Metrics } from './telemetry/metrics.ts';
import { Endpoints } from './telemetry/server.ts';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(process.env, argv);
  } catch (err) {
    if (!isOperatorError(err)) throw err;
    process.stderr.write(`cdn-cert-sync: ${err.message}\n`);
    return 2;
  }

  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  const identity = process.env.POD_NAME ?? hostname();
  // Set once leader election starts: a replica that lost the Lease writes nothing more.
  let elector: LeaderElector | undefined;
  const mayWrite = () => !elector || elector.mayWrite();
  // A provider's driver (and its SDK) loads with the first binding that needs it.
  const drivers = new Drivers((module) =>
    module.driver({
      settings: config.providers[module.name as keyof typeof config.providers] ?? {},
      requestTimeoutMs: config.providerTimeoutMs,
      recordCall: metrics.calls(),
      assertMayWrite: (provider: string) => {
        if (!mayWrite()) {
          throw new ProviderError({ provider, code: 'LeadershipLost', message: 'this replica lost its leader lease; it makes no more changes', retryable: true });
        }
      },
      logger,
      env: process.env,
    }),
  );
  const operator = new Operator({
    config,
    kube: kubeClients(loadKubeConfig(config.kubeconfig)),
    providers: drivers,
    logger,
    metrics,
    instance: identity,
    mayWrite,
  });

  const servers: Endpoints[] = [];
  const health = new Endpoints({ liveness: operator.livenessChecks(), readiness: operator.readinessChecks() });
  const metricsServer = new Endpoints({ registry: metrics.registry });
  const listening: Record<string, string> = {};
  if (config.healthAddr) {
    servers.push(health);
    const a = await health.listen(config.healthAddr);
    listening.health = `${a.address}:${a.port}`;
  }
  if (config.metricsAddr) {
    servers.push(metricsServer);
    const a = await metricsServer.listen(config.metricsAddr);
    listening.metrics = `${a.address}:${a.port}`;
  }
  logger.info(listening, 'serving health and metrics');

  let exitCode = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const caches = operator.startCaches();
  if (config.leaderElect) {
    const kube = kubeClients(loadKubeConfig(config.kubeconfig));
    elector = new LeaderElector({
      api: kube.coordination,
      namespace: config.leaderElectionNamespace!,
      name: config.leaderElectionId,
      identity,
      logger,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      onStartedLeading: () => {
        metrics.leader.set(1);
        void caches.then(() => operator.startWorkers());
      },
      onStoppedLeading: () => {
        // Another replica may already be reconciling: stop now, let Kubernetes restart us as a standby.
        metrics.leader.set(0);
        exitCode = 1;
        resolveDone();
      },
    });
  }

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    resolveDone();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  logger.info({ identity, watchNamespaces: config.watchNamespaces, leaderElect: config.leaderElect }, 'starting cdn-cert-sync');
  if (elector) {
    elector.start();
  } else {
    metrics.leader.set(1);
    void caches.then(() => operator.startWorkers());
  }
  await done;

  // A replica that lost the lease must stop at once; a clean shutdown may finish its work.
  const drained = await operator.stop(exitCode === 0 ? config.shutdownTimeoutMs : 0);
  if (!drained) logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight reconciles did not finish in time');
  if (elector && exitCode === 0) await elector.release();
  await Promise.all(servers.map((s) => s.close()));
  logger.info({ exitCode }, 'stopped');
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the event loop (a hung provider socket) must not keep a stopped operator alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`cdn-cert-sync: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
