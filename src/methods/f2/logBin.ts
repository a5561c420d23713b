/**
 * Log-binned descriptors (Amir et al., "Deep ViT Features as Dense Visual Descriptors", used by
 * FM-OSD): each location's feature becomes the concatenation of `1 + 8·hierarchy` average-pooled
 * bins around it. Level k averages 3^k×3^k windows and reads the 3×3 neighbourhood at offset 3^k
 * (the centre only at level 0), so context grows logarithmically with distance. ViT-S's 384-d keys
 * become 384·17 = 6528-d with hierarchy 2, the FM-OSD descriptor.
 *
 * Borders: a bin whose centre falls outside the map reads the nearest inside location (the reference
 * clamps indices rather than zero-padding), and the pooling ignores padding.
 */
import { F, Tensor, tidy } from '../../engine';

export function logBinChannels(channels: number, hierarchy = 2): number {
  return channels * (1 + 8 * hierarchy);
}

/** The bins' (level, dy, dx) in the reference's order: level by level, rows then columns. */
export function logBinOffsets(hierarchy = 2): { level: number; dy: number; dx: number }[] {
  const out: { level: number; dy: number; dx: number }[] = [];
  for (let k = 0; k < hierarchy; k++) {
    const s = 3 ** k;
    for (const dy of [-s, 0, s])
      for (const dx of [-s, 0, s]) {
        if (dy === 0 && dx === 0 && k !== 0) continue;
        out.push({ level: k, dy, dx });
      }
  }
  return out;
}

/** (B, C, H, W) → (B, C·(1 + 8·hierarchy), H, W). */
export function logBin(x: Tensor, hierarchy = 2): Tensor {
  return tidy(() => {
    const [, , H, W] = x.shape;
    const pools: Tensor[] = [];
    for (let k = 0; k < hierarchy; k++) {
      const win = 3 ** k;
      pools.push(
        win === 1
          ? x
          : F.avgPool2d(x, win, { stride: 1, padding: Math.floor(win / 2), countIncludePad: false }),
      );
    }
    const clampedIndex = (n: number, d: number) =>
      Tensor.arange(0, n, 1, { dtype: 'int64', device: x.device })
        .add(d)
        .clamp(0, n - 1);
    const parts = logBinOffsets(hierarchy).map(({ level, dy, dx }) => {
      const p = pools[level];
      const rows = dy === 0 ? p : p.indexSelect(2, clampedIndex(H, dy));
      return dx === 0 ? rows : rows.indexSelect(3, clampedIndex(W, dx));
    });
    return Tensor.cat(parts, 1);
  });
}
