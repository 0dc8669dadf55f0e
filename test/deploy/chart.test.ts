// The Helm chart: metadata, values and their schema, the templates' source,
// and what they render for the defaults and for the options that change the
// install (rendered with test/deploy/lib/gotemplate.ts, which
// helm-go.test.ts checks against Go's text/template + Sprig).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { PROVIDERS } from '../../src/providers/catalog.ts';
import type { ProviderSetting } from '../../src/providers/module.ts';
import { PROVIDERS_TPL, providersTpl, SCHEMA_FILE, VALUES_FILE, withSchemaProperties, withValuesSection } from '../tools/chart-providers.ts';
import { kustomizeBuild } from '../tools/render-install.ts';
import { parseTemplate } from './lib/gotemplate.ts';
import {
  chartDir,
  chartMeta,
  coalesce,
  defaultValues,
  find,
  one,
  renderChart,
  repoRoot,
  schemaErrors,
  templateFiles,
  valuesSchema,
  ValuesError,
  type Obj,
} from './lib/chart.ts';
import { checkOperatorPod, KNOWN_ENV, operatorContainer, packageVersion, podLabels, podSpec, resolvedEnv, selector } from './lib/checks.ts';

const templateText = (f: string) => readFileSync(join(chartDir, 'templates', f), 'utf8');
const allTemplates = templateFiles().map((f) => ({ file: f, text: templateText(f) }));

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; items?: Schema; $schema?: string };

describe('Chart.yaml', () => {
  const meta = chartMeta();

  it('is a Helm 3 application chart with the required metadata', () => {
    expect(meta).toMatchObject({ apiVersion: 'v2', name: 'cdn-cert-sync', type: 'application', kubeVersion: '>=1.25.0-0' });
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    for (const field of ['description', 'home']) expect(meta[field], field).toBeTruthy();
    for (const field of ['sources', 'keywords', 'maintainers']) expect((meta[field] as unknown[]).length, field).toBeGreaterThan(0);
  });

  it('appVersion is the package.json version (a string)', () => {
    expect(meta.appVersion).toBe(packageVersion);
    expect(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')).toMatch(/^appVersion: "[^"]+"$/m);
  });

  it('ships the generated CRD in crds/, identical to the top-level crds/ file', () => {
    const name = 'cdn-cert-sync.io_cdncertificatebindings.yaml';
    expect(readFileSync(join(chartDir, 'crds', name), 'utf8')).toBe(readFileSync(join(repoRoot, 'crds', name), 'utf8'));
  });
});

describe('values.yaml and values.schema.json', () => {
  const values = defaultValues();
  const schema = valuesSchema() as Schema;

  it('the schema is draft-07 and closed at the top level', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
  });

  it('the defaults validate', () => {
    expect(schemaErrors(values)).toEqual([]);
  });

  it('every default value has a schema property and every schema property a default', () => {
    const missing: string[] = [];
    const walk = (v: unknown, s: Schema | undefined, path: string) => {
      if (!s?.properties) return;
      for (const key of Object.keys(s.properties)) if (key !== 'global' && !(v && typeof v === 'object' && key in v)) missing.push(`${path}${key} (no default)`);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [key, child] of Object.entries(v)) {
          if (!(key in s.properties)) missing.push(`${path}${key} (not in schema)`);
          walk(child, s.properties[key], `${path}${key}.`);
        }
      }
    };
    walk(values, schema, '');
    expect(missing).toEqual([]);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['an unknown top-level key', { replicas: 2 }],
    ['an unknown nested key', { image: { name: 'x' } }],
    ['a non-integer replicaCount', { replicaCount: 'two' }],
    ['an unknown log level', { logLevel: 'verbose' }],
    ['a malformed duration', { resyncInterval: '1 hour' }],
    ['an invalid namespace to watch', { watchNamespaces: ['Team_A'] }],
    ['a duplicate namespace to watch', { watchNamespaces: ['a', 'a'] }],
    ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }],
    ['a port out of range', { metrics: { port: 70000 } }],
    ['zero concurrency', { concurrency: 0 }],
    ['an invalid Secret name', { credentials: { alibabaSecretName: 'Bad_Name' } }],
    ['a non-http endpoint', { alibaba: { endpoint: 'ftp://cdn.example.com' } }],
    ['an extraEnv entry without a name', { extraEnv: [{ value: 'x' }] }],
    ['a malformed digest', { image: { digest: 'latest' } }],
    ['a string where a boolean belongs', { leaderElection: { enabled: 'yes' } }],
    ['a bad PDB minAvailable', { podDisruptionBudget: { minAvailable: 'half' } }],
  ];
  for (const [what, override] of bad) {
    it(`rejects ${what}`, () => {
      expect(schemaErrors(coalesce(values, override)).length).toBeGreaterThan(0);
      expect(() => renderChart({ values: override })).toThrow(ValuesError);
    });
  }

  it('accepts the documented alternatives', () => {
    for (const ok of [
      { podDisruptionBudget: { minAvailable: '50%' } },
      { image: { digest: `sha256:${'0'.repeat(64)}` } },
      { watchNamespaces: ['team-a', 'team-b'] },
      { alibaba: { endpoint: 'http://127.0.0.1:18080' } },
      { extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }] },
    ]) {
      expect(schemaErrors(coalesce(values, ok)), JSON.stringify(ok)).toEqual([]);
    }
  });

  it('every value is documented with a helm-docs "# --" comment', () => {
    const doc = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const visit = (map: YAMLMap, s: Schema | undefined, path: string) => {
      map.items.forEach((pair: Pair, i) => {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        const here = `${path}${key}`;
        const child = s?.properties?.[key];
        // A section (an object the schema lists properties for) documents its children instead.
        if (child?.properties && isMap(pair.value)) {
          visit(pair.value, child, `${here}.`);
          return;
        }
        const keyNode = pair.key as { commentBefore?: string | null };
        let comment = keyNode.commentBefore ?? '';
        if (i === 0 && !comment) comment = (map as { commentBefore?: string | null }).commentBefore ?? '';
        if (i === 0 && !comment && path === '') comment = doc.commentBefore ?? '';
        if (!/(^|\n) ?-- \S/.test(comment)) undocumented.push(here);
      });
    };
    if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
    visit(doc.contents, valuesSchema() as Schema, '');
    expect(undocumented).toEqual([]);
  });
});

describe('templates (source)', () => {
  const leafPaths = (v: unknown, prefix: string, s: Schema | undefined): string[] =>
    v && typeof v === 'object' && !Array.isArray(v) && s?.properties
      ? Object.entries(v).flatMap(([k, child]) => [`${prefix}${k}`, ...leafPaths(child, `${prefix}${k}.`, s.properties?.[k])])
      : [];
  const known = new Set(leafPaths(defaultValues(), '', valuesSchema() as Schema));
  const refs = allTemplates.flatMap(({ file, text }) => [...text.matchAll(/\.Values\.([a-zA-Z0-9_.]+)/g)].map((m) => ({ file, path: (m[1] ?? '').replace(/\.$/, '') })));

  it('every .Values.x.y a template reads exists in values.yaml', () => {
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((r) => !known.has(r.path)).map((r) => `${r.file}: .Values.${r.path}`)).toEqual([]);
  });

  it('every value in values.yaml is read by some template', () => {
    const used = (path: string) => refs.some((r) => path === r.path || path.startsWith(`${r.path}.`));
    expect([...known].filter((p) => !used(p) && ![...known].some((q) => q.startsWith(`${p}.`)))).toEqual([]);
  });

  it('every template parses: delimiters balanced, control structures closed', () => {
    for (const { file, text } of allTemplates) {
      expect(() => parseTemplate(text, file), file).not.toThrow();
      // Outside actions (and raw strings inside them) no stray delimiter may remain.
      const outside = text.replace(/\{\{(?:[^`}]|`[^`]*`|\}(?!\}))*\}\}/g, '');
      expect(outside.includes('{{') || outside.includes('}}'), `${file}: unbalanced {{ }}`).toBe(false);
    }
  });

  it('a broken template is caught', () => {
    expect(() => parseTemplate('{{ if .Values.x }}a', 'broken')).toThrow(/not closed/);
    expect(() => parseTemplate('{{ .Values.x }', 'broken')).toThrow(/unclosed action/);
    expect(() => parseTemplate('a {{ end }}', 'broken')).toThrow(/unexpected/);
  });

  it('every include and template names a defined template, and every defined template is used', () => {
    const defined = new Set(allTemplates.flatMap(({ text }) => [...text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1])));
    const used = allTemplates.flatMap(({ file, text }) => [...text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)].map((m) => ({ file, name: m[1] ?? '' })));
    expect(used.filter((u) => !defined.has(u.name)).map((u) => `${u.file}: ${u.name}`)).toEqual([]);
    expect([...defined].filter((d) => !used.some((u) => u.name === d))).toEqual([]);
    for (const name of ['cdn-cert-sync.fullname', 'cdn-cert-sync.labels', 'cdn-cert-sync.selectorLabels', 'cdn-cert-sync.serviceAccountName']) expect(defined).toContain(name);
  });

  it('the Deployment sets only env vars the operator knows (src/config.ts SETTINGS or POD_NAME)', () => {
    const names = [...`${templateText('deployment.yaml')}\n${templateText('_providers.tpl')}`.matchAll(/- name: ([A-Z][A-Z0-9_]*)\s*$/gm)].map((m) => m[1] ?? '');
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !KNOWN_ENV.has(n))).toEqual([]);
  });

  it('the provider settings in _providers.tpl, values.yaml and values.schema.json are the generated ones (run npm run generate)', () => {
    const root = join(import.meta.dirname, '..', '..');
    expect(readFileSync(join(root, PROVIDERS_TPL), 'utf8')).toBe(providersTpl());
    const values = readFileSync(join(root, VALUES_FILE), 'utf8');
    expect(values).toBe(withValuesSection(values));
    const schema = readFileSync(join(root, SCHEMA_FILE), 'utf8');
    expect(schema).toBe(withSchemaProperties(schema));
  });

  it('every provider setting set through its chart value reaches the operator\'s config', () => {
    const values: Record<string, Record<string, unknown>> = {};
    const expected: Record<string, Record<string, unknown>> = {};
    for (const m of PROVIDERS) {
      for (const [key, setting] of Object.entries(m.settings as Readonly<Record<string, ProviderSetting>>)) {
        const [group = '', field = ''] = setting.value.split('.');
        const value = setting.kind === 'bool' ? true : setting.kind === 'url' ? `https://${setting.env.toLowerCase().replace(/_/g, '-')}.example.com` : `${field.toLowerCase()}-x`;
        (values[group] ??= {})[field] = value;
        (expected[m.name] ??= {})[key] = value;
      }
    }
    const config = loadConfig(resolvedEnv(one(renderChart({ values, namespace: 'cdn-cert-sync' }).objects, 'Deployment')));
    expect(config.providers).toEqual(expected);
  });
});

describe('rendered with the defaults', () => {
  const { objects, files } = renderChart();

  it('renders the install: ServiceAccount, RBAC, Deployment, metrics Service, PodDisruptionBudget', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
  });

  it('every object has the standard labels and, when namespaced, the release namespace', () => {
    for (const o of objects) {
      expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({
        'helm.sh/chart': 'cdn-cert-sync-0.1.0',
        'app.kubernetes.io/name': 'cdn-cert-sync',
        'app.kubernetes.io/instance': 'cdn-cert-sync',
        'app.kubernetes.io/version': packageVersion,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/part-of': 'cdn-cert-sync',
      });
      if (!['ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, `${o.kind}`).toBe('cdn-cert-sync');
    }
  });

  it('the pod follows the same rules as deploy/', () => {
    checkOperatorPod(one(objects, 'Deployment'));
  });

  it('matches the kubectl install where they overlap', () => {
    const chart = one(objects, 'Deployment');
    const kubectl = one(kustomizeBuild(join(repoRoot, 'deploy')) as Obj[], 'Deployment');
    const pick = (d: Obj) => {
      const { env: _env, ...container } = operatorContainer(d);
      const { containers: _c, topologySpreadConstraints: _t, ...pod } = podSpec(d) as unknown as Record<string, unknown>;
      return { container, pod, replicas: (d.spec as { replicas: number }).replicas, selector: selector(d) };
    };
    expect(pick(chart)).toEqual(pick(kubectl));
    const chartEnv = resolvedEnv(chart);
    const kubectlEnv = resolvedEnv(kubectl);
    for (const [k, v] of Object.entries(kubectlEnv)) expect(chartEnv[k], k).toBe(v);
    expect(loadConfig(chartEnv)).toEqual(loadConfig(kubectlEnv));
  });

  it('the image defaults to the appVersion tag', () => {
    expect(operatorContainer(one(objects, 'Deployment')).image).toBe(`ghcr.io/cdn-cert-sync/cdn-cert-sync:${packageVersion}`);
  });

  it('the Service and PodDisruptionBudget select the operator pods', () => {
    const labels = podLabels(one(objects, 'Deployment'));
    for (const o of [one(objects, 'Service'), one(objects, 'PodDisruptionBudget'), one(objects, 'Deployment')]) expect(labels).toMatchObject(selector(o));
  });

  it('renders NOTES.txt without missing values', () => {
    const notes = files.get('templates/NOTES.txt') ?? '';
    expect(notes).toContain('in namespace cdn-cert-sync');
    expect(notes).toContain('cdn-cert-sync/cdn-cert-sync-leader');
    expect(notes).not.toMatch(/<no value>|<nil>|map\[/);
  });

  it('leaves out the optional objects', () => {
    expect(find(objects, 'ServiceMonitor')).toEqual([]);
    expect(find(objects, 'PrometheusRule')).toEqual([]);
  });
});

describe('rendered with options', () => {
  const deploymentEnv = (values: Record<string, unknown>, namespace = 'cdn-cert-sync') => resolvedEnv(one(renderChart({ values, namespace }).objects, 'Deployment'));

  it('leader election is on whenever replicaCount > 1, and the PodDisruptionBudget only then', () => {
    const cases: Array<[number, boolean, string, boolean]> = [
      [1, false, 'false', false],
      [1, true, 'true', false],
      [2, false, 'true', true],
      [3, true, 'true', true],
    ];
    for (const [replicaCount, enabled, elect, pdb] of cases) {
      const { objects } = renderChart({ values: { replicaCount, leaderElection: { enabled } } });
      const d = one(objects, 'Deployment');
      expect(resolvedEnv(d).LEADER_ELECT, `${replicaCount} replicas, enabled=${enabled}`).toBe(elect);
      expect(find(objects, 'PodDisruptionBudget').length, `PDB with ${replicaCount} replicas`).toBe(pdb ? 1 : 0);
      expect((d.spec as { replicas: number }).replicas).toBe(replicaCount);
      checkOperatorPod(d);
    }
    expect(find(renderChart({ values: { podDisruptionBudget: { enabled: false } } }).objects, 'PodDisruptionBudget')).toEqual([]);
  });

  it('operator settings reach the environment and the operator accepts them', () => {
    const env = deploymentEnv({
      logLevel: 'debug',
      concurrency: 8,
      resyncInterval: '30m',
      providerTimeout: '15s',
      shutdownTimeout: '25s',
      terminationGracePeriodSeconds: 40,
      watchNamespaces: ['team-a', 'team-b'],
      credentials: { alibabaSecretName: 'ali', tencentSecretName: 'tc' },
      alibaba: { endpoint: 'https://cdn.example.com', rrsa: true },
      tencent: { teoEndpoint: 'https://teo.intl.tencentcloudapi.com', sslEndpoint: 'https://ssl.intl.tencentcloudapi.com' },
      health: { port: 9440 },
      metrics: { port: 9090 },
    });
    const config = loadConfig(env);
    expect(config).toMatchObject({
      logLevel: 'debug',
      concurrency: 8,
      resyncIntervalMs: 30 * 60_000,
      providerTimeoutMs: 15_000,
      shutdownTimeoutMs: 25_000,
      watchNamespaces: ['team-a', 'team-b'],
      podNamespace: 'cdn-cert-sync',
      providers: {
        alibaba: { credentialsSecret: 'ali', rrsa: true, endpoint: 'https://cdn.example.com' },
        tencent: { credentialsSecret: 'tc', teoEndpoint: 'https://teo.intl.tencentcloudapi.com', sslEndpoint: 'https://ssl.intl.tencentcloudapi.com' },
      },
      healthAddr: { host: undefined, port: 9440 },
      metricsAddr: { host: undefined, port: 9090 },
      leaderElect: true,
      leaderElectionId: 'cdn-cert-sync-leader',
    });
  });

  it('custom ports: probes, container ports and the Service follow', () => {
    const { objects } = renderChart({ values: { health: { port: 9440 }, metrics: { port: 9090 } } });
    const d = one(objects, 'Deployment');
    checkOperatorPod(d);
    expect(operatorContainer(d).ports?.map((p) => `${p.name}:${p.containerPort}`)).toEqual(['health:9440', 'metrics:9090']);
    expect((one(objects, 'Service').spec as { ports: Array<{ port: number; targetPort: string }> }).ports[0]).toMatchObject({ port: 9090, targetPort: 'metrics' });
  });

  it('metrics.enabled=false: no metrics endpoint, Service, ServiceMonitor or PrometheusRule', () => {
    const { objects } = renderChart({ values: { metrics: { enabled: false, serviceMonitor: { enabled: true } }, prometheusRule: { enabled: true } } });
    const d = one(objects, 'Deployment');
    checkOperatorPod(d);
    expect(resolvedEnv(d).METRICS_ADDR).toBe('');
    expect(loadConfig(resolvedEnv(d)).metricsAddr).toBeUndefined();
    expect(objects.filter((o) => ['Service', 'ServiceMonitor', 'PrometheusRule'].includes(o.kind))).toEqual([]);
  });

  it('image: tag and digest', () => {
    const image = (v: Record<string, unknown>) => operatorContainer(one(renderChart({ values: { image: v } }).objects, 'Deployment')).image;
    expect(image({ repository: 'registry.example.com/ccs', tag: '1.2.3' })).toBe('registry.example.com/ccs:1.2.3');
    expect(image({ digest: `sha256:${'a'.repeat(64)}` })).toBe(`ghcr.io/cdn-cert-sync/cdn-cert-sync@sha256:${'a'.repeat(64)}`);
  });

  it('scheduling and pod options are passed through', () => {
    const values = {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } },
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/a': 'b' },
      podLabels: { team: 'ops' },
      imagePullSecrets: [{ name: 'regcred' }],
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
        { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { custom: 'yes' } } },
      ],
      extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
    };
    const d = one(renderChart({ values }).objects, 'Deployment');
    const spec = podSpec(d) as unknown as Record<string, unknown>;
    expect(spec).toMatchObject({ nodeSelector: values.nodeSelector, tolerations: values.tolerations, affinity: values.affinity, priorityClassName: 'system-cluster-critical', imagePullSecrets: [{ name: 'regcred' }] });
    const template = (d.spec as { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } }).template.metadata;
    expect(template.labels).toMatchObject({ team: 'ops', ...selector(d) });
    expect(template.annotations).toMatchObject({ 'example.com/a': 'b' });
    expect(spec.topologySpreadConstraints).toEqual([
      { ...values.topologySpreadConstraints[0], labelSelector: { matchLabels: selector(d) } },
      values.topologySpreadConstraints[1],
    ]);
    expect(operatorContainer(d).env?.at(-1)).toEqual({ name: 'HTTPS_PROXY', value: 'http://proxy:3128' });
  });

  it('ServiceAccount: RRSA annotations, or an existing account', () => {
    const annotated = renderChart({ values: { serviceAccount: { annotations: { 'pod-identity.alibabacloud.com/role-name': 'ccs' } } } }).objects;
    expect(one(annotated, 'ServiceAccount').metadata.annotations).toEqual({ 'pod-identity.alibabacloud.com/role-name': 'ccs' });
    const existing = renderChart({ values: { serviceAccount: { create: false, name: 'ops-sa' } } }).objects;
    expect(find(existing, 'ServiceAccount')).toEqual([]);
    expect(podSpec(one(existing, 'Deployment')).serviceAccountName).toBe('ops-sa');
    expect((one(existing, 'ClusterRoleBinding').subjects as Array<{ name: string }>)[0]?.name).toBe('ops-sa');
  });

  it('names: release name + chart name, at most 63 characters (RBAC role suffixes aside)', () => {
    expect(one(renderChart({ releaseName: 'edge' }).objects, 'Deployment').metadata.name).toBe('edge-cdn-cert-sync');
    expect(one(renderChart({ releaseName: 'my-cdn-cert-sync' }).objects, 'Deployment').metadata.name).toBe('my-cdn-cert-sync');
    expect(one(renderChart({ values: { fullnameOverride: 'ccs' } }).objects, 'Deployment').metadata.name).toBe('ccs');
    const long = renderChart({ releaseName: 'r'.repeat(53) });
    for (const o of long.objects) {
      // Services are DNS-1035 labels; the others follow the fullname (63), with suffixes only on RBAC objects.
      const limit = ['Role', 'RoleBinding'].includes(o.kind) ? 253 : 63;
      expect(o.metadata.name.length, `${o.kind} ${o.metadata.name}`).toBeLessThanOrEqual(limit);
      expect(o.metadata.name, `${o.kind}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      for (const v of Object.values(o.metadata.labels ?? {})) expect(v.length).toBeLessThanOrEqual(63);
    }
    expect(one(long.objects, 'Service').metadata.name).toMatch(/-metrics$/);
  });

  it('ServiceMonitor: selects the metrics Service port, keeps the binding labels', () => {
    const { objects } = renderChart({ values: { metrics: { serviceMonitor: { enabled: true, interval: '1m', labels: { release: 'kube-prometheus' } } } } });
    const sm = one(objects, 'ServiceMonitor');
    const svc = one(objects, 'Service');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'kube-prometheus' });
    const spec = sm.spec as { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: Array<Record<string, unknown>> };
    expect(svc.metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(spec.namespaceSelector.matchNames).toEqual([svc.metadata.namespace]);
    expect(spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '1m', scrapeTimeout: '10s', honorLabels: true }]);
    expect((svc.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name)).toContain('metrics');
  });

  describe('PrometheusRule', () => {
    const metricsSource = readFileSync(join(repoRoot, 'src/telemetry/metrics.ts'), 'utf8');
    const exported = new Set([...metricsSource.matchAll(/\$\{PREFIX\}([a-z_]+)/g)].map((m) => `cdn_cert_sync_${m[1]}`));
    const render = (values: Record<string, unknown> = {}) =>
      one(renderChart({ releaseName: 'edge', values: coalesce({ prometheusRule: { enabled: true } }, values) as Record<string, unknown> }).objects, 'PrometheusRule');
    type AlertRule = { alert: string; expr: string; for: string; labels: { severity: string }; annotations: Record<string, string> };
    const alerts = (rule: Obj) => (rule.spec as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap((g) => g.rules);

    it('has the binding, error, expiry, down and leader alerts', () => {
      expect(alerts(render()).map((a) => a.alert)).toEqual([
        'CdnCertSyncBindingNotSynced',
        'CdnCertSyncReconcileErrors',
        'CdnCertSyncCertificateExpiringSoon',
        'CdnCertSyncDown',
        'CdnCertSyncNoLeader',
      ]);
    });

    it('queries only metrics the operator exports, for this release\'s job', () => {
      expect(exported.size).toBeGreaterThan(8);
      for (const a of alerts(render())) {
        for (const m of a.expr.matchAll(/\b(cdn_cert_sync_[a-z_]+)/g)) expect(exported, `${a.alert}: ${m[1]}`).toContain(m[1]);
        expect(a.expr, a.alert).toContain('job="edge-cdn-cert-sync-metrics"');
        expect(a.for).toMatch(/^\d+[smh]$/);
        expect(a.labels.severity).toBeTruthy();
      }
    });

    it('uses the thresholds from values, and keeps Prometheus templating in annotations', () => {
      const rules = alerts(render({ prometheusRule: { rules: { certificateExpiringSoon: { days: 21 }, bindingNotSynced: { staleAfterSeconds: 7200 } } } }));
      expect(rules.find((a) => a.alert === 'CdnCertSyncCertificateExpiringSoon')?.expr).toContain('< 21 * 24 * 3600');
      expect(rules.find((a) => a.alert === 'CdnCertSyncCertificateExpiringSoon')?.expr).toContain('cdn_cert_sync_certificate_expiry_timestamp_seconds');
      expect(rules.find((a) => a.alert === 'CdnCertSyncBindingNotSynced')?.expr).toMatch(/cdn_cert_sync_last_sync_timestamp_seconds.*> 7200\n?$/);
      expect(rules.find((a) => a.alert === 'CdnCertSyncBindingNotSynced')?.annotations.description).toContain('{{ $labels.namespace }}/{{ $labels.name }}');
    });

    it('alerts can be turned off one by one, and extra rules are appended', () => {
      const rules = alerts(
        render({ prometheusRule: { rules: { noLeader: { enabled: false }, reconcileErrors: { enabled: false } }, extraRules: [{ alert: 'Custom', expr: 'vector(1)' }] } }),
      );
      expect(rules.map((a) => a.alert)).toEqual(['CdnCertSyncBindingNotSynced', 'CdnCertSyncCertificateExpiringSoon', 'Custom']);
    });
  });
});
