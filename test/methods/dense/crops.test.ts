/**
 * The cascade form's crops (src/methods/dense/crops.ts): a landmark's pixel must land where
 * `toCrop` says, for every landmark's own crop, under rotation and zoom; `fromCrop` inverts it.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/engine';
import {
  centredCrop,
  cutCrops,
  fromCrop,
  predictCrops,
  toCrop,
  type CropDraw,
} from '../../../src/methods/dense/crops';
import type { DenseLandmarkNet } from '../../../src/methods/dense/nets';

/**
 * A stand-in network for one landmark: whatever the crop, a strong heatmap peak at crop pixel
 * `far` and a weaker one at `near`. Each peak is three pixels in a row whose offsets all point at
 * its middle, so a vote of the top three pixels lands exactly on one peak.
 */
function twoPeaks(
  W: number,
  far: { x: number; y: number },
  near: { x: number; y: number },
): DenseLandmarkNet {
  const forward = (x: Tensor): Tensor => {
    const B = x.shape[0];
    const a = new Float32Array(B * 3 * W * W);
    for (let b = 0; b < B; b++) {
      const heat = b * 3 * W * W;
      const offX = heat + W * W;
      a.fill(-20, heat, offX);
      for (const [p, logit] of [
        [far, 10],
        [near, 5],
      ] as const)
        for (const d of [-1, 0, 1]) {
          a[heat + p.y * W + p.x + d] = logit;
          a[offX + p.y * W + p.x + d] = -d;
        }
    }
    return Tensor.from(a, [B, 3, W, W]);
  };
  return { landmarks: 1, forward } as unknown as DenseLandmarkNet;
}

/** A (1,1,S,S) image, 0 except a 3×3 bright square centred on each point. */
function dots(S: number, points: { x: number; y: number }[]): Tensor {
  const a = new Float32Array(S * S);
  for (const p of points)
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) a[(p.y + dy) * S + p.x + dx] = 1;
  return Tensor.from(a, [1, 1, S, S]);
}

/** Intensity-weighted centre of one crop channel. */
function centroid(t: Tensor, n: number): { x: number; y: number } {
  const [, , H, W] = t.shape;
  const a = t.select(0, 0).select(0, n).toFloat32Array();
  let s = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      s += a[i * W + j];
      x += a[i * W + j] * j;
      y += a[i * W + j] * i;
    }
  return { x: x / s, y: y / s };
}

describe('landmark crops', () => {
  const S = 96;
  const pts = [
    { x: 20, y: 30 },
    { x: 70, y: 60 },
  ];
  const img = dots(S, pts);

  it('puts each landmark where toCrop says, in its own channel', () => {
    const draws: CropDraw[] = [
      { ...centredCrop({ x: 24, y: 27 }) },
      { center: { x: 66, y: 63 }, angle: 0.3, zoom: 1.2, gain: 1, bias: 0, gamma: 1 },
    ];
    const crops = cutCrops(img, [draws], 24);
    expect(crops.shape).toEqual([1, 2, 24, 24]);
    for (const n of [0, 1]) {
      const want = toCrop(pts[n], draws[n], 24);
      const got = centroid(crops, n);
      expect(Math.hypot(got.x - want.x, got.y - want.y)).toBeLessThan(0.25);
    }
    crops.dispose();
  });

  it('fromCrop inverts toCrop', () => {
    const d: CropDraw = { center: { x: 40.5, y: 12 }, angle: -0.7, zoom: 0.8, gain: 1, bias: 0, gamma: 1 };
    const p = { x: 33.2, y: 20.9 };
    const back = fromCrop(toCrop(p, d, 32), d, 32);
    expect(back.x).toBeCloseTo(p.x, 9);
    expect(back.y).toBeCloseTo(p.y, 9);
  });

  it('reads zeros outside the image', () => {
    const crops = cutCrops(img, [[centredCrop({ x: -200, y: -200 })]], 16);
    expect(crops.max().item()).toBe(0);
    crops.dispose();
  });

  it('votes only within the search disk around the crop centre when one is given', () => {
    const W = 32;
    // Crop centre (W - 1) / 2 = 15.5: the strong peak sits in a corner, 17.7 px away; the weak one 2.1 px.
    const net = twoPeaks(W, { x: 28, y: 28 }, { x: 17, y: 17 });
    const image = Tensor.zeros([1, 1, 96, 96]);
    const centre = { x: 48, y: 40 };
    const whole = predictCrops(net, image, [[centre]], W, 1);
    const disk = predictCrops(net, image, [[centre]], W, 1, 4, 0.4);
    // fromCrop: fine-grid point = centre + (u - 15.5)
    expect(whole.points[0][0].x).toBeCloseTo(centre.x + 12.5, 4);
    expect(whole.points[0][0].y).toBeCloseTo(centre.y + 12.5, 4);
    expect(disk.points[0][0].x).toBeCloseTo(centre.x + 1.5, 4);
    expect(disk.points[0][0].y).toBeCloseTo(centre.y + 1.5, 4);
    // A disk wide enough for both peaks changes nothing.
    const wide = predictCrops(net, image, [[centre]], W, 1, 4, 0.6);
    expect(wide.points[0][0]).toEqual(whole.points[0][0]);
    image.dispose();
  });
});
