// Tencent Cloud EdgeOne: `spec.tencent`. The module the core reads (spec,
// naming, settings, credentials); the driver and its SDKs load on first use
// (./driver.ts).
import { Type, type Static } from '@sinclair/typebox';
import { hostList } from '../../api/v1alpha1/fields.ts';
import { defineProvider, type ProviderSetting } from '../module.ts';
import type { ProviderDriver } from '../provider.ts';

export const TencentSpec = Type.Object(
  {
    zoneId: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^zone-[a-z0-9]+$',
      description: 'The Tencent Cloud EdgeOne zone (site) id that holds the hosts, such as `zone-2o0i4lh5c7qb`.',
    }),
    hosts: hostList(
      'EdgeOne acceleration domain',
      'EdgeOne acceleration domains in the zone that must serve the certificate (1 to 100, unique). ' +
        'Every host must be covered by a subjectAltName of the certificate.',
    ),
  },
  {
    additionalProperties: false,
    description:
      'Upload the certificate to Tencent Cloud SSL Certificates and bind it to EdgeOne acceleration domains. ' +
      'Uploads this operator made for the binding are deleted once no host uses them.',
  },
);
export type TencentSpec = Static<typeof TencentSpec>;

/** The operator settings the driver reads. */
export const TENCENT_SETTINGS = {
  credentialsSecret: {
    env: 'TENCENT_CREDENTIALS_SECRET',
    kind: 'string',
    value: 'credentials.tencentSecretName',
    secretName: true,
    description:
      'Default Tencent Cloud credentials Secret (in POD_NAMESPACE) for bindings without spec.credentialsSecretRef ' +
      '(keys `secretId`, `secretKey`, optional `token`).',
  },
  teoEndpoint: {
    env: 'TENCENT_TEO_ENDPOINT',
    kind: 'url',
    value: 'tencent.teoEndpoint',
    description: 'Tencent Cloud EdgeOne API endpoint URL. Default https://teo.tencentcloudapi.com (international: https://teo.intl.tencentcloudapi.com).',
  },
  sslEndpoint: {
    env: 'TENCENT_SSL_ENDPOINT',
    kind: 'url',
    value: 'tencent.sslEndpoint',
    description: 'Tencent Cloud SSL Certificates API endpoint URL. Default https://ssl.tencentcloudapi.com (international: https://ssl.intl.tencentcloudapi.com).',
  },
} as const satisfies Readonly<Record<string, ProviderSetting>>;

export const tencent = defineProvider({
  name: 'tencent',
  title: 'Tencent Cloud EdgeOne',
  spec: TencentSpec,
  targets: (spec) => spec.hosts,
  claim: (spec, host) => `${spec.zoneId}/${host.toLowerCase()}`,
  credentials: { required: ['secretId', 'secretKey'], optional: ['token'], defaultSecret: 'credentialsSecret' },
  settings: TENCENT_SETTINGS,
  driver: async (context): Promise<ProviderDriver> => (await import('./driver.ts')).tencentDriver(context),
});
