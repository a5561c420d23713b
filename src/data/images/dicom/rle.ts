/** DICOM RLE Lossless (PS3.5 Annex G): PackBits-coded byte planes, most significant byte first. */

function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = (src[i++]! << 24) >> 24; // signed byte
    if (n >= 0) {
      const count = n + 1;
      for (let k = 0; k < count && o < out.length; k++) out[o++] = src[i++]!;
    } else if (n !== -128) {
      const count = 1 - n;
      const v = src[i++]!;
      for (let k = 0; k < count && o < out.length; k++) out[o++] = v;
    }
  }
  return o;
}

/**
 * Decode one RLE frame to interleaved samples. Throws a plain Error on a malformed frame; the caller
 * adds the path.
 */
export function decodeRleFrame(
  frame: Uint8Array,
  width: number,
  height: number,
  samplesPerPixel: number,
  bitsAllocated: number,
): Uint8Array | Uint16Array {
  if (frame.length < 64) throw new Error('RLE frame is shorter than its 64-byte header');
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = dv.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (bytesPerSample !== 1 && bytesPerSample !== 2)
    throw new Error(`RLE with ${bitsAllocated} bits allocated is not supported`);
  if (segments !== samplesPerPixel * bytesPerSample) {
    throw new Error(`RLE frame has ${segments} segments, expected ${samplesPerPixel * bytesPerSample}`);
  }
  const pixels = width * height;
  const plane = new Uint8Array(pixels);
  const out =
    bytesPerSample === 1
      ? new Uint8Array(pixels * samplesPerPixel)
      : new Uint16Array(pixels * samplesPerPixel);
  for (let s = 0; s < samplesPerPixel; s++) {
    for (let b = 0; b < bytesPerSample; b++) {
      const seg = s * bytesPerSample + b;
      const start = dv.getUint32(4 + seg * 4, true);
      const end = seg + 1 < segments ? dv.getUint32(8 + seg * 4, true) : frame.length;
      if (start < 64 || start > frame.length || end > frame.length || end < start)
        throw new Error(`RLE segment ${seg + 1} has invalid offsets`);
      plane.fill(0);
      const got = unpackBits(frame, start, end, plane);
      if (got < pixels)
        throw new Error(`RLE segment ${seg + 1} decodes to ${got} bytes, expected ${pixels} (truncated?)`);
      const shift = (bytesPerSample - 1 - b) * 8;
      for (let i = 0; i < pixels; i++) out[i * samplesPerPixel + s] |= plane[i]! << shift;
    }
  }
  return out;
}

/** PackBits-encode one byte plane (for writers and tests): literal and replicate runs of <= 128. */
export function packBits(plane: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < plane.length) {
    let run = 1;
    while (i + run < plane.length && run < 128 && plane[i + run] === plane[i]) run++;
    if (run >= 2) {
      out.push((1 - run) & 0xff, plane[i]!);
      i += run;
      continue;
    }
    const start = i;
    let len = 0;
    while (i < plane.length && len < 128 && !(i + 1 < plane.length && plane[i + 1] === plane[i])) {
      i++;
      len++;
    }
    if (len === 0) {
      i++;
      len = 1;
    }
    out.push(len - 1);
    for (let k = start; k < start + len; k++) out.push(plane[k]!);
  }
  return Uint8Array.from(out);
}
