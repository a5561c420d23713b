/** A small cache of decoded images for the viewer, keyed by project and image id. */
import type { ImagePixels } from '../../../api/types';
import { getApi } from '../api';

const cache = new Map<string, Promise<ImagePixels>>();
const MAX = 12;

export function loadPixels(projectPath: string, imageId: string, maxSide = 1024): Promise<ImagePixels> {
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
