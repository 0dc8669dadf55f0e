// Cross-checks the TypeScript Go-template renderer (lib/gotemplate.ts) that
// the chart tests use against Go's own text/template + Sprig + Helm's
// extra functions (helm-go/main.go), on the chart for many value sets and on
// edge cases. Runs only where a Go toolchain and the Debian Sprig sources
// are installed:
//   apt-get install golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
// and is skipped elsewhere (the chart tests still run on the TS renderer).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './lib/gotemplate.ts';
import { chartDir, chartMeta, coalesce, defaultValues, renderChart, templateFiles } from './lib/chart.ts';

const GOPATH_SYSTEM = '/usr/share/gocode';
const SPRIG = join(GOPATH_SYSTEM, 'src/github.com/Masterminds/sprig');
const haveGo = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 20_000 }).status === 0 && existsSync(SPRIG) && existsSync(join(GOPATH_SYSTEM, 'src/github.com/ghodss/yaml'));

type GoResult = Record<string, { text?: string; error?: string }>;

describe.skipIf(!haveGo)('TS renderer vs Go text/template + Sprig', () => {
  let work = '';
  let binary = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ccs-helm-go-'));
    // Debian installs Sprig v3 without its /v3 import path: give it one in a private GOPATH.
    mkdirSync(join(work, 'src/github.com/Masterminds/sprig'), { recursive: true });
    symlinkSync(SPRIG, join(work, 'src/github.com/Masterminds/sprig/v3'));
    const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH: `${work}:${GOPATH_SYSTEM}`, GOFLAGS: '' };
    if (!env.GOCACHE && !env.XDG_CACHE_HOME && !env.HOME) env.GOCACHE = join(work, 'cache');
    const out = join(work, 'helm-go');
    const build = spawnSync('go', ['build', '-o', out, join(import.meta.dirname, 'helm-go', 'main.go')], { cwd: work, encoding: 'utf8', env, timeout: 170_000 });
    if (build.status === 0) binary = out;
    else console.warn(`helm-go.test.ts: skipped, go build failed: ${build.error?.message ?? build.stderr}`);
  }, 180_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const runGo = (templates: Record<string, string>, data: unknown): GoResult => {
    const r = spawnSync(binary, { input: JSON.stringify({ templates, data }), encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`helm-go: ${r.stderr}`);
    return JSON.parse(r.stdout) as GoResult;
  };

  const chartData = (values: Record<string, unknown>, releaseName: string, namespace: string) => {
    const meta = chartMeta();
    return {
      Values: coalesce(defaultValues(), values),
      Release: { Name: releaseName, Namespace: namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
      Chart: Object.fromEntries(Object.entries(meta).map(([k, v]) => [k === 'apiVersion' ? 'APIVersion' : `${k[0]?.toUpperCase()}${k.slice(1)}`, v])),
      Capabilities: { KubeVersion: { Version: 'v1.30.0', Major: '1', Minor: '30', GitVersion: 'v1.30.0' } },
    };
  };

  const VALUE_SETS: Array<Record<string, unknown>> = [
    {},
    { watchNamespaces: ['team-a', 'team-b'], credentials: { alibabaSecretName: 'ali', tencentSecretName: 'tc' } },
    { watchNamespaces: ['ops'], credentials: { alibabaSecretName: 'ali' } },
    { replicaCount: 1, leaderElection: { enabled: false }, metrics: { enabled: false } },
    { replicaCount: 3, leaderElection: { enabled: false, leaseName: 'custom-lease' }, podDisruptionBudget: { minAvailable: '50%' } },
    { metrics: { port: 9090, serviceMonitor: { enabled: true, labels: { release: 'prom' } }, service: { annotations: { a: 'b' } } }, prometheusRule: { enabled: true, labels: { release: 'prom' }, extraRules: [{ alert: 'X', expr: 'up == 0' }] } },
    { prometheusRule: { enabled: true, rules: { noLeader: { enabled: false }, certificateExpiringSoon: { days: 30 } } } },
    {
      image: { digest: `sha256:${'a'.repeat(64)}` },
      extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
      podLabels: { a: 'b' },
      podAnnotations: { c: 'd' },
      nodeSelector: { x: 'y' },
      tolerations: [{ key: 'k', operator: 'Exists' }],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } },
      priorityClassName: 'high',
      imagePullSecrets: [{ name: 'regcred' }],
      alibaba: { rrsa: true, endpoint: 'https://cdn.example.com' },
      tencent: { teoEndpoint: 'https://teo.intl.tencentcloudapi.com', sslEndpoint: 'https://ssl.intl.tencentcloudapi.com' },
      serviceAccount: { annotations: { 'pod-identity.alibabacloud.com/role-name': 'r' } },
    },
    { serviceAccount: { create: false, name: 'existing' }, rbac: { create: false } },
    { fullnameOverride: 'x'.repeat(63) },
    { nameOverride: 'ccs', topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }] },
    { topologySpreadConstraints: [], podSecurityContext: {}, resources: {} },
  ];

  it('renders every chart file identically for many value sets and release names', (ctx) => {
    if (!binary) ctx.skip();
    const templates = Object.fromEntries(templateFiles().map((f) => [`templates/${f}`, readFileSync(join(chartDir, 'templates', f), 'utf8')]));
    let compared = 0;
    for (const values of VALUE_SETS) {
      for (const [releaseName, namespace] of [
        ['cdn-cert-sync', 'cdn-cert-sync'],
        ['r'.repeat(60), 'ops'],
      ] as const) {
        const ts = renderChart({ values, releaseName, namespace });
        const go = runGo(templates, chartData(values, releaseName, namespace));
        for (const [file, text] of ts.files) {
          expect(go[file]?.error, `${file} with ${JSON.stringify(values)}`).toBeUndefined();
          expect(text, `${file} with ${JSON.stringify(values)} (release ${releaseName})`).toBe(go[file]?.text);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(80);
  });

  const CASES: Array<[string, unknown]> = [
    ['a  \n  {{- "b" -}}  \n  c {{-3}}', {}],
    ['{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}', { Values: { a: 0, b: 'x' } }],
    ['{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}', { Values: { m: { z: 1, a: 2.5 } } }],
    ['{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ else }}none{{ end }}', { Values: { l: ['p', 'q'] } }],
    ['{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', {}],
    ['[{{ .Values.missing }}]', { Values: {} }],
    ['{{ .Values.missing.key }}', { Values: {} }],
    ['{{ if gt .Values.n 1 }}x{{ end }}', { Values: { n: 2 } }],
    ['{{ if eq .Values.n 2 }}x{{ end }}', { Values: { n: 2 } }],
    ['{{ if gt (int .Values.n) 1 }}x{{ end }}', { Values: { n: 2 } }],
    ['{{ .Values.a }} {{ .Values.b }} {{ .Values.c }} {{ .Values.d }} {{ int .Values.c }}', { Values: { a: 8080, b: 0.5, c: 1000000, d: 123456789 } }],
    ['{{ `{{ $labels.name }}` }} {{ `a "b"` | quote }}', {}],
    ['m:{{ toYaml .Values.m | nindent 2 }}', { Values: { m: { b: 'y', a: [1, 'on', 'yes', '0755', '1.0', 'null', ''], c: { d: true } } } }],
    ['{{ printf "%s-%d" "a" (int 3) | quote }} {{ "abcdef" | trunc 3 }} {{ "a-" | trimSuffix "-" }} {{ default "d" "" }}', {}],
    ['{{ printf "%d" .Values.n }}', { Values: { n: 3 } }],
    ['{{ required "name is required" .Values.name }}', { Values: { name: '' } }],
    ['[{{ and .Values.missing .Values.missing.b }}] [{{ or .Values.e "b" }}]', { Values: { e: '' } }],
    ['{{ join "," .Values.l }} {{ has "b" .Values.l }} {{ toJson (uniq .Values.l) }}', { Values: { l: ['a', 'b', 'a'] } }],
    ['{{ ternary "y" "n" .Values.t }} {{ len .Values.l }} {{ .Values.s | quote }}', { Values: { t: false, l: [1, 2], s: 'x"y' } }],
  ];

  it('agrees on edge cases: output, or that rendering fails', (ctx) => {
    if (!binary) ctx.skip();
    for (const [src, data] of CASES) {
      const go = runGo({ 'templates/t.yaml': src }, data)['templates/t.yaml'];
      let ts: { text?: string; error?: string };
      try {
        const e = new Engine();
        e.add('templates/t.yaml', src);
        ts = { text: e.render('templates/t.yaml', data) };
      } catch (err) {
        ts = { error: (err as Error).message };
      }
      if (go?.error) expect(ts.error, `${src}: Go fails with ${go.error}`).toBeDefined();
      // The TS renderer is stricter on purpose where Go renders garbage (a bad printf verb).
      else if (ts.error && /%!/.test(go?.text ?? '')) continue;
      else expect(ts, src).toEqual({ text: go?.text });
    }
  });
});
