/**
 * Integrity of the safetensors files OneMark writes: a SHA-256 over the metadata and every
 * tensor's name, dtype, shape and bytes, kept in the file's own metadata. A flipped byte in a
 * checkpoint otherwise loads as valid floats and turns every prediction into silent garbage;
 * files written by other tools (pretrained weights) carry no digest and are read as before.
 */
import { createHash } from 'node:crypto';
import type { TensorRecord } from './safetensorsFormat';

/** Metadata key of the digest; the only key this module adds. */
export const DIGEST_KEY = 'onemark.sha256';

export function contentDigest(records: Map<string, TensorRecord>, metadata: Record<string, string>): string {
  const h = createHash('sha256');
  const meta = Object.keys(metadata)
    .filter((k) => k !== DIGEST_KEY)
    .sort()
    .map((k) => [k, metadata[k]]);
  h.update(JSON.stringify(meta));
  for (const name of [...records.keys()].sort()) {
    const r = records.get(name)!;
    h.update(JSON.stringify([name, r.dtype, r.shape]));
    h.update(r.bytes);
  }
  return h.digest('hex');
}

/**
 * The first non-finite element of a floating-point record, as `{ index, value }`, or null.
 * Integer and bool records are always finite. F16/BF16 are checked on their exponent bits.
 */
export function firstNonFinite(r: TensorRecord): { index: number; value: string } | null {
  const b = r.bytes;
  if (r.dtype === 'F32' || r.dtype === 'F64') {
    const size = r.dtype === 'F32' ? 4 : 8;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = b.byteLength / size;
    for (let i = 0; i < n; i++) {
      const v = size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
      // v - v is NaN for NaN and ±Inf, 0 otherwise: one test for both.
      if (v - v !== 0) return { index: i, value: String(v) };
    }
    return null;
  }
  if (r.dtype === 'F16' || r.dtype === 'BF16') {
    const expMask = r.dtype === 'F16' ? 0x7c00 : 0x7f80;
    for (let i = 0; i + 1 < b.byteLength; i += 2) {
      const bits = b[i] | (b[i + 1] << 8);
      if ((bits & expMask) === expMask)
        return { index: i / 2, value: bits & (expMask ^ 0x7fff) ? 'NaN' : 'Infinity' };
    }
  }
  return null;
}
