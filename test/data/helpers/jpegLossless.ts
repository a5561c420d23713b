/**
 * A minimal JPEG lossless encoder (ITU T.81 process 14, one component, predictor 1 = "left", Pt = 0),
 * written for tests because no npm package encodes this process. One Huffman table where all 17
 * difference categories get 5-bit codes: inefficient, but valid.
 */
export function encodeJpegLossless(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  precision: number,
): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >> 8) & 0xff, v & 0xff);
  u16(0xffd8); // SOI
  u16(0xffc3); // SOF3
  u16(11);
  out.push(precision);
  u16(height);
  u16(width);
  out.push(1, 1, 0x11, 0);
  // DHT: class 0 (DC/lossless), table 0; 17 codes of length 5.
  u16(0xffc4);
  u16(2 + 1 + 16 + 17);
  out.push(0x00);
  const bits = new Array(16).fill(0);
  bits[4] = 17;
  out.push(...bits);
  for (let s = 0; s <= 16; s++) out.push(s);
  // SOS: 1 component, table 0, Ss = predictor 1, Se = 0, Ah/Al = 0.
  u16(0xffda);
  u16(8);
  out.push(1, 1, 0x00, 1, 0, 0);

  let acc = 0;
  let nbits = 0;
  const put = (value: number, n: number): void => {
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      nbits++;
      if (nbits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0x00); // byte stuffing
        acc = 0;
        nbits = 0;
      }
    }
  };
  const mod = 1 << 16;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = samples[y * width + x]!;
      let pred: number;
      if (x === 0 && y === 0) pred = 1 << (precision - 1);
      else if (y === 0) pred = samples[x - 1]!;
      else if (x === 0) pred = samples[(y - 1) * width]!;
      else pred = samples[y * width + x - 1]!;
      let diff = (v - pred) % mod;
      if (diff > 32768) diff -= mod;
      if (diff < -32767) diff += mod;
      const ssss = diff === 0 ? 0 : diff === 32768 ? 16 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(ssss, 5); // canonical code for symbol s is s itself (all length 5)
      if (ssss > 0 && ssss < 16) put(diff > 0 ? diff : diff + (1 << ssss) - 1, ssss);
    }
  }
  if (nbits > 0) put(0x7f, 8 - nbits); // pad with ones
  u16(0xffd9);
  return Uint8Array.from(out);
}
