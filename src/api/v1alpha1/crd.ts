// Builds the CustomResourceDefinition from the TypeBox schema. The YAML in
// crds/ is this object, serialised; test/api/crd.test.ts fails when it drifts.
import { BindingSchema, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './schema.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * TypeBox emits JSON Schema; Kubernetes wants its structural subset. Unions of
 * string literals become `enum`, TypeBox's bookkeeping symbols are dropped,
 * and `additionalProperties: false` is removed (structural schemas prune
 * unknown fields instead of rejecting them).
 */
export function toStructural(schema: unknown): Json {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (schema === null || typeof schema !== 'object') return schema as Json;
  const source = schema as Record<string, unknown>;
  const anyOf = source.anyOf as Array<Record<string, unknown>> | undefined;
  if (anyOf && anyOf.every((s) => typeof s.const === 'string')) {
    const out: Record<string, Json> = { type: 'string', enum: anyOf.map((s) => s.const as string) };
    for (const key of ['description', 'default'] as const) {
      if (source[key] !== undefined) out[key] = source[key] as Json;
    }
    return out;
  }
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'format' && value === 'date-time') {
      out[key] = value;
      continue;
    }
    out[key] = toStructural(value);
  }
  return out;
}

const printerColumns = [
  { name: 'Provider', type: 'string', jsonPath: '.status.provider', description: 'The CDN provider.' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether every target serves the certificate in the Secret.' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why the binding is or is not Ready.' },
  // A string, not a date: kubectl renders a future date column as <invalid>.
  { name: 'Expires', type: 'string', jsonPath: '.status.certificate.notAfter', description: 'When the certificate in the Secret expires.' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since the binding was created.' },
];

export function customResourceDefinition(): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'cdn-cert-sync', 'app.kubernetes.io/part-of': 'cdn-cert-sync' },
    },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: ['cdn-cert-sync'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: { openAPIV3Schema: toStructural(BindingSchema) },
        },
      ],
    },
  };
}
