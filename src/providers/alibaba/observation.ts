// Reading DescribeDomainCertificateInfo's answer into an Observation.
//
// The answer is `{ CertInfos: { CertInfo: [...] } }` with one entry per
// domain asked about. `ServerCertificateStatus` says whether HTTPS is on;
// `ServerCertificate` is the PEM the domain serves (leaf first), from which we
// take the fingerprint ourselves rather than trusting a name or an id: a
// certificate changed in the console under the same name still shows as drift.
import { leafInfoFromPem } from '../../certs/index.ts';
import type { Observation } from '../provider.ts';
import type { CertInfo } from './api.ts';
import { sameDomain } from './domain.ts';

/**
 * What `target` (spelled as in the spec) serves according to `infos`.
 *
 * HTTPS on with a certificate that does not parse is reported as serving
 * with an empty fingerprint: it is not ours, so the controller pushes ours,
 * where an `error` observation would leave the target alone.
 */
export function toObservation(target: string, infos: readonly CertInfo[]): Observation {
  const info = infos.find((i) => sameDomain(i.domainName, target)) ?? onlyUnnamed(infos);
  if (!info || info.serverCertificateStatus?.trim().toLowerCase() !== 'on') return { target, state: 'disabled' };

  const leaf = info.serverCertificate ? leafInfoFromPem(info.serverCertificate) : undefined;
  const certificateId = info.certId ? String(info.certId) : undefined;
  return {
    target,
    state: 'serving',
    fingerprintSHA256: leaf?.fingerprintSHA256 ?? '',
    ...(certificateId ? { certificateId } : {}),
    ...(leaf ? { notAfter: leaf.notAfter } : {}),
  };
}

/** An answer for one domain that does not repeat the domain's name. */
function onlyUnnamed(infos: readonly CertInfo[]): CertInfo | undefined {
  const [only, ...rest] = infos;
  return only && rest.length === 0 && !only.domainName ? only : undefined;
}
