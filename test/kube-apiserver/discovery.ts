// Discovery documents (/api, /apis, /api/v1, /apis/{group}/{version}) and
// /version, built from the resources currently served.
import { apiVersionOf, type ResourceType } from './resource-type.ts';

export const SERVER_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-04-23T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]): object {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

function groupsOf(types: readonly ResourceType[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const rt of types) {
    if (!rt.group) continue;
    const versions = groups.get(rt.group) ?? [];
    if (!versions.includes(rt.version)) versions.push(rt.version);
    groups.set(rt.group, versions);
  }
  return groups;
}

export function apiGroupList(types: readonly ResourceType[]): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupsOf(types)].map(([name, versions]) => groupEntry(name, versions)) };
}

export function apiGroup(types: readonly ResourceType[], group: string): object | undefined {
  const versions = groupsOf(types).get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

export function apiResourceList(types: readonly ResourceType[], group: string, version: string): object | undefined {
  const served = types.filter((rt) => rt.group === group && rt.version === version);
  if (served.length === 0) return undefined;
  const resources: object[] = [];
  for (const rt of served) {
    resources.push({
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: [...rt.verbs],
      ...(rt.shortNames.length ? { shortNames: [...rt.shortNames] } : {}),
      ...(rt.categories.length ? { categories: [...rt.categories] } : {}),
    });
    if (rt.statusSubresource) {
      resources.push({ name: `${rt.resource}/status`, singularName: '', namespaced: rt.namespaced, kind: rt.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  const groupVersion = apiVersionOf({ group, version });
  return group ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources } : { kind: 'APIResourceList', groupVersion, resources };
}
