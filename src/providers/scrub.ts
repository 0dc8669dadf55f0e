// Secret hygiene for anything derived from an SDK error. The Alibaba SDK puts
// every parameter (the private key included) in the URL query string and
// quotes that URL in transport errors; other SDKs echo request bodies. So we
// never pass an SDK message on as-is: query strings are cut, and every known
// secret is removed in each form it can take on the wire.

const REDACTED = '[REDACTED]';
const MIN_SECRET_LENGTH = 6;

/** PEM body lines (the base64 between the armour), each at least this long, are secrets of their own. */
function pemBodies(pem: string): string[] {
  const bodies: string[] = [];
  const re = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/g;
  for (const match of pem.matchAll(re)) {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    if (body.length >= MIN_SECRET_LENGTH) bodies.push(body);
    for (const line of (match[1] ?? '').split(/\s+/)) if (line.length >= 16) bodies.push(line);
  }
  return bodies;
}

/** Every spelling of `secret` that may appear in a message, a URL or a JSON body. */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>();
  const add = (s: string) => {
    if (s.length < MIN_SECRET_LENGTH) return;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(encodeURIComponent(s).replace(/%20/g, '+'));
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(Buffer.from(s).toString('base64'));
  };
  add(secret);
  add(secret.replace(/\n/g, '\r\n'));
  for (const body of pemBodies(secret)) add(body);
  return [...forms].sort((a, b) => b.length - a.length);
}

export class Scrubber {
  readonly #forms: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    const all = new Set<string>();
    for (const s of secrets) if (s) for (const f of secretForms(s)) all.add(f);
    this.#forms = [...all].sort((a, b) => b.length - a.length);
  }

  /** The text with query strings cut from URLs and every known secret replaced. */
  scrub(text: string): string {
    let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?'"]*)\?[^\s'"]*/gi, '$1?[REDACTED]');
    for (const form of this.#forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    // Whatever PEM armour survived (an SDK that re-wrapped the lines): drop the whole block.
    out = out.replace(/-----BEGIN[^-]*PRIVATE KEY-----[\s\S]*?(-----END[^-]*PRIVATE KEY-----|$)/g, REDACTED);
    return out;
  }
}

/** A short, safe description of an unknown thrown value. */
export function describeThrown(err: unknown, scrubber: Scrubber): string {
  if (err instanceof Error) return scrubber.scrub(`${err.name}: ${err.message}`).slice(0, 500);
  return scrubber.scrub(String(err)).slice(0, 500);
}
