/** A small cache of decoded images for the viewer, keyed by project and image id. */
import type { ImagePixels } from '../../../api/contract/types';
import { getApi } from '../api';

const cache = new Map<string, Promise<ImagePixels>>();
const MAX = 12;

/**
 * Marking and review want every original pixel (ISBI's 1935×2400 at 0.1 mm): 4096 keeps such
 * images whole and only shrinks larger ones. Decoding + transfer is ~0.3 s for an ISBI image.
 */
export function loadPixels(projectPath: string, imageId: string, maxSide = 4096): Promise<ImagePixels> {
  const key = `${projectPath}\n${imageId}\n${maxSide}`;
  let p = cache.get(key);
  if (!p) {
    p = getApi().imagePixels(projectPath, imageId, maxSide);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    if (cache.size > MAX) cache.delete(cache.keys().next().value!);
  }
  return p;
}
