// The CdnCertificateBinding API, written once as JSON Schema (TypeBox) so the
// TypeScript types, the CRD's openAPIV3Schema and `kubectl explain` all come
// from the same place. crds/*.yaml is generated from this file
// (`npm run generate`), and a test fails when they drift.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { PROVIDERS, type RegisteredModule } from '../../providers/catalog.ts';
import { objectName } from './fields.ts';

export const GROUP = 'cdn-cert-sync.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CdnCertificateBinding';
export const PLURAL = 'cdncertificatebindings';
export const SINGULAR = 'cdncertificatebinding';
export const SHORT_NAMES = ['ccb'];
/** Finalizer added only while `spec.deletionPolicy` is `Disable`. */
export const FINALIZER = `${GROUP}/disable-https`;

export const DeletionPolicy = Type.Union([Type.Literal('Retain'), Type.Literal('Disable')], {
  default: 'Retain',
  description:
    'What deleting the binding does to the CDN. `Retain` (default) leaves every target serving its last ' +
    'certificate. `Disable` turns HTTPS off on every target first; a finalizer holds the binding until the ' +
    'provider has confirmed it.',
});

const code = (key: string) => `\`${key}\``;

/** Which keys a credentials Secret holds, for every provider: the credentialsSecretRef description. */
function credentialKeysDoc(): string {
  return PROVIDERS.map((m) => {
    const optional = m.credentials.optional.length > 0 ? `, optional ${m.credentials.optional.map(code).join(', ')}` : '';
    return `${m.title}: ${m.credentials.required.map(code).join(', ')}${optional}.`;
  }).join(' ');
}

function defaultSecretsDoc(): string {
  const envs = [...new Set(PROVIDERS.map((m) => (m.settings as Record<string, { env: string }>)[m.credentials.defaultSecret]!.env))];
  return envs.join(' / ');
}

/** The CEL rule that admits exactly one provider field: each field set alone, or'ed. */
function exactlyOneRule(names: readonly string[]): string {
  if (names.length === 1) return `has(self.${names[0]})`;
  return names.map((n) => `(${names.map((o) => (o === n ? `has(self.${o})` : `!has(self.${o})`)).join(' && ')})`).join(' || ');
}

function listOf(names: readonly string[]): string {
  const fields = names.map((n) => `spec.${n}`);
  return fields.length <= 2 ? fields.join(' or ') : `${fields.slice(0, -1).join(', ')} or ${fields.at(-1)}`;
}

const PROVIDER_NAMES = PROVIDERS.map((m) => m.name);

const coreSpecFields = {
  secretName: objectName(
    'Name of a Secret of type `kubernetes.io/tls` in the binding\'s namespace, such as the one cert-manager ' +
      'writes for a Certificate. `tls.crt` holds the leaf certificate then its chain; `tls.key` the private key ' +
      '(PKCS#1, PKCS#8 or SEC1; RSA or ECDSA). A binding can never name a Secret in another namespace.',
  ),
  credentialsSecretRef: Type.Optional(
    Type.Object(
      { name: objectName('Name of the Secret in the binding\'s namespace.') },
      {
        additionalProperties: false,
        description:
          `Secret in the binding's namespace with the cloud credentials. ${credentialKeysDoc()} ` +
          'When omitted, the operator uses the default credentials Secret its administrator configured ' +
          `(${defaultSecretsDoc()} in the operator's namespace).`,
      },
    ),
  ),
  suspend: Type.Optional(
    Type.Boolean({
      default: false,
      description: 'When true the operator makes no provider calls for this binding and reports Ready=False, reason Suspended.',
    }),
  ),
  deletionPolicy: Type.Optional(DeletionPolicy),
};

/** `spec.<provider>`, one optional field per registered module. */
const providerSpecFields: Record<string, TSchema> = Object.fromEntries(PROVIDERS.map((m) => [m.name, Type.Optional(m.spec as TObject)]));

export const BindingSpec = Type.Object(
  { ...coreSpecFields, ...providerSpecFields },
  {
    additionalProperties: false,
    description: 'Which TLS Secret to serve, and on which CDN targets.',
    'x-kubernetes-validations': [
      {
        rule: exactlyOneRule(PROVIDER_NAMES),
        message: `exactly one of ${listOf(PROVIDER_NAMES)} must be set`,
      },
    ],
  },
);

export const ConditionStatus = Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
  description: 'Status of the condition: True, False or Unknown.',
});

export const Condition = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 316, description: 'Type of the condition. `Ready` is the one to watch.' }),
    status: ConditionStatus,
    reason: Type.String({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      description:
        'Machine-readable reason: Synced, Syncing, SecretNotFound, InvalidCertificate, KeyMismatch, ' +
        'CertificateExpired, DomainNotCovered, CredentialsNotFound, ProviderRejected, Conflict or Suspended.',
    }),
    message: Type.String({ maxLength: 32768, description: 'Human-readable detail. Never contains key material or credentials.' }),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When the status last changed (not the reason or message).' }),
    observedGeneration: Type.Optional(
      Type.Integer({ minimum: 0, description: 'The metadata.generation the condition was computed from.' }),
    ),
  },
  { description: 'A metav1.Condition.' },
);

export const TargetState = Type.Union([Type.Literal('Synced'), Type.Literal('Pending'), Type.Literal('Failed')], {
  description: '`Synced`: verified to serve the certificate in the Secret. `Pending`: a push is due or in progress. `Failed`: the provider rejected it.',
});

export const TargetStatus = Type.Object(
  {
    name: Type.String({ description: 'The domain or host, as written in the spec.' }),
    state: TargetState,
    fingerprintSHA256: Type.Optional(
      Type.String({ description: 'SHA-256 fingerprint (lowercase hex of the DER) of the leaf certificate the CDN was last seen serving.' }),
    ),
    certificateId: Type.Optional(Type.String({ description: 'The provider\'s id for the certificate, where it has one (Tencent Cloud SSL).' })),
    message: Type.Optional(Type.String({ description: 'Why the target is not Synced, with the provider\'s error code and request id.' })),
    lastSyncTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the target was last verified in sync.' })),
  },
  { description: 'What one CDN target serves.' },
);

export const CertificateSummary = Type.Object(
  {
    serialNumber: Type.String({ description: 'Serial number of the leaf certificate, lowercase hex.' }),
    fingerprintSHA256: Type.String({ description: 'SHA-256 fingerprint of the leaf certificate: lowercase hex of the DER, no colons.' }),
    notBefore: Type.String({ format: 'date-time', description: 'Start of the leaf\'s validity (RFC 3339).' }),
    notAfter: Type.String({ format: 'date-time', description: 'End of the leaf\'s validity (RFC 3339).' }),
    dnsNames: Type.Array(Type.String(), { description: 'DNS subjectAltNames of the leaf.' }),
  },
  { description: 'The certificate currently in the Secret.' },
);

export const BindingStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The metadata.generation this status was computed from.' })),
    provider: Type.Optional(
      Type.Union(
        PROVIDER_NAMES.map((n) => Type.Literal(n)),
        { description: 'The CDN provider of the targets: the spec field that names them.' },
      ),
    ),
    lastSyncTime: Type.Optional(
      Type.String({ format: 'date-time', description: 'When every target was last verified to serve the certificate in the Secret.' }),
    ),
    conditions: Type.Optional(
      Type.Array(Condition, {
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        description: 'Conditions of the binding. `Ready` is True only when every target is verified to serve the certificate in the Secret now.',
      }),
    ),
    certificate: Type.Optional(CertificateSummary),
    targets: Type.Optional(
      Type.Array(TargetStatus, {
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        description: 'One entry per domain or host.',
      }),
    ),
  },
  { description: 'What the operator last observed. Written only by the operator.' },
);

/** The spec: the core fields, and one optional fragment per registered provider. */
export type BindingSpec = Static<TObject<typeof coreSpecFields>> & { [M in RegisteredModule as M['name']]?: Static<M['spec']> };
export type BindingStatus = Omit<Static<typeof BindingStatus>, 'provider'> & { provider?: RegisteredModule['name'] };
export type Condition = Static<typeof Condition>;
export type TargetStatus = Static<typeof TargetStatus>;
export type CertificateSummary = Static<typeof CertificateSummary>;
export type { ProviderName } from '../../providers/catalog.ts';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CdnCertificateBinding {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: BindingSpec;
  status?: BindingStatus;
}

/** The schema of the whole object, as it goes in the CRD. */
export const BindingSchema: TSchema = Type.Object(
  {
    apiVersion: Type.Optional(
      Type.String({ description: 'APIVersion defines the versioned schema of this representation of an object.' }),
    ),
    kind: Type.Optional(Type.String({ description: 'Kind is a string value representing the REST resource this object represents.' })),
    metadata: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
    spec: BindingSpec,
    status: Type.Optional(BindingStatus),
  },
  {
    description:
      'CdnCertificateBinding keeps CDN domains serving the TLS certificate of a Secret: whenever the Secret ' +
      'changes (a cert-manager renewal) or a CDN drifts from it, the operator pushes the certificate again and ' +
      'reports what each target serves.',
  },
);
