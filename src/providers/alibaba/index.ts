// Alibaba Cloud CDN: `spec.alibaba`. The module the core reads (spec,
// naming, settings, credentials); the driver and its SDK load on first use
// (./driver.ts).
import { Type, type Static } from '@sinclair/typebox';
import { hostList } from '../../api/v1alpha1/fields.ts';
import { defineProvider, type ProviderSetting } from '../module.ts';
import type { ProviderDriver } from '../provider.ts';

export const AlibabaSpec = Type.Object(
  {
    domains: hostList(
      'accelerated domain, as listed in the Alibaba Cloud CDN console',
      'Alibaba Cloud CDN accelerated domains that must serve the certificate (1 to 100, unique). ' +
        'A wildcard domain is written `*.example.com`; it is sent to Alibaba Cloud in its `.example.com` form. ' +
        'Every domain must be covered by a subjectAltName of the certificate.',
    ),
    certNamePrefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 50,
        pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$',
        description:
          'Prefix of the certificate name shown in the Alibaba Cloud console. The operator appends `-` and the first ' +
          '12 hex digits of the certificate\'s SHA-256 fingerprint, so every renewal gets a new, deterministic name ' +
          'of at most 63 characters. Defaults to `ccs-<namespace>-<name>`, shortened with a hash when too long.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Push the certificate to Alibaba Cloud CDN domains.' },
);
export type AlibabaSpec = Static<typeof AlibabaSpec>;

/** The credentials and RRSA settings every Alibaba Cloud product shares (one RAM identity per account). */
export const ALIBABA_CREDENTIALS = {
  required: ['accessKeyId', 'accessKeySecret'],
  optional: ['securityToken'],
} as const;

/** The operator settings the driver reads. */
export const ALIBABA_SETTINGS = {
  credentialsSecret: {
    env: 'ALIBABA_CREDENTIALS_SECRET',
    kind: 'string',
    value: 'credentials.alibabaSecretName',
    secretName: true,
    description:
      'Default Alibaba Cloud credentials Secret (in POD_NAMESPACE) for bindings without spec.credentialsSecretRef ' +
      '(keys `accessKeyId`, `accessKeySecret`, optional `securityToken`).',
  },
  rrsa: {
    env: 'ALIBABA_RRSA',
    kind: 'bool',
    default: 'false',
    value: 'alibaba.rrsa',
    description:
      'Let bindings without a credentials Secret use the pod\'s Alibaba Cloud RRSA identity ' +
      '(ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE).',
  },
  endpoint: {
    env: 'ALIBABA_CDN_ENDPOINT',
    kind: 'url',
    value: 'alibaba.endpoint',
    description: 'Alibaba Cloud CDN API endpoint URL. Default https://cdn.aliyuncs.com.',
  },
} as const satisfies Readonly<Record<string, ProviderSetting>>;

export const alibaba = defineProvider({
  name: 'alibaba',
  title: 'Alibaba Cloud CDN',
  spec: AlibabaSpec,
  targets: (spec) => spec.domains,
  claim: (_spec, domain) => domain.toLowerCase(),
  credentials: { ...ALIBABA_CREDENTIALS, defaultSecret: 'credentialsSecret' },
  settings: ALIBABA_SETTINGS,
  driver: async (context): Promise<ProviderDriver> => (await import('./driver.ts')).alibabaDriver(context),
});
