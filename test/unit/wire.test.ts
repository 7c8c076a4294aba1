import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from '../../src/shared/wire';

describe('wire encoding', () => {
  it('round-trips plain JSON values unchanged', () => {
    const value = { a: 1, b: 'two', c: [true, null, { d: 4.5 }], e: '' };
    expect(decodeWire(encodeWire(value))).toEqual(value);
    expect(encodeWire(value)).toBe(JSON.stringify(value));
  });

  it('keeps Uint8Array bytes intact, nested and at top level', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = decodeWire(encodeWire({ png: bytes, list: [bytes.subarray(250)] })) as {
      png: Uint8Array;
      list: Uint8Array[];
    };
    expect(back.png).toBeInstanceOf(Uint8Array);
    expect([...back.png]).toEqual([...bytes]);
    expect([...back.list[0]!]).toEqual([250, 251, 252, 253, 254, 255]);
    expect(decodeWire(encodeWire(new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it('encodes Node Buffers (a Uint8Array subclass) as bytes', () => {
    const back = decodeWire(encodeWire(Buffer.from('mask'))) as Uint8Array;
    expect(new TextDecoder().decode(back)).toBe('mask');
  });

  it('carries arrays larger than one base64 chunk', () => {
    const big = new Uint8Array(0x8000 * 3 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const back = decodeWire(encodeWire(big)) as Uint8Array;
    expect(back.length).toBe(big.length);
    expect(back.every((v, i) => v === big[i])).toBe(true);
  });
});
