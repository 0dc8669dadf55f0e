// Assertions shared by the kubectl manifests (deploy/) and the Helm chart:
// the operator's pod must look the same whichever way it is installed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, parseDuration, SETTINGS } from '../../../src/config.ts';
import { repoRoot, type Obj } from './chart.ts';

export type Rule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[]; nonResourceURLs?: string[] };

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string }; [k: string]: unknown } };
type Port = { name?: string; containerPort: number; protocol?: string };
type Probe = { httpGet?: { path?: string; port?: string | number } };
type Container = {
  name: string;
  image: string;
  env?: EnvVar[];
  ports?: Port[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
};
export type PodSpec = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: Record<string, unknown> }>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
};

export const KNOWN_ENV = new Set<string>([...Object.values(SETTINGS).map((s) => s.env), 'POD_NAME']);

export const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

export function podSpec(deployment: Obj): PodSpec {
  return (deployment as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function podLabels(deployment: Obj): Record<string, string> {
  return (deployment as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
}

export function selector(obj: Obj): Record<string, string> {
  const spec = obj.spec as { selector?: { matchLabels?: Record<string, string> } & Record<string, string> };
  return obj.kind === 'Service' ? (spec.selector as Record<string, string>) : (spec.selector?.matchLabels ?? {});
}

export function operatorContainer(deployment: Obj): Container {
  const containers = podSpec(deployment).containers;
  expect(containers.map((c) => c.name)).toEqual(['operator']);
  return containers[0] as Container;
}

/** The container's environment as the process would see it (downward API fields filled in). */
export function resolvedEnv(deployment: Obj, podName = 'cdn-cert-sync-abc', namespace = deployment.metadata.namespace ?? 'default'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of operatorContainer(deployment).env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (path === 'metadata.name') env[e.name] = podName;
    else if (path === 'metadata.namespace') env[e.name] = namespace;
  }
  return env;
}

function portOf(container: Container, ref: string | number | undefined): number | undefined {
  if (typeof ref === 'number') return ref;
  return container.ports?.find((p) => p.name === ref)?.containerPort;
}

/** Every rule the operator's pod must follow, in deploy/ and in the chart alike. */
export function checkOperatorPod(deployment: Obj): void {
  const spec = podSpec(deployment);
  const c = operatorContainer(deployment);

  // Runs as the image's numeric non-root user, with nothing extra.
  expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
  expect(c.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(c.securityContext?.privileged).not.toBe(true);
  expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
  expect(c.securityContext?.runAsUser ?? 65532).toBe(65532);
  expect(spec.hostNetwork ?? false).toBe(false);
  expect(spec.hostPID ?? false).toBe(false);
  expect(spec.hostIPC ?? false).toBe(false);
  expect(spec.automountServiceAccountToken).toBe(true);
  expect(spec.serviceAccountName).toBeTruthy();

  // A writable /tmp on the read-only root filesystem.
  const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
  expect(tmp, 'a /tmp mount').toBeDefined();
  expect(tmp?.readOnly ?? false).toBe(false);
  expect(spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, '/tmp is an emptyDir').toBeDefined();

  // Resources: requests for scheduling, a memory limit above the 200 MiB RSS goal.
  expect(c.resources?.requests?.cpu).toBeTruthy();
  expect(c.resources?.requests?.memory).toBeTruthy();
  expect(mebibytes(c.resources?.limits?.memory ?? '0')).toBeGreaterThanOrEqual(200);

  // Environment: only settings the operator knows, downward API for its identity, values it accepts.
  const names = (c.env ?? []).map((e) => e.name);
  expect(names.filter((n) => !KNOWN_ENV.has(n)), 'env vars that are not settings in src/config.ts').toEqual([]);
  expect(new Set(names).size, 'no duplicate env vars').toBe(names.length);
  expect(c.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
  expect(c.env?.find((e) => e.name === 'POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  const env = resolvedEnv(deployment);
  const config = loadConfig(env);

  // Probes on the health port, which is where HEALTH_ADDR listens.
  expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
  expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
  expect(config.healthAddr?.port).toBe(portOf(c, 'health'));
  if (config.metricsAddr) expect(config.metricsAddr.port).toBe(portOf(c, 'metrics'));
  else expect(portOf(c, 'metrics')).toBeUndefined();

  // SIGTERM: drain for SHUTDOWN_TIMEOUT, then flush Events, release the Lease, close servers.
  const shutdownMs = env.SHUTDOWN_TIMEOUT ? parseDuration(env.SHUTDOWN_TIMEOUT) : parseDuration(SETTINGS.shutdownTimeout.default);
  expect((spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(shutdownMs + 5_000);

  // More than one replica only makes sense with leader election.
  const replicas = (deployment.spec as { replicas?: number }).replicas ?? 1;
  if (replicas > 1) expect(config.leaderElect).toBe(true);
}

export function mebibytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  const n = Number(m[1]);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[m[2] ?? ''] ?? 1 / 2 ** 20;
  return n * unit;
}

/** Rules as a sorted, comparable list of "group|resource|verb|resourceName" grants. */
export function grants(rules: Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const v of r.verbs ?? []) {
          for (const n of r.resourceNames?.length ? r.resourceNames : ['*any*']) out.add(`${g}|${res}|${v}|${n}`);
        }
      }
    }
  }
  return [...out].sort();
}

/** Every non-empty document of a YAML file; throws on a YAML error. */
export function loadYamlDocs(file: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as Obj | null;
    if (obj !== null) out.push(obj);
  }
  return out;
}
