// The operator's connected drivers, by provider name. A driver, and with it
// its vendor SDK, is loaded when the first binding for that provider is
// reconciled, not at start: an operator used only for EdgeOne never loads
// the Alibaba SDKs.
import type { ProviderModule } from './module.ts';
import type { ProviderDriver } from './provider.ts';

/** Builds the driver for a module; main.ts gives it the module's parsed settings. */
export type DriverFactory = (module: ProviderModule) => Promise<ProviderDriver>;

export class Drivers {
  readonly #factory: DriverFactory;
  readonly #loading = new Map<string, Promise<ProviderDriver>>();

  /** From a factory (lazy), or from drivers already built (tests). */
  constructor(source: DriverFactory | readonly ProviderDriver[]) {
    if (typeof source === 'function') {
      this.#factory = source;
    } else {
      const built = new Map(source.map((d) => [d.name, d]));
      this.#factory = async (module) => {
        const driver = built.get(module.name);
        if (!driver) throw new Error(`no driver for provider ${module.name}`);
        return driver;
      };
    }
  }

  /** The module's driver, loading it on first use. A failed load is not cached: the next call tries again. */
  driver(module: ProviderModule): Promise<ProviderDriver> {
    let loading = this.#loading.get(module.name);
    if (!loading) {
      loading = this.#factory(module);
      this.#loading.set(module.name, loading);
      loading.catch(() => this.#loading.delete(module.name));
    }
    return loading;
  }

  /** The names of the drivers loaded (or loading) so far. */
  loaded(): string[] {
    return [...this.#loading.keys()];
  }
}
