// BMP through fast-bmp: sharp's prebuilt libvips has no BMP loader. fast-bmp decodes
// the pixel rows but leaves colour tables, top-down rows and plain 32-bit files
// (BI_RGB, as most tools write them) to its caller; this module fills those gaps and
// turns unsupported variants into a clear reason instead of garbage pixels.
import { decode } from 'fast-bmp';
import type { RawImage } from './raw';

const MAX_PIXELS = 0x3fff * 0x3fff;

interface BmpHeader {
  pixelOffset: number;
  headerSize: number;
  width: number;
  /** Negative when rows are stored top-down. */
  height: number;
  bitsPerPixel: number;
  compression: number;
  colorsUsed: number;
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export function decodeBmp(bytes: Uint8Array): RawImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(buffer);
  const { width, bitsPerPixel, compression } = header;
  const height = Math.abs(header.height);

  let input = buffer;
  if (header.height < 0) {
    input = Buffer.from(buffer);
    input.writeInt32LE(height, 22);
  }
  const plain32 = bitsPerPixel === 32 && compression === 0;
  if (plain32) input = withStandardMasks(input, header);

  const decoded = decode(input);
  let data: Uint8Array = new Uint8Array(decoded.data as Uint8Array);
  let channels = decoded.channels;
  if (header.height < 0) flipRows(data, width, height, channels);

  if (bitsPerPixel <= 8) {
    ({ data, channels } = applyColorTable(buffer, header, data));
  } else if (plain32 && everyAlphaIsZero(data)) {
    // BI_RGB leaves the fourth byte unused; most writers put 0 there, which is not
    // "transparent". Files that do fill it in are read as alpha, as browsers do.
    data = dropAlpha(data);
    channels = 3;
  }
  return { data, width, height, channels: channels as RawImage['channels'] };
}

function readHeader(buffer: Buffer): BmpHeader {
  if (!isBmp(buffer) || buffer.length < 54) throw new Error('not a BMP file (header too short)');
  const header: BmpHeader = {
    pixelOffset: buffer.readUInt32LE(10),
    headerSize: buffer.readUInt32LE(14),
    width: buffer.readInt32LE(18),
    height: buffer.readInt32LE(22),
    bitsPerPixel: buffer.readUInt16LE(28),
    compression: buffer.readUInt32LE(30),
    colorsUsed: buffer.readUInt32LE(46),
  };
  const { width, height, bitsPerPixel, compression, headerSize, pixelOffset } = header;
  if (headerSize < 40) throw new Error('unsupported BMP (OS/2 header); save it as PNG');
  if (![1, 8, 24, 32].includes(bitsPerPixel)) {
    throw new Error(`unsupported BMP (${bitsPerPixel} bits per pixel); save it as PNG`);
  }
  if (compression === 3 && bitsPerPixel !== 32) {
    throw new Error('unsupported BMP (bit-field pixels); save it as PNG');
  } else if (compression !== 0 && compression !== 3) {
    throw new Error('unsupported BMP (compressed pixels); save it as PNG');
  }
  if (width <= 0 || height === 0 || width * Math.abs(height) > MAX_PIXELS) {
    throw new Error(`BMP has an invalid size ${width}x${height}`);
  }
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (pixelOffset + rowBytes * Math.abs(height) > buffer.length) {
    throw new Error('BMP file is truncated');
  }
  return header;
}

/** fast-bmp reads 32-bit pixels only with explicit standard RGBA colour masks. */
function withStandardMasks(buffer: Buffer, header: BmpHeader): Buffer {
  const masks = Buffer.alloc(12);
  masks.writeUInt32LE(0x00ff0000, 0);
  masks.writeUInt32LE(0x0000ff00, 4);
  masks.writeUInt32LE(0x000000ff, 8);
  if (header.headerSize >= 52) {
    // V4/V5 headers have the mask fields at 54 already.
    const copy = Buffer.from(buffer);
    masks.copy(copy, 54);
    return copy;
  }
  const copy = Buffer.concat([buffer.subarray(0, 54), masks, buffer.subarray(54)]);
  copy.writeUInt32LE(header.pixelOffset + 12, 10);
  return copy;
}

/** fast-bmp returns colour-table indices for 1- and 8-bit files. */
function applyColorTable(
  buffer: Buffer,
  header: BmpHeader,
  indices: Uint8Array,
): { data: Uint8Array; channels: number } {
  const start = 14 + header.headerSize;
  const wanted = header.colorsUsed || 2 ** header.bitsPerPixel;
  const count = Math.min(wanted, Math.floor((header.pixelOffset - start) / 4));
  const table: number[][] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * 4;
    table.push([buffer[at + 2]!, buffer[at + 1]!, buffer[at]!]);
  }
  // Without a table, indices are grey levels (1-bit: black and white).
  const scale = header.bitsPerPixel === 1 ? 255 : 1;
  const colour = (index: number) => table[index] ?? [index * scale, index * scale, index * scale];
  const grey = table.every(([r, g, b]) => r === g && g === b);
  const channels = grey ? 1 : 3;
  const data = new Uint8Array(indices.length * channels);
  for (let i = 0; i < indices.length; i++) {
    const rgb = colour(indices[i]!);
    for (let c = 0; c < channels; c++) data[i * channels + c] = rgb[c]!;
  }
  return { data, channels };
}

function flipRows(data: Uint8Array, width: number, height: number, channels: number): void {
  const row = width * channels;
  const tmp = new Uint8Array(row);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    tmp.set(data.subarray(top * row, top * row + row));
    data.copyWithin(top * row, bottom * row, bottom * row + row);
    data.set(tmp, bottom * row);
  }
}

function everyAlphaIsZero(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return false;
  return true;
}

function dropAlpha(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}
