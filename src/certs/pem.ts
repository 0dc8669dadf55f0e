// PEM (RFC 7468) decoding and canonical encoding.
//
// Secrets are written by hand as often as by cert-manager, so decoding is
// lenient about what surrounds a block (explanatory text, CRLF line endings,
// indentation left over from YAML, a whole block flattened onto one line) and
// strict about the block itself: a BEGIN line needs its matching END line and
// the body must be well-formed base64. Anything else is more likely a
// truncated copy-paste than a certificate, and pushing a truncated certificate
// to a CDN breaks HTTPS for every visitor.
//
// Errors describe what is wrong and where (the 1-based block index), never the
// text itself: the same decoder reads private keys.

/** One decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`. */
  type: string;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`), keyed as written. Empty for RFC 7468 blocks. */
  headers: ReadonlyMap<string, string>;
  /** The decoded body. */
  der: Buffer;
}

export type PemDecodeResult = { ok: true; blocks: PemBlock[] } | { ok: false; message: string };

// A label is printable ASCII without dashes; RFC 7468 allows spaces inside it.
const BOUNDARY = /-----(BEGIN|END) ([\x20-\x2c\x2e-\x7e]*)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER = /^([A-Za-z0-9-]+):(.*)$/;

/** The PEM block types we name in messages; any other label is "an unexpected block" so input is never echoed. */
const KNOWN_TYPES: ReadonlyMap<string, string> = new Map([
  ['CERTIFICATE', 'a certificate'],
  ['TRUSTED CERTIFICATE', 'an OpenSSL trusted certificate'],
  ['CERTIFICATE REQUEST', 'a certificate signing request'],
  ['NEW CERTIFICATE REQUEST', 'a certificate signing request'],
  ['PRIVATE KEY', 'a private key'],
  ['RSA PRIVATE KEY', 'a private key'],
  ['EC PRIVATE KEY', 'a private key'],
  ['ENCRYPTED PRIVATE KEY', 'an encrypted private key'],
  ['PUBLIC KEY', 'a public key'],
  ['RSA PUBLIC KEY', 'a public key'],
  ['EC PARAMETERS', 'EC parameters'],
  ['X509 CRL', 'a certificate revocation list'],
  ['PKCS7', 'a PKCS#7 bundle'],
]);

/** A safe, human description of a block type for error messages. */
export function describeBlockType(type: string): string {
  return KNOWN_TYPES.get(type) ?? 'an unexpected PEM block';
}

/**
 * Decodes every PEM block in `text`. Text outside blocks is ignored, as
 * openssl and Go's encoding/pem do. `what` names the source in messages
 * (e.g. `tls.crt`).
 */
export function decodePem(text: string, what: string): PemDecodeResult {
  const blocks: PemBlock[] = [];
  let open: { type: string; bodyStart: number } | undefined;

  for (const match of text.matchAll(BOUNDARY)) {
    const kind = match[1];
    const type = match[2] ?? '';
    const index = blocks.length + 1;
    if (kind === 'BEGIN') {
      if (open) {
        return fail(`${what}: PEM block ${index} has a BEGIN line but no END line before the next block (truncated?)`);
      }
      open = { type, bodyStart: match.index + match[0].length };
      continue;
    }
    if (!open) {
      return fail(`${what}: found a PEM END line without its BEGIN line (truncated at the start?)`);
    }
    if (type !== open.type) {
      return fail(`${what}: PEM block ${index} ends with a different type than it begins with`);
    }
    const body = decodeBody(text.slice(open.bodyStart, match.index));
    if (typeof body === 'string') return fail(`${what}: PEM block ${index} ${body}`);
    blocks.push({ type, ...body });
    open = undefined;
  }

  if (open) {
    return fail(`${what}: PEM block ${blocks.length + 1} has a BEGIN line but no END line (truncated?)`);
  }
  return { ok: true, blocks };
}

/** Splits a block body into RFC 1421 headers and base64 payload; a string is the problem. */
function decodeBody(raw: string): { headers: Map<string, string>; der: Buffer } | string {
  const headers = new Map<string, string>();
  const lines = raw.split(/\r\n|\r|\n/);
  let i = 0;
  // Headers come first, one per line, and end at the first line without a
  // colon (normally a blank line). Base64 never contains a colon.
  for (; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' && headers.size === 0) continue;
    const header = HEADER.exec(line);
    if (!header) break;
    headers.set(header[1] ?? '', (header[2] ?? '').trim());
  }

  const base64 = lines.slice(i).join('').replace(/[ \t\f\v]/g, '');
  if (base64 === '') return 'is empty';
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) return 'is not valid base64';
  const der = Buffer.from(base64, 'base64');
  // Buffer's decoder silently ignores non-zero padding bits; a round trip
  // catches bodies that were cut or edited in a way the regex cannot see.
  if (der.toString('base64') !== base64) return 'is not valid base64';
  return { headers, der };
}

function fail(message: string): PemDecodeResult {
  return { ok: false, message };
}

/** Canonical PEM: 64-character base64 lines, LF line endings, one trailing newline. */
export function encodePem(type: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
