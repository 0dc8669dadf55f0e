// Alibaba Cloud CDN writes a wildcard accelerated domain with a leading dot
// (`.example.com`), where the binding's spec uses the usual `*.example.com`.
// The provider converts on the way out and matches API answers in the API's
// spelling, so targets in observations and outcomes always keep the spec's.

/** The domain as the CDN API names it: `*.example.com` becomes `.example.com`. */
export function toApiDomain(specDomain: string): string {
  const lower = specDomain.trim().toLowerCase();
  return lower.startsWith('*.') ? lower.slice(1) : lower;
}

/** Whether a domain name from an API answer is the given spec domain, in either wildcard spelling. */
export function sameDomain(apiDomain: string | undefined, specDomain: string): boolean {
  return apiDomain !== undefined && toApiDomain(apiDomain) === toApiDomain(specDomain);
}
