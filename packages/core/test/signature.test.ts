import { describe, expect, it } from 'vitest';
import { formatSignatureHeader, parseSignatureHeader, signingString } from '../src/signature.js';

const hmacHex = 'ab'.repeat(32);
const nonce = '0123456789abcdef'.repeat(2);

describe('signature header', () => {
  it('reads back what it writes', () => {
    const header = formatSignatureHeader({ timestamp: 1_700_000_000, nonce, hmacHex });
    expect(header).toBe(`t=1700000000,n=${nonce},v1=${hmacHex}`);
    expect(parseSignatureHeader(header)).toEqual({ timestamp: 1_700_000_000, nonce, hmacHex });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no nonce (the old format)', `t=1,v1=${hmacHex}`],
    ['short nonce', `t=1,n=${nonce.slice(1)},v1=${hmacHex}`],
    ['upper-case nonce', `t=1,n=${nonce.toUpperCase()},v1=${hmacHex}`],
    ['reordered', `n=${nonce},t=1,v1=${hmacHex}`],
    ['spaces', `t=1, n=${nonce}, v1=${hmacHex}`],
    ['an extra field', `t=1,n=${nonce},v1=${hmacHex},v0=${hmacHex}`],
    ['a negative timestamp', `t=-1,n=${nonce},v1=${hmacHex}`],
    ['a fractional timestamp', `t=1.5,n=${nonce},v1=${hmacHex}`],
  ])('refuses a header %s', (_name, header) => {
    expect(parseSignatureHeader(header)).toBeNull();
  });
});

describe('signing string', () => {
  const base = { timestamp: 1, nonce, method: 'post', path: '/p', bodySha256: 'c'.repeat(64) };

  it('covers the nonce and the result header', () => {
    const plain = signingString(base);
    expect(signingString({ ...base, nonce: 'f'.repeat(32) })).not.toBe(plain);
    expect(signingString({ ...base, resultHeader: 'eyJ9' })).not.toBe(plain);
    expect(signingString({ ...base, resultHeader: '' })).toBe(plain);
    expect(plain).toBe(`1\n${nonce}\nPOST\n/p\n${'c'.repeat(64)}\n`);
  });
});
