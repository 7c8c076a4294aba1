// Run-length coding of binary pixels: alternating run lengths, starting with a run of
// zeros (possibly empty), each an unsigned LEB128 varint. A 4000x3000 mask with smooth
// shapes shrinks from 12 MB to a few kilobytes; undo patches and the write-ahead log use it.

export class RleWriter {
  private readonly bytes: number[] = [];
  private bit = 0;
  private count = 0;
  private total = 0;

  /** Appends `length` pixels of `bit` (0 or 1). */
  append(bit: number, length: number): void {
    if (length <= 0) return;
    if (bit !== this.bit) {
      this.flush();
      this.bit = bit;
    }
    this.count += length;
    this.total += length;
  }

  get length(): number {
    return this.total;
  }

  finish(): Uint8Array {
    this.flush();
    return Uint8Array.from(this.bytes);
  }

  private flush(): void {
    let n = this.count;
    do {
      const low = n % 128;
      n = Math.floor(n / 128);
      this.bytes.push(n > 0 ? low | 128 : low);
    } while (n > 0);
    this.count = 0;
  }
}

/** Encodes pixels as runs; any nonzero value counts as 1. */
export function encodeRle(pixels: Uint8Array): Uint8Array {
  const writer = new RleWriter();
  let start = 0;
  while (start < pixels.length) {
    const bit = pixels[start] ? 1 : 0;
    let end = start + 1;
    while (end < pixels.length && (pixels[end] ? 1 : 0) === bit) end++;
    writer.append(bit, end - start);
    start = end;
  }
  return writer.finish();
}

/**
 * Calls `visit(start, length)` for every run of ones; throws when the runs do not add up
 * to `length` pixels (a corrupt or foreign record must not become a wrong mask).
 */
export function forEachOneRun(
  rle: Uint8Array,
  length: number,
  visit: (start: number, length: number) => void,
): void {
  let pos = 0;
  let bit = 0;
  let i = 0;
  while (i < rle.length) {
    let n = 0;
    let scale = 1;
    let byte: number;
    do {
      if (i >= rle.length) throw new Error('Run-length data ends inside a number.');
      byte = rle[i++]!;
      n += (byte & 127) * scale;
      scale *= 128;
    } while (byte & 128);
    if (pos + n > length) throw new Error(`Run-length data covers more than ${length} pixels.`);
    if (bit === 1 && n > 0) visit(pos, n);
    pos += n;
    bit ^= 1;
  }
  if (pos !== length) throw new Error(`Run-length data covers ${pos} of ${length} pixels.`);
}

export function decodeRle(rle: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  forEachOneRun(rle, length, (start, n) => out.fill(1, start, start + n));
  return out;
}
