import { describe, expect, it } from 'vitest';
import { Tensor, seed, tidy } from '../../../src/engine';
import { presetConfig } from '../../../src/methods/cc2d/config';
import {
  cutPatches,
  drawPatchParams,
  patchPoints,
  patchToImage,
} from '../../../src/methods/cc2d/stage1/sampler';
import { drawIndices } from '../../../src/methods/shared/sampling';

/** A size×size image with one Gaussian dot at (x, y). */
function dotImage(size: number, x: number, y: number, sigma = 1.2): Float32Array {
  const d = new Float32Array(size * size);
  for (let j = 0; j < size; j++)
    for (let i = 0; i < size; i++)
      d[j * size + i] = Math.exp(-((i - x) ** 2 + (j - y) ** 2) / (2 * sigma * sigma));
  return d;
}

function argmax2d(a: Float32Array, w: number): { x: number; y: number } {
  let best = -Infinity;
  let k = 0;
  a.forEach((v, i) => {
    if (v > best) {
      best = v;
      k = i;
    }
  });
  return { x: k % w, y: Math.floor(k / w) };
}

describe('stage-1 patch sampling', () => {
  const cfg = {
    ...presetConfig('tiny').stage1,
    size: 96,
    patch: 48,
    rotationDeg: 20,
    brightness: 0,
    contrast: 0,
  };

  it('keeps the tracked point on the same pixel content under rotation', () => {
    seed(11);
    let rotated = 0;
    for (let trial = 0; trial < 8; trial++) {
      const p = drawPatchParams(0, cfg);
      if (Math.abs(p.angle) > (5 * Math.PI) / 180) rotated++;
      const q = patchToImage(p, cfg.patch, p.u, p.v);
      const found = tidy(() => {
        const img = Tensor.from(dotImage(cfg.size, q.x, q.y), [1, 1, cfg.size, cfg.size]);
        return cutPatches(img, [p], cfg.size, cfg.patch).toFloat32Array();
      });
      const m = argmax2d(found, cfg.patch);
      expect(Math.abs(m.x - p.u)).toBeLessThanOrEqual(1);
      expect(Math.abs(m.y - p.v)).toBeLessThanOrEqual(1);
    }
    expect(rotated).toBeGreaterThan(3); // the check ran on rotated patches, not only upright ones
  });

  it('puts the point inside [0.1, 0.9] of the patch and inside the image', () => {
    seed(5);
    for (let i = 0; i < 200; i++) {
      const p = drawPatchParams(0, cfg);
      expect(p.u).toBeGreaterThanOrEqual(0.1 * cfg.patch - 1);
      expect(p.u).toBeLessThanOrEqual(0.9 * cfg.patch);
      const q = patchToImage(p, cfg.patch, p.u, p.v);
      expect(q.x).toBeGreaterThanOrEqual(0);
      expect(q.y).toBeLessThanOrEqual(cfg.size - 1);
    }
  });

  it('draws distinct indices and is repeatable under the same seed', () => {
    seed(9);
    const a = drawIndices(10, 4);
    seed(9);
    const b = drawIndices(10, 4);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(4);
  });
});

describe('several points per patch', () => {
  it('carries every point through the same transform, inside the image', () => {
    seed(2);
    const cfg = { ...presetConfig('tiny').stage1, size: 96, patch: 48, rotationDeg: 20 };
    const p = drawPatchParams(0, cfg);
    const { patch, image } = patchPoints(p, cfg, 6);
    expect(patch).toHaveLength(6);
    expect(patch[0]).toEqual({ x: p.u, y: p.v });
    patch.forEach((q, i) => {
      expect(image[i]).toEqual(patchToImage(p, cfg.patch, q.x, q.y));
      expect(image[i].x).toBeGreaterThanOrEqual(0);
      expect(image[i].y).toBeLessThanOrEqual(cfg.size - 1);
    });
    expect(new Set(patch.map((q) => `${q.x},${q.y}`)).size).toBeGreaterThan(3);
  });
});
