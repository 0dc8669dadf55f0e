// Which of a binding's domains a certificate does not cover.
//
// The rules are those of RFC 6125 as browsers apply them, because a CDN domain
// the certificate does not cover shows every visitor a certificate error:
// - names compare case-insensitively, and a trailing dot (the DNS root) is ignored;
// - a wildcard is only a whole leftmost label: `*.example.com` covers
//   `a.example.com`, but neither `example.com` nor `a.b.example.com`;
// - partial-label wildcards (`f*.example.com`) are not honoured (CAs may not
//   issue them and browsers disagree on them), so such a SAN matches only itself.
// A target that is itself a wildcard (a CDN wildcard domain) serves any
// subdomain, so only the identical wildcard SAN covers it.

/** The targets that no DNS SAN of the leaf covers, as written and in the order given. */
export function uncoveredTargets(dnsNames: readonly string[], targets: readonly string[]): string[] {
  const sans = new Set(dnsNames.map(normalise));
  return targets.filter((target) => !isCovered(sans, normalise(target)));
}

function isCovered(sans: ReadonlySet<string>, target: string): boolean {
  if (target === '') return false;
  if (sans.has(target)) return true;
  if (target.startsWith('*.')) return false;
  const dot = target.indexOf('.');
  // The leftmost label must be non-empty and there must be a parent to wildcard.
  if (dot <= 0 || dot === target.length - 1) return false;
  return sans.has(`*${target.slice(dot)}`);
}

function normalise(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
