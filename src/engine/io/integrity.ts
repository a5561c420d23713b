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
