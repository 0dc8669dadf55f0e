import { describe, expect, it } from 'vitest';
import { decodePem, describeBlockType, encodePem } from '../../src/certs/pem.ts';

const HELLO = Buffer.from('hello, world: this body is long enough to need more than one line of base64 text!!');
const HELLO_PEM = encodePem('THING', HELLO);

function decodeOk(text: string) {
  const result = decodePem(text, 'input');
  if (!result.ok) throw new Error(`expected a successful decode, got: ${result.message}`);
  return result.blocks;
}

describe('encodePem', () => {
  it('writes 64-character lines, LF endings and one trailing newline', () => {
    const lines = HELLO_PEM.split('\n');
    expect(lines[0]).toBe('-----BEGIN THING-----');
    expect(lines[1]).toHaveLength(64);
    expect(lines[2]!.length).toBeLessThanOrEqual(64);
    expect(lines.at(-2)).toBe('-----END THING-----');
    expect(lines.at(-1)).toBe('');
    expect(HELLO_PEM).not.toContain('\r');
  });

  it('encodes a subarray of a larger buffer correctly', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), HELLO, Buffer.from('yyyy')]);
    expect(encodePem('THING', big.subarray(4, 4 + HELLO.length))).toBe(HELLO_PEM);
  });

  it('round-trips through decodePem', () => {
    const [block] = decodeOk(HELLO_PEM);
    expect(block?.type).toBe('THING');
    expect(block?.der.equals(HELLO)).toBe(true);
  });
});

describe('decodePem accepts', () => {
  const body = HELLO.toString('base64');
  it.each([
    ['canonical PEM', HELLO_PEM],
    ['CRLF line endings', HELLO_PEM.replace(/\n/g, '\r\n')],
    ['bare CR line endings', HELLO_PEM.replace(/\n/g, '\r')],
    ['no trailing newline', HELLO_PEM.trimEnd()],
    ['indentation and trailing spaces', HELLO_PEM.split('\n').map((l) => `    ${l}  \t`).join('\n')],
    ['blank lines inside the body', HELLO_PEM.replace('\n', '\n\n')],
    ['text around the block', `subject=CN=example\nissuer=CN=ca\n${HELLO_PEM}trailing notes\n`],
    ['76-column base64', `-----BEGIN THING-----\n${body.replace(/.{76}/g, '$&\n')}\n-----END THING-----\n`],
    ['one line, as flattened by a shell', `-----BEGIN THING----- ${body} -----END THING-----`],
  ])('%s', (_name, text) => {
    const blocks = decodeOk(text);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.type).toBe('THING');
    expect(blocks[0]?.der.equals(HELLO)).toBe(true);
  });

  it('several blocks, in order', () => {
    const blocks = decodeOk(encodePem('A', Buffer.from('one')) + '\n\n' + encodePem('B', Buffer.from('two')));
    expect(blocks.map((b) => [b.type, b.der.toString()])).toEqual([
      ['A', 'one'],
      ['B', 'two'],
    ]);
  });

  it('no block at all (the caller decides whether that is an error)', () => {
    expect(decodeOk('just some text\n')).toEqual([]);
  });

  it('RFC 1421 headers, kept apart from the body', () => {
    const text = `-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-256-CBC,00FF\r\n\r\n${body}\r\n-----END RSA PRIVATE KEY-----\r\n`;
    const [block] = decodeOk(text);
    expect(Object.fromEntries(block!.headers)).toEqual({ 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-256-CBC,00FF' });
    expect(block?.der.equals(HELLO)).toBe(true);
  });
});

describe('decodePem rejects', () => {
  const body = HELLO.toString('base64');
  const wrap = (b: string) => `-----BEGIN THING-----\n${b}\n-----END THING-----\n`;
  it.each([
    ['a BEGIN line without END', HELLO_PEM.slice(0, 60), /block 1 has a BEGIN line but no END line/],
    ['a second BEGIN before the first END', HELLO_PEM.slice(0, 60) + HELLO_PEM, /block 1 has a BEGIN line but no END line before the next block/],
    ['an END line without BEGIN', HELLO_PEM.slice(30), /END line without its BEGIN line/],
    ['END of another type', HELLO_PEM.replace('END THING', 'END OTHER'), /block 1 ends with a different type/],
    ['an empty body', wrap(''), /block 1 is empty/],
    ['headers only', wrap('Proc-Type: 4,ENCRYPTED\n'), /block 1 is empty/],
    ['a character outside base64', wrap(`${body.slice(0, 10)}!${body.slice(11)}`), /not valid base64/],
    ['base64url characters', wrap('QUJD-_8A'), /not valid base64/],
    ['a body cut short', wrap(body.slice(0, -1)), /not valid base64/],
    ['padding in the middle', wrap(`QQ==${body}`), /not valid base64/],
    ['non-zero padding bits', wrap('QR=='), /not valid base64/],
    ['non-ASCII bytes', wrap(`${body.slice(0, 8)}\u00e9\u00e9\u00e9\u00e9${body.slice(8)}`), /not valid base64/],
  ])('%s', (_name, text, message) => {
    const result = decodePem(text, 'input');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(/^input: /);
      expect(result.message).toMatch(message);
    }
  });

  it('numbers the failing block', () => {
    const result = decodePem(HELLO_PEM + HELLO_PEM + wrap('!!!!'), 'input');
    expect(result).toEqual({ ok: false, message: 'input: PEM block 3 is not valid base64' });
  });
});

describe('describeBlockType', () => {
  it('names known types and never echoes unknown labels', () => {
    expect(describeBlockType('CERTIFICATE REQUEST')).toBe('a certificate signing request');
    expect(describeBlockType('RSA PRIVATE KEY')).toBe('a private key');
    expect(describeBlockType('MY SECRET TOKEN abc123')).toBe('an unexpected PEM block');
  });
});
