// Reading the private key of a TLS Secret.
//
// CDNs accept the key in the encoding the user gave, so the key is validated
// (it parses, it is a supported algorithm) but never converted: the block is
// only re-armoured canonically. Nothing read from tls.key ever reaches a
// message: not the body, not a header value, not node's decoder error.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { decodePem, describeBlockType, encodePem, type PemBlock } from './pem.ts';

interface KeyFormat {
  /** The DER structure, in node's words. */
  type: 'pkcs1' | 'pkcs8' | 'sec1';
  /** For messages. */
  name: string;
}

/** The PEM labels of unencrypted private keys, and the DER structure each carries. */
const KEY_FORMATS: ReadonlyMap<string, KeyFormat> = new Map<string, KeyFormat>([
  ['RSA PRIVATE KEY', { type: 'pkcs1', name: 'PKCS#1 RSA' }],
  ['PRIVATE KEY', { type: 'pkcs8', name: 'PKCS#8' }],
  ['EC PRIVATE KEY', { type: 'sec1', name: 'SEC1 EC' }],
]);

/** Curves CDNs accept, by OpenSSL name (P-256, P-384). */
const SUPPORTED_CURVES: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1']);

const ENCRYPTED = 'tls.key is encrypted; encrypted private keys are not supported, store the key unencrypted';

export type PrivateKeyResult = { ok: true; key: KeyObject; pem: string } | Problem;
type Problem = { ok: false; message: string };

export function parsePrivateKey(text: string): PrivateKeyResult {
  const decoded = decodePem(text, 'tls.key');
  if (!decoded.ok) return decoded;
  const selected = selectKeyBlock(decoded.blocks);
  if (!selected.ok) return selected;
  const { block, format } = selected;

  const invalid: Problem = { ok: false, message: `tls.key is not a valid ${format.name} private key` };
  // OpenSSL treats the format as a hint and decodes whatever the DER is, so a
  // PKCS#8 body under an RSA PRIVATE KEY label would parse. The label is what
  // we hand on to the CDN, so it must describe the body.
  const structure = derKeyStructure(block.der);
  if (structure === 'encrypted-pkcs8') return { ok: false, message: ENCRYPTED }; // under a plain PRIVATE KEY label
  if (structure !== format.type) return invalid;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: 'der', type: format.type });
  } catch {
    return invalid;
  }

  const unsupported = unsupportedKeyProblem(key);
  if (unsupported) return { ok: false, message: unsupported };
  return { ok: true, key, pem: encodePem(block.type, block.der) };
}

/** The one private key block of tls.key. */
function selectKeyBlock(blocks: readonly PemBlock[]): { ok: true; block: PemBlock; format: KeyFormat } | Problem {
  if (blocks.length === 0) return { ok: false, message: 'tls.key holds no PEM block; it must hold a PEM-encoded private key' };
  const keys: Array<{ block: PemBlock; format: KeyFormat }> = [];
  for (const [i, block] of blocks.entries()) {
    if (isEncrypted(block)) return { ok: false, message: ENCRYPTED };
    const format = KEY_FORMATS.get(block.type);
    if (format) {
      keys.push({ block, format });
    } else if (block.type !== 'EC PARAMETERS') {
      // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key;
      // it only names the curve, which the SEC1 key names again, so it is
      // dropped. Anything else means the Secret's fields are mixed up.
      return {
        ok: false,
        message: `tls.key: PEM block ${i + 1} is ${describeBlockType(block.type)}; tls.key must hold only the private key`,
      };
    }
  }
  const [only] = keys;
  if (!only) return { ok: false, message: 'tls.key holds no private key' };
  if (keys.length > 1) return { ok: false, message: `tls.key holds ${keys.length} private keys; expected exactly one` };
  return { ok: true, ...only };
}

const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;

/**
 * The key structure a DER body holds, told apart by its first two elements:
 *   PKCS#1 RSAPrivateKey           SEQUENCE { version INTEGER, modulus INTEGER, … }
 *   PKCS#8 PrivateKeyInfo          SEQUENCE { version INTEGER, algorithm SEQUENCE, … }
 *   SEC1 ECPrivateKey              SEQUENCE { version INTEGER, privateKey OCTET STRING, … }
 *   PKCS#8 EncryptedPrivateKeyInfo SEQUENCE { algorithm SEQUENCE, encryptedData OCTET STRING }
 */
function derKeyStructure(der: Uint8Array): 'pkcs1' | 'pkcs8' | 'sec1' | 'encrypted-pkcs8' | undefined {
  const outer = derHeader(der, 0);
  if (outer?.tag !== SEQUENCE) return undefined;
  const first = derHeader(der, outer.contentStart);
  const second = first && derHeader(der, first.contentStart + first.length);
  if (first?.tag === INTEGER) {
    if (second?.tag === INTEGER) return 'pkcs1';
    if (second?.tag === SEQUENCE) return 'pkcs8';
    if (second?.tag === OCTET_STRING) return 'sec1';
  }
  if (first?.tag === SEQUENCE && second?.tag === OCTET_STRING) return 'encrypted-pkcs8';
  return undefined;
}

/** Tag and length of the DER element at `offset`, or undefined if it does not fit in `der`. */
function derHeader(der: Uint8Array, offset: number): { tag: number; contentStart: number; length: number } | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) {
      const b = der[contentStart + i];
      if (b === undefined) return undefined;
      length = length * 256 + b;
    }
    contentStart += octets;
  }
  return contentStart + length <= der.length ? { tag, contentStart, length } : undefined;
}

/** PKCS#8 encryption has its own label; legacy OpenSSL encryption of PKCS#1/SEC1 keys is announced in a header. */
function isEncrypted(block: PemBlock): boolean {
  if (block.type === 'ENCRYPTED PRIVATE KEY') return true;
  const procType = block.headers.get('Proc-Type');
  return procType !== undefined && /ENCRYPTED/i.test(procType);
}

function unsupportedKeyProblem(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return undefined;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== undefined && SUPPORTED_CURVES.has(curve)) return undefined;
    return 'tls.key is an ECDSA key on an unsupported curve; only P-256 and P-384 are supported';
  }
  // The type comes from node's fixed list (ed25519, rsa-pss, dsa, …), not from the input.
  return `tls.key is an unsupported ${type ?? 'unknown'} key; only RSA and ECDSA (P-256, P-384) keys are supported`;
}
