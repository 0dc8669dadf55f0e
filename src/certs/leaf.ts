// The facts about a certificate that the operator compares and reports.
import { createHash, X509Certificate } from 'node:crypto';
import { decodePem } from './pem.ts';
import type { LeafInfo } from './types.ts';

/** Lowercase-hex SHA-256 of a DER certificate. */
export function fingerprintSHA256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The facts about `cert`, or undefined when its validity dates cannot be read. */
export function leafInfo(cert: X509Certificate): LeafInfo | undefined {
  const notBefore = validityBound(cert.validFrom, cert.validFromDate as Date | undefined);
  const notAfter = validityBound(cert.validTo, cert.validToDate as Date | undefined);
  if (!notBefore || !notAfter) return undefined;
  return {
    fingerprintSHA256: fingerprintSHA256(cert.raw),
    serialNumber: serialHex(cert.serialNumber),
    notBefore,
    notAfter,
    dnsNames: dnsNames(cert.subjectAltName),
  };
}

/**
 * One validity bound, from node's printed form (OpenSSL's ASN1_TIME_print,
 * e.g. `Jan  1 00:00:00 2030 GMT`, which V8 parses) cross-checked against
 * node's Date (validFromDate/validToDate, Node >= 22.10) when there is one.
 *
 * OpenSSL parses a certificate whose time is malformed; node then prints
 * "Bad time value" and builds its Date from an uninitialised struct (we have
 * seen both Invalid Date and 1914 for the same input). A bound is therefore
 * only trusted when the two agree: an unreadable time must never pass a
 * validity check.
 */
function validityBound(printed: string, date: Date | undefined): Date | undefined {
  const parsed = new Date(printed);
  if (Number.isNaN(parsed.getTime())) return undefined;
  if (date !== undefined && date.getTime() !== parsed.getTime()) return undefined;
  return parsed;
}

/** Facts about the first certificate in a PEM string; undefined if it does not parse. */
export function leafInfoFromPem(pem: string): LeafInfo | undefined {
  try {
    const decoded = decodePem(pem, 'certificate');
    if (!decoded.ok) return undefined;
    const first = decoded.blocks.find((b) => b.type === 'CERTIFICATE');
    if (!first) return undefined;
    return leafInfo(new X509Certificate(first.der));
  } catch {
    return undefined;
  }
}

/**
 * Normalises node's serial number to the form `openssl x509 -serial` and
 * browsers show, lowercased: the serial's magnitude in whole bytes.
 *
 * Node prints OpenSSL's BN_bn2hex of the serial: uppercase, whole bytes, and
 * without the 0x00 byte DER puts in front of a serial whose top bit is set
 * (that byte is sign padding, not part of the value). We strip leading zero
 * bytes defensively in case a node version starts printing the DER content
 * octets, and pad to whole bytes, so a serial reads the same whichever way it
 * was produced: DER `00 8f 1a` and `8f 1a` both give `8f1a`; `0a 1b` stays
 * `0a1b`. Negative serials (forbidden by RFC 5280, seen in the wild) keep
 * node's leading minus sign.
 */
export function serialHex(nodeSerial: string): string {
  const negative = nodeSerial.startsWith('-');
  let hex = (negative ? nodeSerial.slice(1) : nodeSerial).toLowerCase().replace(/:/g, '');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  if (hex === '') hex = '00';
  return negative ? `-${hex}` : hex;
}

/**
 * The DNS names of node's `subjectAltName` string, lowercased, in order.
 *
 * Node lists entries as `Type:value` separated by `, ` (`DNS:a.example.com,
 * IP Address:192.0.2.1, URI:…, email:…`). Since the fix for CVE-2021-44532 a
 * value that holds a separator, a quote or a non-printable character is
 * written as a JSON string (`DNS:"a\u002c b"`), so the string can be split
 * without a crafted name smuggling in an extra entry.
 */
export function dnsNames(subjectAltName: string | undefined): string[] {
  const names: string[] = [];
  if (!subjectAltName) return names;
  let i = 0;
  while (i < subjectAltName.length) {
    const colon = subjectAltName.indexOf(':', i);
    if (colon < 0) break;
    const kind = subjectAltName.slice(i, colon);
    let value: string | undefined;
    i = colon + 1;
    if (subjectAltName[i] === '"') {
      const end = closingQuote(subjectAltName, i);
      if (end < 0) break;
      value = parseJsonString(subjectAltName.slice(i, end + 1));
      i = end + 1;
    } else {
      const separator = subjectAltName.indexOf(', ', i);
      const end = separator < 0 ? subjectAltName.length : separator;
      value = subjectAltName.slice(i, end);
      i = end;
    }
    if (kind === 'DNS' && value) names.push(value.toLowerCase());
    if (subjectAltName.startsWith(', ', i)) i += 2;
    else if (i < subjectAltName.length) break; // not node's format; keep what was read
  }
  return names;
}

/** Index of the quote closing the JSON string that opens at `start`, or -1. */
function closingQuote(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

function parseJsonString(quoted: string): string | undefined {
  try {
    const value: unknown = JSON.parse(quoted);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
