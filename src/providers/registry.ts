// The drivers the operator was built with, by provider name.
import type { ProviderDriver, ProviderName } from './provider.ts';

export class ProviderRegistry {
  readonly #drivers = new Map<ProviderName, ProviderDriver>();

  constructor(drivers: readonly ProviderDriver[]) {
    for (const driver of drivers) this.#drivers.set(driver.name, driver);
  }

  driver(name: ProviderName): ProviderDriver {
    const driver = this.#drivers.get(name);
    if (!driver) throw new Error(`no driver for provider ${name}`);
    return driver;
  }
}
