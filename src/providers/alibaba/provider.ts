// The Provider for one binding's Alibaba Cloud CDN domains.
//
// deploy: SetCdnDomainSSLCertificate per domain, uploading the chain and key
// under a deterministic CertName (./certname.ts). observe:
// DescribeDomainCertificateInfo per domain. disable: SetCdnDomainSSLCertificate
// with SSLProtocol=off. Every domain is handled on its own: one domain's
// failure is that domain's Outcome or Observation, never a thrown error.
import { createHash, X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { CertificateBundle } from '../../certs/types.ts';
import {
  ProviderError,
  type BindingRef,
  type DeployRequest,
  type DisableRequest,
  type Observation,
  type ObserveRequest,
  type Outcome,
  type Provider,
  type ProviderScope,
} from '../provider.ts';
import type { CdnApi, CertListEntry } from './api.ts';
import type { AlibabaSpec } from './index.ts';
import { certName } from './certname.ts';
import { toApiDomain } from './domain.ts';
import { toObservation } from './observation.ts';

export class AlibabaProvider implements Provider {
  readonly name = 'alibaba';
  readonly #api: CdnApi;
  readonly #scope: ProviderScope<AlibabaSpec>;
  readonly #logger: Logger;

  constructor(api: CdnApi, scope: ProviderScope<AlibabaSpec>, logger: Logger) {
    this.#api = api;
    this.#scope = scope;
    this.#logger = logger;
  }

  async observe(req: ObserveRequest): Promise<Observation[]> {
    return Promise.all(req.targets.map((target) => this.#observe(target, req.signal)));
  }

  async deploy(req: DeployRequest): Promise<Outcome[]> {
    const name = certName(req.binding, req.certificate.leaf.fingerprintSHA256, this.#scope.spec.certNamePrefix);
    const observed = new Map(req.observed.map((o) => [o.target, o]));
    return Promise.all(
      req.targets.map((target) => this.#deploy(target, name, req.certificate, observed.get(target), req.binding, req.signal)),
    );
  }

  async disable(req: DisableRequest): Promise<Outcome[]> {
    return Promise.all(
      req.targets.map((target) =>
        settle(target, async () => {
          await this.#api.disableHttps(toApiDomain(target), req.signal);
          return { target, ok: true };
        }),
      ),
    );
  }

  async #observe(target: string, signal: AbortSignal | undefined): Promise<Observation> {
    try {
      return toObservation(target, await this.#api.describeDomainCertificate(toApiDomain(target), signal));
    } catch (err) {
      if (err instanceof ProviderError) return { target, state: 'error', error: err };
      throw err;
    }
  }

  async #deploy(
    target: string,
    name: string,
    cert: CertificateBundle,
    seen: Observation | undefined,
    binding: BindingRef,
    signal: AbortSignal | undefined,
  ): Promise<Outcome> {
    if (seen?.state === 'serving' && seen.fingerprintSHA256 === cert.leaf.fingerprintSHA256) {
      return withId({ target, ok: true }, seen.certificateId);
    }
    const domain = toApiDomain(target);
    return settle(target, async () => {
      try {
        await this.#api.setCertificate(domain, { name, chainPem: cert.chainPem, keyPem: cert.keyPem }, signal);
        return { target, ok: true };
      } catch (err) {
        if (err instanceof ProviderError && err.code === 'Certificate.Duplicated') {
          return this.#resolveDuplicate(target, domain, name, cert, err, binding, signal);
        }
        throw err;
      }
    });
  }

  /**
   * The name is ours and deterministic, so "already taken" means an earlier
   * upload of this very certificate: a retry after a timeout whose request
   * did arrive, a crash between upload and status write, another replica, or
   * another domain of this binding (Alibaba may refuse to upload the same
   * name twice even with the same content). Resolve it without a second
   * upload: if the domain already serves our certificate we are done;
   * otherwise bind the stored copy by its CertId (CertType=cas).
   */
  async #resolveDuplicate(
    target: string,
    domain: string,
    name: string,
    cert: CertificateBundle,
    duplicated: ProviderError,
    binding: BindingRef,
    signal: AbortSignal | undefined,
  ): Promise<Outcome> {
    const now = toObservation(target, await this.#api.describeDomainCertificate(domain, signal));
    if (now.state === 'serving' && now.fingerprintSHA256 === cert.leaf.fingerprintSHA256) {
      return withId({ target, ok: true }, now.certificateId);
    }

    const named = await this.#api.findCertificatesByName(name, signal);
    const ours = named.find((entry) => holdsLeaf(entry, cert));
    if (ours?.certId !== undefined) {
      this.#logger.info(
        { binding: `${binding.namespace}/${binding.name}`, target, certName: name, certId: ours.certId },
        'certificate already uploaded under its name; binding it by id',
      );
      await this.#api.setCertificateById(domain, { name, id: ours.certId, region: ours.certRegion }, signal);
      return withId({ target, ok: true }, String(ours.certId));
    }

    if (named.length > 0) {
      // The name holds a different certificate: not a copy of ours, and no retry changes that.
      return {
        target,
        ok: false,
        error: new ProviderError({
          provider: 'alibaba',
          code: 'Certificate.Duplicated',
          message:
            `the certificate name ${name} is used by a different certificate in this account; ` +
            'rename or delete it in the Alibaba Cloud console, or set spec.alibaba.certNamePrefix',
          retryable: false,
          requestId: duplicated.requestId,
          httpStatus: duplicated.httpStatus,
        }),
      };
    }
    // The store lists certificates a little after they are created: look again later.
    return {
      target,
      ok: false,
      error: new ProviderError({
        provider: 'alibaba',
        code: 'Certificate.Duplicated',
        message: `the certificate name ${name} is taken but the certificate is not listed yet; retrying`,
        retryable: true,
        requestId: duplicated.requestId,
        httpStatus: duplicated.httpStatus,
      }),
    };
  }
}

/** Runs one target's work; a ProviderError becomes that target's failed Outcome. */
async function settle(target: string, work: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProviderError) return { target, ok: false, error: err };
    throw err;
  }
}

function withId(outcome: { target: string; ok: true }, certificateId: string | undefined): Outcome {
  return certificateId ? { ...outcome, certificateId } : outcome;
}

/**
 * Whether a certificate-store entry is a copy of `cert`. The list reports a
 * fingerprint whose algorithm the documentation leaves open (its examples
 * show SHA-1-sized values); compare when the length says which one, else
 * trust the name, which embeds our SHA-256 fingerprint.
 */
function holdsLeaf(entry: CertListEntry, cert: CertificateBundle): boolean {
  const listed = (entry.fingerprint ?? '').replace(/:/g, '').toLowerCase();
  if (listed.length === 64) return listed === cert.leaf.fingerprintSHA256;
  if (listed.length === 40) return listed === sha1OfLeaf(cert.chainPem);
  return true;
}

function sha1OfLeaf(chainPem: string): string | undefined {
  try {
    return createHash('sha1').update(new X509Certificate(chainPem).raw).digest('hex');
  } catch {
    return undefined;
  }
}
