// Operator settings: every one an environment variable with a matching
// command-line flag (--concurrency=8 or --concurrency 8 for CONCURRENCY),
// validated at start. Flags win over the environment. This table is the
// reference the README's configuration section is checked against. Each
// provider module adds its own settings (src/providers/<name>/index.ts).
import { OperatorError } from './errors.ts';
import { PROVIDERS, type ProviderName } from './providers/catalog.ts';
import type { ProviderSetting } from './providers/module.ts';

type Kind = 'duration' | 'address' | 'int' | 'bool' | 'string' | 'url' | 'list' | 'level';

interface SettingSpec {
  env: string;
  kind: Kind;
  default?: string;
  description: string;
}

const CORE_SETTINGS = {
  kubeconfig: { env: 'KUBECONFIG', kind: 'string', description: 'Path to a kubeconfig file. Unset: ~/.kube/config, or the in-cluster service account inside a pod.' },
  watchNamespace: { env: 'WATCH_NAMESPACE', kind: 'list', description: 'Comma-separated namespaces to watch. Unset: every namespace.' },
  podNamespace: { env: 'POD_NAMESPACE', kind: 'string', description: 'The operator\'s own namespace (from the downward API); holds the default credentials Secrets and the leader Lease.' },
  concurrency: { env: 'CONCURRENCY', kind: 'int', default: '4', description: 'Bindings reconciled in parallel.' },
  resyncInterval: { env: 'RESYNC_INTERVAL', kind: 'duration', default: '1h', description: 'How often a binding in sync is compared with what the CDN serves (drift check), jittered by ±10%.' },
  driftCheckRate: { env: 'DRIFT_CHECK_RATE', kind: 'int', default: '10', description: 'Drift checks (provider reads of bindings already in sync) per second, across all bindings; checks that fall due together are spread out. Renewals are never held back by it.' },
  logLevel: { env: 'LOG_LEVEL', kind: 'level', default: 'info', description: 'trace, debug, info, warn, error or fatal.' },
  providerTimeout: { env: 'PROVIDER_TIMEOUT', kind: 'duration', default: '10s', description: 'Timeout of one provider HTTP request.' },
  leaderElect: { env: 'LEADER_ELECT', kind: 'bool', default: 'false', description: 'Run leader election on a Lease so that only one replica reconciles.' },
  leaderElectionNamespace: { env: 'LEADER_ELECTION_NAMESPACE', kind: 'string', description: 'Namespace of the leader Lease. Default: POD_NAMESPACE.' },
  leaderElectionId: { env: 'LEADER_ELECTION_ID', kind: 'string', default: 'cdn-cert-sync-leader', description: 'Name of the leader Lease.' },
  leaseDuration: { env: 'LEADER_ELECTION_LEASE_DURATION', kind: 'duration', default: '15s', description: 'How long a standby waits after the last renewal before taking the Lease over.' },
  renewDeadline: { env: 'LEADER_ELECTION_RENEW_DEADLINE', kind: 'duration', default: '10s', description: 'How long the leader keeps trying to renew before it gives up leading and exits.' },
  retryPeriod: { env: 'LEADER_ELECTION_RETRY_PERIOD', kind: 'duration', default: '2s', description: 'How often candidates try to acquire, and the leader renews, the Lease.' },
  healthAddr: { env: 'HEALTH_ADDR', kind: 'address', default: ':8081', description: 'Address of /healthz and /readyz. Empty to disable.' },
  metricsAddr: { env: 'METRICS_ADDR', kind: 'address', default: ':8080', description: 'Address of /metrics. Empty to disable.' },
  shutdownTimeout: { env: 'SHUTDOWN_TIMEOUT', kind: 'duration', default: '20s', description: 'How long SIGTERM waits for in-flight reconciles before exiting.' },
} as const satisfies Record<string, SettingSpec>;

/**
 * The providers' settings, by env name. Modules of one vendor may share a
 * setting (the same env, such as one default credentials Secret for every
 * Alibaba Cloud product); it is listed once, and must be declared alike.
 */
function providerSettings(): Record<string, ProviderSetting> {
  const out: Record<string, ProviderSetting> = {};
  for (const module of PROVIDERS) {
    for (const setting of Object.values(module.settings as Readonly<Record<string, ProviderSetting>>)) {
      const seen = out[setting.env];
      if (seen && JSON.stringify(seen) !== JSON.stringify(setting)) throw new Error(`provider setting ${setting.env} is declared twice, differently`);
      out[setting.env] = setting;
    }
  }
  return out;
}

/** Every setting: the operator's own, then each provider's. */
export const SETTINGS: typeof CORE_SETTINGS & Readonly<Record<string, SettingSpec>> = { ...CORE_SETTINGS, ...providerSettings() };

type SettingName = keyof typeof CORE_SETTINGS;

/** A provider's settings, parsed, by the module's own setting keys. */
export type ProviderConfig = Readonly<Record<string, string | boolean | undefined>>;

export interface Address {
  host: string | undefined;
  port: number;
}

export interface Config {
  kubeconfig: string | undefined;
  watchNamespaces: string[];
  podNamespace: string | undefined;
  concurrency: number;
  resyncIntervalMs: number;
  driftCheckRate: number;
  logLevel: string;
  /** Each provider's settings, by module name. */
  providers: Readonly<Record<ProviderName, ProviderConfig>>;
  providerTimeoutMs: number;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  healthAddr: Address | undefined;
  metricsAddr: Address | undefined;
  shutdownTimeoutMs: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `15s`, `5m`, `1h30m`, `250ms` → milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) throw new Error(`"${text}" is not a duration like 15s, 5m or 1h`);
  return Math.round(total);
}

/** `:8080`, `0.0.0.0:8080`, `127.0.0.1:0` → host and port; empty → disabled. */
export function parseAddress(text: string): Address | undefined {
  if (text === '') return undefined;
  const m = /^(?:\[?([^\]]*)\]?)?:(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`"${text}" is not an address like :8080 or 127.0.0.1:8080`);
  return { host: m[1] || undefined, port };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function parseValue(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'duration':
      return parseDuration(text);
    case 'address':
      return parseAddress(text);
    case 'int': {
      if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`"${text}" is not a positive whole number`);
      return Number(text);
    }
    case 'bool': {
      if (!['true', 'false', '1', '0'].includes(text.toLowerCase())) throw new Error(`"${text}" is not true or false`);
      return ['true', '1'].includes(text.toLowerCase());
    }
    case 'url': {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new Error(`"${text}" is not a URL like https://host or http://127.0.0.1:18080`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`"${text}" must be http:// or https://`);
      return url.toString().replace(/\/$/, '');
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'level':
      if (!LEVELS.includes(text)) throw new Error(`"${text}" is not one of ${LEVELS.join(', ')}`);
      return text;
    case 'string':
      return text || undefined;
  }
}

export function flagName(env: string): string {
  return `--${env.toLowerCase().replace(/_/g, '-')}`;
}

export const USAGE = [
  'Usage: node dist/main.js [flags]',
  '',
  'Every setting is an environment variable or the matching flag (flags win).',
  '',
  ...Object.values(SETTINGS).map((s: SettingSpec) => {
    const def = s.default !== undefined ? ` (default ${s.default === '' ? '""' : s.default})` : '';
    return `  ${flagName(s.env).padEnd(30)} ${s.env}${def}\n  ${''.padEnd(30)} ${s.description}`;
  }),
  '  --help                         Print this help and exit.',
].join('\n');

/** Parses flags into env-style overrides; throws CCS_CONFIG_INVALID for an unknown flag. */
function parseFlags(argv: readonly string[]): Record<string, string> {
  const byFlag = new Map(Object.values(SETTINGS).map((s: SettingSpec) => [flagName(s.env), s.env]));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const env = byFlag.get(flag);
    if (!env) throw new OperatorError('CCS_CONFIG_INVALID', arg, 'unknown flag (see --help)');
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new OperatorError('CCS_CONFIG_INVALID', flag, 'needs a value');
    out[env] = value;
  }
  return out;
}

/** Builds the Config from the environment and flags; throws CCS_CONFIG_INVALID naming the bad setting. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): Config {
  const merged: Record<string, string | undefined> = { ...env, ...parseFlags(argv) };
  const read = (spec: SettingSpec): unknown => {
    const raw = merged[spec.env] ?? spec.default;
    if (raw === undefined) return undefined;
    try {
      return parseValue(spec.kind, raw.trim());
    } catch (err) {
      throw new OperatorError('CCS_CONFIG_INVALID', spec.env, (err as Error).message);
    }
  };
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const [name, spec] of Object.entries(CORE_SETTINGS) as Array<[SettingName, SettingSpec]>) values[name] = read(spec);
  const providers = Object.fromEntries(
    PROVIDERS.map((module) => [
      module.name,
      Object.fromEntries(Object.entries(module.settings as Readonly<Record<string, ProviderSetting>>).map(([key, spec]) => [key, read(spec)])),
    ]),
  ) as Record<ProviderName, ProviderConfig>;
  const config: Config = {
    kubeconfig: values.kubeconfig as string | undefined,
    watchNamespaces: (values.watchNamespace as string[] | undefined) ?? [],
    podNamespace: values.podNamespace as string | undefined,
    concurrency: values.concurrency as number,
    resyncIntervalMs: values.resyncInterval as number,
    driftCheckRate: values.driftCheckRate as number,
    logLevel: values.logLevel as string,
    providers,
    providerTimeoutMs: values.providerTimeout as number,
    leaderElect: values.leaderElect as boolean,
    leaderElectionNamespace: (values.leaderElectionNamespace as string | undefined) ?? (values.podNamespace as string | undefined),
    leaderElectionId: values.leaderElectionId as string,
    leaseDurationMs: values.leaseDuration as number,
    renewDeadlineMs: values.renewDeadline as number,
    retryPeriodMs: values.retryPeriod as number,
    healthAddr: values.healthAddr as Address | undefined,
    metricsAddr: values.metricsAddr as Address | undefined,
    shutdownTimeoutMs: values.shutdownTimeout as number,
  };
  if (config.resyncIntervalMs < 10_000) throw new OperatorError('CCS_CONFIG_INVALID', 'RESYNC_INTERVAL', 'must be at least 10s');
  if (config.leaderElect && !config.leaderElectionNamespace) {
    throw new OperatorError('CCS_CONFIG_INVALID', 'LEADER_ELECTION_NAMESPACE', 'required with LEADER_ELECT=true (or set POD_NAMESPACE)');
  }
  if (!(config.retryPeriodMs < config.renewDeadlineMs && config.renewDeadlineMs < config.leaseDurationMs)) {
    throw new OperatorError('CCS_CONFIG_INVALID', 'LEADER_ELECTION_RENEW_DEADLINE', 'leader election needs retry period < renew deadline < lease duration');
  }
  if (Object.values(defaultCredentialsSecrets(config)).some(Boolean) && !config.podNamespace) {
    throw new OperatorError('CCS_CONFIG_INVALID', 'POD_NAMESPACE', 'required when a default credentials Secret is set');
  }
  return config;
}

/** The default credentials Secret each provider is configured with (in POD_NAMESPACE), by module name. */
export function defaultCredentialsSecrets(config: Pick<Config, 'providers'>): Record<string, string | undefined> {
  return Object.fromEntries(
    PROVIDERS.map((m) => {
      const value = config.providers[m.name]?.[m.credentials.defaultSecret];
      return [m.name, typeof value === 'string' ? value : undefined];
    }),
  );
}
