// Renders deploy/kustomization.yaml the way `kubectl apply -k deploy/`
// (kustomize v5) would, for deploy/install.yaml:
//   node_modules/.bin/node test/tools/render-install.ts > deploy/install.yaml
// test/deploy/kustomize.test.ts fails when install.yaml differs from this
// output, and (where a kubectl binary exists) when this differs from
// `kubectl kustomize`.
//
// Only the kustomize features deploy/ uses are implemented; anything else
// throws, so a new feature in a kustomization cannot be silently ignored:
// - `resources`: files (only inside the kustomization's directory: kustomize's
//   default load restrictor) and directories holding a kustomization (not an
//   ancestor of the kustomization being built: kustomize reports a cycle);
// - `namespace`: sets metadata.namespace on namespaced objects, and the
//   namespace of RoleBinding/ClusterRoleBinding subjects named `default`
//   (kustomize's default) or naming a ServiceAccount of the build by its
//   original namespace (kustomize's name-reference fix-up);
// - `patches`: inline or file strategic-merge patches that only delete an
//   object (`$patch: delete`), and JSON 6902 patches (add/replace/remove)
//   with a `target`;
// - output in kustomize's default ("legacy") order, keys sorted like its
//   JSON round trip.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

interface Resource {
  obj: KubeObject;
  /** metadata.namespace as loaded, before any namespace transformer. */
  origNamespace: string | undefined;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches']);

/** Kinds that have no namespace (the ones a kustomization here may hold). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
]);

// kustomize's legacy sort: these kinds first in this order, then the rest, then orderLast.
const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function kindRank(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? last + 1 : 0;
}

function gvk(obj: KubeObject): { group: string; version: string; kind: string } {
  const slash = obj.apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: obj.apiVersion, kind: obj.kind }
    : { group: obj.apiVersion.slice(0, slash), version: obj.apiVersion.slice(slash + 1), kind: obj.kind };
}

/** kustomize's legacyIDSorter: kind rank, then group_version_kind, then kind.version.group|namespace|name. */
export function legacySort(objs: KubeObject[]): KubeObject[] {
  const gvkString = (o: KubeObject) => {
    const g = gvk(o);
    return [g.group || '~G', g.version || '~V', g.kind || '~K'].join('_');
  };
  const idString = (o: KubeObject) => {
    const g = gvk(o);
    return [[g.kind || '[noKind]', g.version || '[noVer]', g.group || '[noGrp]'].join('.'), o.metadata.namespace || '~X', o.metadata.name || '~N'].join('|');
  };
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...objs].sort((a, b) => {
    if (gvkString(a) !== gvkString(b)) {
      const ra = kindRank(a.kind);
      const rb = kindRank(b.kind);
      if (ra !== rb) return ra - rb;
      return cmp(gvkString(a), gvkString(b));
    }
    return cmp(idString(a), idString(b));
  });
}

function isWithin(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent + sep);
}

function loadObjects(file: string): KubeObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (obj === null) continue;
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error(`${file}: every document needs apiVersion, kind and metadata.name`);
    out.push(obj);
  }
  return out;
}

function findKustomization(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

type JsonPatchOp = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

function applyJsonPatch(obj: unknown, ops: JsonPatchOp[], where: string): void {
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop();
    if (last === undefined) throw new Error(`${where}: cannot patch the whole object`);
    let cur: unknown = obj;
    for (const p of parts) {
      cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown> | undefined)?.[p];
      if (cur === undefined || cur === null) throw new Error(`${where}: path ${op.path} does not exist`);
    }
    if (Array.isArray(cur)) {
      const index = last === '-' ? cur.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > cur.length) throw new Error(`${where}: bad index in ${op.path}`);
      if (op.op === 'add') cur.splice(index, 0, structuredClone(op.value));
      else if (index >= cur.length) throw new Error(`${where}: ${op.path} does not exist`);
      else if (op.op === 'replace') cur[index] = structuredClone(op.value);
      else cur.splice(index, 1);
    } else if (typeof cur === 'object' && cur !== null) {
      const map = cur as Record<string, unknown>;
      if (op.op !== 'add' && !(last in map)) throw new Error(`${where}: ${op.path} does not exist`);
      if (op.op === 'remove') delete map[last];
      else map[last] = structuredClone(op.value);
    } else {
      throw new Error(`${where}: ${op.path} is not inside an object or list`);
    }
  }
}

function matchesTarget(obj: KubeObject, target: Record<string, unknown>): boolean {
  const g = gvk(obj);
  for (const [k, v] of Object.entries(target)) {
    const actual = k === 'group' ? g.group : k === 'version' ? g.version : k === 'kind' ? g.kind : k === 'name' ? obj.metadata.name : k === 'namespace' ? obj.metadata.namespace : undefined;
    if (actual === undefined && !['group', 'version', 'kind', 'name', 'namespace'].includes(k)) throw new Error(`patch target field ${k} is not supported`);
    if ((actual ?? '') !== v) return false;
  }
  return true;
}

function applyPatch(resources: Resource[], patch: Record<string, unknown>, dir: string, kfile: string): Resource[] {
  const unknown = Object.keys(patch).filter((k) => !['patch', 'path', 'target'].includes(k));
  if (unknown.length) throw new Error(`${kfile}: patch fields ${unknown.join(', ')} are not supported`);
  let text: string;
  if (typeof patch.path === 'string') {
    const file = resolve(dir, patch.path);
    if (!isWithin(file, dir)) throw new Error(`${kfile}: patch file ${patch.path} is outside the kustomization directory`);
    text = readFileSync(file, 'utf8');
  } else if (typeof patch.patch === 'string') {
    text = patch.patch;
  } else {
    throw new Error(`${kfile}: a patch needs patch or path`);
  }
  const body = parse(text) as unknown;
  const target = patch.target as Record<string, unknown> | undefined;
  if (Array.isArray(body)) {
    if (!target) throw new Error(`${kfile}: a JSON 6902 patch needs a target`);
    const hits = resources.filter((r) => matchesTarget(r.obj, target));
    if (hits.length === 0) throw new Error(`${kfile}: patch target ${JSON.stringify(target)} matches nothing`);
    for (const r of hits) applyJsonPatch(r.obj, body as JsonPatchOp[], kfile);
    return resources;
  }
  const smp = body as KubeObject & { $patch?: string };
  if (smp.$patch !== 'delete') throw new Error(`${kfile}: only "$patch: delete" strategic merge patches are supported`);
  const selector: Record<string, unknown> = { ...gvk(smp), name: smp.metadata.name };
  if (smp.metadata.namespace) selector.namespace = smp.metadata.namespace;
  const kept = resources.filter((r) => !matchesTarget(r.obj, selector));
  if (kept.length === resources.length) throw new Error(`${kfile}: delete patch for ${smp.kind} ${smp.metadata.name} matches nothing`);
  if (target && !kept.every((r) => resources.includes(r))) throw new Error(`${kfile}: unexpected target on a delete patch`);
  return kept;
}

function setNamespace(resources: Resource[], namespace: string): void {
  const serviceAccounts = resources.filter((r) => r.obj.kind === 'ServiceAccount');
  for (const r of resources) {
    if (!CLUSTER_SCOPED.has(r.obj.kind)) r.obj.metadata.namespace = namespace;
  }
  for (const r of resources) {
    if (r.obj.kind !== 'RoleBinding' && r.obj.kind !== 'ClusterRoleBinding') continue;
    const subjects = (r.obj.subjects ?? []) as Array<{ kind?: string; name?: string; namespace?: string }>;
    for (const s of subjects) {
      const movedSa = s.kind === 'ServiceAccount' && serviceAccounts.some((sa) => sa.obj.metadata.name === s.name && sa.origNamespace === s.namespace);
      if (s.name === 'default' || movedSa) s.namespace = namespace;
    }
  }
}

/** Builds one kustomization directory; `visiting` holds the directories on the current include path. */
function build(dir: string, visiting: string[]): Resource[] {
  const real = realpathSync(dir);
  for (const v of visiting) {
    if (isWithin(v, real)) throw new Error(`cycle detected: candidate root '${real}' contains visited root '${v}'`);
  }
  const kfile = findKustomization(real);
  if (!kfile) throw new Error(`${real}: no kustomization.yaml`);
  const k = parse(readFileSync(kfile, 'utf8')) as Record<string, unknown>;
  const unsupported = Object.keys(k).filter((f) => !SUPPORTED_FIELDS.has(f));
  if (unsupported.length) throw new Error(`${kfile}: fields ${unsupported.join(', ')} are not supported by render-install.ts`);
  if (k.kind !== undefined && k.kind !== 'Kustomization') throw new Error(`${kfile}: kind must be Kustomization`);

  let resources: Resource[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const path = resolve(real, entry);
    if (!existsSync(path)) throw new Error(`${kfile}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      resources.push(...build(path, [...visiting, real]));
    } else {
      if (!isWithin(realpathSync(path), real)) {
        throw new Error(`${kfile}: security; file '${path}' is not in or below '${real}' (kustomize's load restrictor)`);
      }
      resources.push(...loadObjects(path).map((obj) => ({ obj, origNamespace: obj.metadata.namespace })));
    }
  }
  const ids = new Set<string>();
  for (const r of resources) {
    const id = `${r.obj.apiVersion}/${r.obj.kind}/${r.obj.metadata.namespace ?? ''}/${r.obj.metadata.name}`;
    if (ids.has(id)) throw new Error(`${kfile}: may not add resource with an already registered id: ${id}`);
    ids.add(id);
  }
  if (typeof k.namespace === 'string') setNamespace(resources, k.namespace);
  for (const p of (k.patches ?? []) as Array<Record<string, unknown>>) resources = applyPatch(resources, p, real, kfile);
  return resources;
}

/** The objects `kustomize build dir` outputs, in its order. */
export function kustomizeBuild(dir: string): KubeObject[] {
  return legacySort(build(resolve(dir), []).map((r) => r.obj));
}

/** Kustomize's output format: documents separated by ---, keys sorted, lists not indented. */
export function toYamlStream(objs: KubeObject[]): string {
  return objs.map((o) => stringify(o, { sortMapEntries: true, indentSeq: false, lineWidth: 0 })).join('---\n');
}

export const INSTALL_HEADER = [
  '# cdn-cert-sync: everything `kubectl apply -k deploy/` installs, in one file:',
  '#   kubectl apply -f deploy/install.yaml',
  '# Generated from deploy/kustomization.yaml by',
  '#   node_modules/.bin/node test/tools/render-install.ts > deploy/install.yaml',
  '# Do not edit: change the files under deploy/ and regenerate.',
  '',
].join('\n');

export function renderInstall(): string {
  return `${INSTALL_HEADER}---\n${toYamlStream(kustomizeBuild(join(root, 'deploy')))}`;
}

const invokedAs = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedAs === realpathSync(fileURLToPath(import.meta.url))) {
  const dir = process.argv[2];
  process.stdout.write(dir ? toYamlStream(kustomizeBuild(dir)) : renderInstall());
  if (dir) process.stderr.write(`rendered ${relative(process.cwd(), dir) || '.'}\n`);
}
