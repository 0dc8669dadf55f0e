// The registered provider modules (./registry.ts) as the core uses them: by
// name, and for a binding's spec, which one it names and with what.
import type { Static, TObject } from '@sinclair/typebox';
import type { ProviderModule } from './module.ts';
import type { ProviderScope } from './provider.ts';
import * as registry from './registry.ts';

export type RegisteredModule = (typeof registry)[keyof typeof registry];
export type ProviderName = RegisteredModule['name'];

/** Every registered module, in name order (a module namespace lists its exports sorted). */
export const PROVIDERS: readonly RegisteredModule[] = Object.values(registry);

/** The modules as the core handles them: without their spec types. */
const MODULES = PROVIDERS as unknown as readonly ProviderModule[];
const BY_NAME = new Map(MODULES.map((m) => [m.name, m]));

export const PROVIDER_NAMES: readonly ProviderName[] = PROVIDERS.map((m) => m.name);

export function providerModule(name: string): ProviderModule | undefined {
  return BY_NAME.get(name);
}

/** The one provider a binding's spec names (the CRD admits exactly one), as a scope its driver connects. */
export function scopeOf(spec: object): ProviderScope | undefined {
  const fields = spec as Readonly<Record<string, unknown>>;
  for (const module of MODULES) {
    const fragment = fields[module.name];
    if (fragment !== undefined && fragment !== null) return { provider: module.name, spec: fragment };
  }
  return undefined;
}

/** The scope's targets, as written in the spec. */
export function targetsOf(scope: ProviderScope): readonly string[] {
  return BY_NAME.get(scope.provider)?.targets(scope.spec as Static<TObject>) ?? [];
}

/** Claims of the scope's targets, unique across providers: `<provider>/<claim>`. */
export function targetClaims(scope: ProviderScope): Array<{ target: string; claim: string }> {
  const module = BY_NAME.get(scope.provider);
  if (!module) return [];
  return module.targets(scope.spec as Static<TObject>).map((target) => ({ target, claim: `${module.name}/${module.claim(scope.spec as Static<TObject>, target)}` }));
}
