/** Decoded pixels: 8 bits per channel, rows top to bottom, channels interleaved. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
}
