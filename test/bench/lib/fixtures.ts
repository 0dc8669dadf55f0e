// What the benchmark puts in the cluster and the emulators: bindings laid
// out over namespaces and zones, TLS Secrets from a pool of certificates,
// unrelated Opaque Secrets, and the status a binding has once the operator
// has verified it in sync, computed with the operator's own certificate
// parser so that an operator that starts against it finds nothing to write.
//
// Every certificate is a wildcard for *.bench.test and every target is
// <id>.bench.test, so any certificate covers any binding: a small pool of
// (slow to generate) certificates serves thousands of Secrets.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { API_VERSION, KIND, type BindingStatus } from '../../../src/api/v1alpha1/schema.ts';
import { parseTlsSecret } from '../../../src/certs/index.ts';
import { rfc3339 } from '../../../src/controller/conditions.ts';
import { issueCertificate, type IssuedCert } from '../../fixtures/certs.ts';
import { tlsSecret } from '../../fixtures/secrets.ts';

export const DOMAIN_SUFFIX = 'bench.test';
export const BINDINGS_PER_NAMESPACE = 1_000;
export const HOSTS_PER_ZONE = 100;

export type Provider = 'alibaba' | 'tencent';

export interface BenchCert extends IssuedCert {
  /** The status.certificate the operator derives from it. */
  summary: NonNullable<BindingStatus['certificate']>;
}

/** Issues `count` distinct ECDSA certificates for *.bench.test (about 15 ms each). */
export async function issueCerts(count: number): Promise<BenchCert[]> {
  const out: BenchCert[] = [];
  const batch = 16;
  for (let i = 0; i < count; i += batch) {
    const issued = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, () =>
        issueCertificate({ keyAlgorithm: 'ecdsa', dnsNames: [`*.${DOMAIN_SUFFIX}`, DOMAIN_SUFFIX] }),
      ),
    );
    for (const cert of issued) out.push({ ...cert, summary: summaryOf(cert) });
  }
  return out;
}

function summaryOf(cert: IssuedCert): BenchCert['summary'] {
  const parsed = parseTlsSecret(Buffer.from(cert.chainPem), Buffer.from(cert.keyPem), new Date());
  if (!parsed.ok) throw new Error(`bench: a generated certificate does not parse: ${parsed.message}`);
  const { leaf } = parsed.bundle;
  return {
    serialNumber: leaf.serialNumber,
    fingerprintSHA256: leaf.fingerprintSHA256,
    notBefore: rfc3339(leaf.notBefore),
    notAfter: rfc3339(leaf.notAfter),
    dnsNames: leaf.dnsNames,
  };
}

export interface BenchBinding {
  index: number;
  provider: Provider;
  namespace: string;
  name: string;
  secretName: string;
  /** The one domain (Alibaba) or host (Tencent). */
  target: string;
  /** Tencent only. */
  zoneId?: string;
  key: string;
}

/** `count` bindings of one provider; indexes from `offset` keep names unique across providers. */
export function layoutBindings(provider: Provider, count: number): BenchBinding[] {
  const letter = provider === 'alibaba' ? 'a' : 't';
  return Array.from({ length: count }, (_, index) => {
    const id = `${letter}${String(index).padStart(5, '0')}`;
    const namespace = `bench-${letter}${Math.floor(index / BINDINGS_PER_NAMESPACE)}`;
    const name = id;
    return {
      index,
      provider,
      namespace,
      name,
      secretName: `${id}-tls`,
      target: `${id}.${DOMAIN_SUFFIX}`,
      ...(provider === 'tencent' ? { zoneId: `zone-b${Math.floor(index / HOSTS_PER_ZONE)}` } : {}),
      key: `${namespace}/${name}`,
    };
  });
}

export function bindingObject(b: BenchBinding): object {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { namespace: b.namespace, name: b.name },
    spec: {
      secretName: b.secretName,
      ...(b.provider === 'alibaba' ? { alibaba: { domains: [b.target] } } : { tencent: { zoneId: b.zoneId!, hosts: [b.target] } }),
    },
  };
}

export function secretObject(b: BenchBinding, cert: IssuedCert): V1Secret {
  return tlsSecret({ namespace: b.namespace, name: b.secretName, cert });
}

/** An unrelated Opaque Secret of about `bytes` bytes of data. */
export function opaqueSecret(namespace: string, name: string, bytes: number): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace, name, labels: { app: 'bench-unrelated' } },
    type: 'Opaque',
    data: { payload: randomBytes(bytes).toString('base64') },
  };
}

/** The status of a binding the operator verified serving `cert` at `lastSync`. */
export function inSyncStatus(b: BenchBinding, cert: BenchCert, lastSync: Date, certificateId?: string): BindingStatus {
  const when = rfc3339(lastSync);
  const fingerprint = cert.summary.fingerprintSHA256;
  return {
    observedGeneration: 1,
    provider: b.provider,
    lastSyncTime: when,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Synced',
        message: `1 targets serve certificate ${fingerprint.slice(0, 12)}`,
        lastTransitionTime: when,
        observedGeneration: 1,
      },
    ],
    certificate: cert.summary,
    targets: [{ name: b.target, state: 'Synced', fingerprintSHA256: fingerprint, ...(certificateId ? { certificateId } : {}), lastSyncTime: when }],
  };
}

/** A random credential value; never printed. */
export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}
