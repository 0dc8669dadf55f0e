// The provider module port: everything the core knows about one CDN, in one
// object each provider folder exports from its index.ts. The CRD schema, the
// "exactly one provider" rule, the settings table, the claims index, the
// memory CDN and the chart's values all derive from the list of modules in
// ./registry.ts, so a new CDN is one folder and one line there.
//
// A module is cheap to import: its driver (and the vendor SDK behind it) is
// loaded by `driver()` only when the first binding for it is reconciled.
import type { Static, TObject } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { CallRecorder } from './calls.ts';
import type { ProviderDriver } from './provider.ts';

export type SettingKind = 'url' | 'bool' | 'string';

/** One operator setting a provider reads: an environment variable, the matching flag, and a chart value. */
export interface ProviderSetting {
  /** Environment variable; the flag is derived from it (ALIBABA_CDN_ENDPOINT → --alibaba-cdn-endpoint). */
  readonly env: string;
  readonly kind: SettingKind;
  readonly default?: string;
  /** For --help, the README and the chart's values.yaml. */
  readonly description: string;
  /**
   * Where the chart takes it from: a dotted path in values.yaml, such as
   * `alibaba.endpoint`. Modules of one vendor share a setting (the same
   * object, so the same env and value) when they share what it configures.
   */
  readonly value: string;
  /** A Secret name in the operator's namespace (the chart then grants read access to it). */
  readonly secretName?: boolean;
}

/** A parsed setting: a flag is a boolean, anything else a string or unset. */
export type SettingValue<S extends ProviderSetting> = S['kind'] extends 'bool'
  ? boolean
  : 'bool' extends S['kind']
    ? string | boolean | undefined
    : string | undefined;
export type SettingValues<T extends Readonly<Record<string, ProviderSetting>>> = { readonly [K in keyof T]: SettingValue<T[K]> };

/** What the operator hands a provider's driver factory; nothing else reaches provider code. */
export interface DriverContext<T extends Readonly<Record<string, ProviderSetting>> = Readonly<Record<string, ProviderSetting>>> {
  /** This provider's settings, parsed. */
  readonly settings: SettingValues<T>;
  /** Per-request timeout for provider HTTP calls. */
  readonly requestTimeoutMs: number;
  /**
   * Checked right before every request that changes something at the CDN:
   * throws a ProviderError when this replica may no longer write (it lost
   * leadership, perhaps while its process was paused). Unset: always allowed.
   */
  readonly assertMayWrite?: ((provider: string) => void) | undefined;
  readonly recordCall: CallRecorder;
  readonly logger: Logger;
  /** The process environment, for proxy variables (HTTPS_PROXY, NO_PROXY); main.ts passes it in. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface ProviderModule<
  N extends string = string,
  S extends TObject = TObject,
  T extends Readonly<Record<string, ProviderSetting>> = Readonly<Record<string, ProviderSetting>>,
> {
  /** The spec field (`spec.<name>`) and the value of `status.provider`. */
  readonly name: N;
  /** The product, for docs and messages: `Alibaba Cloud CDN`. */
  readonly title: string;
  /** The spec fragment, with the descriptions `kubectl explain` prints. */
  readonly spec: S;
  /** The binding's targets (domains, hosts) as written in the spec; status.targets has one entry each. */
  targets(spec: Static<S>): readonly string[];
  /**
   * A name for one target that is unique across every binding of this
   * provider, so that two bindings claiming it are a conflict: the domain,
   * or `<zone>/<host>` where hosts live in zones.
   */
  claim(spec: Static<S>, target: string): string;
  readonly credentials: {
    /** Keys a credentials Secret must hold, and may hold. */
    readonly required: readonly string[];
    readonly optional: readonly string[];
    /** The setting (a key of `settings`) naming the default credentials Secret. */
    readonly defaultSecret: keyof T & string;
  };
  readonly settings: T;
  /** Loads the driver and its SDK. Called once per operator, on first use. */
  driver(context: DriverContext<T>): Promise<ProviderDriver>;
}

/** Declares a module with its types checked and inferred (the identity function). */
export function defineProvider<N extends string, S extends TObject, T extends Readonly<Record<string, ProviderSetting>>>(
  module: ProviderModule<N, S, T>,
): ProviderModule<N, S, T> {
  return module;
}
