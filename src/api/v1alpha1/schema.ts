// The CdnCertificateBinding API, written once as JSON Schema (TypeBox) so the
// TypeScript types, the CRD's openAPIV3Schema and `kubectl explain` all come
// from the same place. crds/*.yaml is generated from this file
// (`npm run generate`), and a test fails when they drift.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const GROUP = 'cdn-cert-sync.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CdnCertificateBinding';
export const PLURAL = 'cdncertificatebindings';
export const SINGULAR = 'cdncertificatebinding';
export const SHORT_NAMES = ['ccb'];
/** Finalizer added only while `spec.deletionPolicy` is `Disable`. */
export const FINALIZER = `${GROUP}/disable-https`;

// A DNS name as CDNs accept it: lowercase labels, optionally a leading
// wildcard label (`*.example.com`).
const HOSTNAME_PATTERN = '^(\\*\\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// metav1 object names (DNS-1123 subdomain).
const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const hostList = (what: string, description: string) =>
  Type.Array(
    Type.String({ minLength: 1, maxLength: 253, pattern: HOSTNAME_PATTERN, description: `One ${what}.` }),
    { minItems: 1, maxItems: 100, 'x-kubernetes-list-type': 'set', description },
  );

const objectName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN, description });

export const AlibabaTarget = Type.Object(
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

export const TencentTarget = Type.Object(
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

export const DeletionPolicy = Type.Union([Type.Literal('Retain'), Type.Literal('Disable')], {
  default: 'Retain',
  description:
    'What deleting the binding does to the CDN. `Retain` (default) leaves every target serving its last ' +
    'certificate. `Disable` turns HTTPS off on every target first; a finalizer holds the binding until the ' +
    'provider has confirmed it.',
});

export const BindingSpec = Type.Object(
  {
    secretName: objectName(
      'Name of a Secret of type `kubernetes.io/tls` in the binding\'s namespace, such as the one cert-manager ' +
        'writes for a Certificate. `tls.crt` holds the leaf certificate then its chain; `tls.key` the private key ' +
        '(PKCS#1, PKCS#8 or SEC1; RSA or ECDSA). A binding can never name a Secret in another namespace.',
    ),
    alibaba: Type.Optional(AlibabaTarget),
    tencent: Type.Optional(TencentTarget),
    credentialsSecretRef: Type.Optional(
      Type.Object(
        { name: objectName('Name of the Secret in the binding\'s namespace.') },
        {
          additionalProperties: false,
          description:
            'Secret in the binding\'s namespace with the cloud credentials. Alibaba Cloud: `accessKeyId`, ' +
            '`accessKeySecret`, optional `securityToken`. Tencent Cloud: `secretId`, `secretKey`, optional `token`. ' +
            'When omitted, the operator uses the default credentials Secret its administrator configured ' +
            '(ALIBABA_CREDENTIALS_SECRET / TENCENT_CREDENTIALS_SECRET in the operator\'s namespace).',
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
  },
  {
    additionalProperties: false,
    description: 'Which TLS Secret to serve, and on which CDN targets.',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.alibaba) != has(self.tencent)',
        message: 'exactly one of spec.alibaba or spec.tencent must be set',
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
      Type.Union([Type.Literal('alibaba'), Type.Literal('tencent')], { description: 'The CDN provider of the targets.' }),
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

export type BindingSpec = Static<typeof BindingSpec>;
export type BindingStatus = Static<typeof BindingStatus>;
export type Condition = Static<typeof Condition>;
export type TargetStatus = Static<typeof TargetStatus>;
export type CertificateSummary = Static<typeof CertificateSummary>;
export type AlibabaTarget = Static<typeof AlibabaTarget>;
export type TencentTarget = Static<typeof TencentTarget>;
export type ProviderName = 'alibaba' | 'tencent';

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
