// Which credentials a binding's provider calls use: the binding's own
// credentials Secret, else the administrator's default Secret in the
// operator's namespace, else the pod's ambient identity where the driver has
// one and the administrator allowed it.
import type { CdnCertificateBinding } from '../api/v1alpha1/schema.ts';
import { OperatorError } from '../errors.ts';
import type { ProviderModule } from '../providers/module.ts';
import type { Credentials, ProviderDriver } from '../providers/provider.ts';

export interface CredentialsSource {
  read(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface CredentialsDefaults {
  /** The operator's namespace, where default credentials Secrets live. */
  operatorNamespace: string | undefined;
  /** Default credentials Secret name by provider name. */
  secrets: Readonly<Record<string, string | undefined>>;
}

/** The binding's credentials, `undefined` for the ambient identity; throws CCS_CREDENTIALS_NOT_FOUND. */
export async function resolveCredentials(
  binding: CdnCertificateBinding,
  module: ProviderModule,
  driver: ProviderDriver,
  source: CredentialsSource,
  defaults: CredentialsDefaults,
): Promise<Credentials | undefined> {
  const own = binding.spec.credentialsSecretRef?.name;
  const fallback = defaults.secrets[module.name];
  let namespace: string;
  let name: string;
  if (own) {
    namespace = binding.metadata.namespace;
    name = own;
  } else if (fallback && defaults.operatorNamespace) {
    namespace = defaults.operatorNamespace;
    name = fallback;
  } else if (driver.ambientCredentials) {
    return undefined;
  } else {
    throw new OperatorError(
      'CCS_CREDENTIALS_NOT_FOUND',
      `no spec.credentialsSecretRef, and the operator has no default ${module.title} credentials Secret configured`,
    );
  }

  const data = await source.read(namespace, name);
  const where = own ? `Secret ${name}` : `default credentials Secret ${namespace}/${name}`;
  if (!data) throw new OperatorError('CCS_CREDENTIALS_NOT_FOUND', `${where} not found`);
  const keys = module.credentials;
  const missing = keys.required.filter((k) => !data[k]);
  if (missing.length > 0) {
    throw new OperatorError('CCS_CREDENTIALS_NOT_FOUND', `${where} has no ${missing.join(', ')} (${module.title} needs ${keys.required.join(', ')})`);
  }
  const credentials: Record<string, string> = {};
  for (const k of [...keys.required, ...keys.optional]) {
    const value = data[k];
    if (value) credentials[k] = value;
  }
  return credentials;
}
