import { describe, expect, it } from 'vitest';
import { Tensor, seed, tidy } from '../../../src/engine';
import {
  augmentTemplate,
  drawWarp,
  warpPoint,
  type TemplateAugConfig,
} from '../../../src/methods/dense/templateAugment';

const S = 64;
const LMS = [
  { x: 20.3, y: 14.7 },
  { x: 44.6, y: 22.1 },
  { x: 31.2, y: 47.8 },
];

/** Dots (Gaussians, sigma 1.3 px) drawn at the landmarks. */
function dots(): Float32Array {
  const img = new Float32Array(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (const p of LMS) img[y * S + x] += Math.exp(-((x - p.x) ** 2 + (y - p.y) ** 2) / (2 * 1.3 ** 2));
  return img;
}

/** Intensity centroid in a ±4 px window around q (the dot's position in the warped image). */
function centroid(img: Float32Array, q: { x: number; y: number }): { x: number; y: number; peak: number } {
  let sx = 0,
    sy = 0,
    sw = 0,
    peak = 0;
  const cx = Math.round(q.x),
    cy = Math.round(q.y);
  for (let y = cy - 4; y <= cy + 4; y++)
    for (let x = cx - 4; x <= cx + 4; x++) {
      if (x < 0 || y < 0 || x >= S || y >= S) continue;
      const v = img[y * S + x];
      sx += v * x;
      sy += v * y;
      sw += v;
      peak = Math.max(peak, v);
    }
  return { x: sx / sw, y: sy / sw, peak };
}

const cases: [string, TemplateAugConfig][] = [
  [
    'shift',
    { copies: 1, shift: 0.1, scale: 0, rotationDeg: 0, brightness: 0, contrast: 0, gamma: 0, elastic: null },
  ],
  [
    'scale',
    { copies: 1, shift: 0, scale: 0.2, rotationDeg: 0, brightness: 0, contrast: 0, gamma: 0, elastic: null },
  ],
  [
    'rotation',
    { copies: 1, shift: 0, scale: 0, rotationDeg: 25, brightness: 0, contrast: 0, gamma: 0, elastic: null },
  ],
  [
    'elastic only',
    {
      copies: 1,
      shift: 0,
      scale: 0,
      rotationDeg: 0,
      brightness: 0,
      contrast: 0,
      gamma: 0,
      elastic: { grid: 5, alpha: 0.015 },
    },
  ],
  [
    'all + elastic',
    {
      copies: 1,
      shift: 0.08,
      scale: 0.1,
      rotationDeg: 15,
      brightness: 0,
      contrast: 0.2,
      gamma: 0,
      elastic: { grid: 5, alpha: 0.03 },
    },
  ],
];

describe('template augmentation (C-ATD)', () => {
  for (const [name, cfg] of cases) {
    it(`keeps every drawn dot under its transformed label: ${name}`, () => {
      seed(11);
      const warps = Array.from({ length: 8 }, () => drawWarp(cfg));
      const { images, points } = tidy(() => augmentTemplate(Tensor.from(dots(), [1, 1, S, S]), LMS, warps));
      const all = images.toFloat32Array();
      images.dispose();
      let worst = 0;
      warps.forEach((_, b) => {
        const img = all.subarray(b * S * S, (b + 1) * S * S);
        points[b].forEach((q) => {
          const c = centroid(img, q!);
          expect(c.peak).toBeGreaterThan(0.3); // the dot is there, not clipped away
          worst = Math.max(worst, Math.hypot(c.x - q!.x, c.y - q!.y));
        });
      });
      // The centroid of a sampled Gaussian sits within a small fraction of a pixel of its centre.
      // The centroid of a sampled Gaussian sits within a small fraction of a pixel of its centre; an
      // elastic warp also bends the dot itself (its Jacobian varies across it), which moves the
      // centroid a little: the coordinate-ramp test below checks the elastic mapping to 1e-3 px.
      expect(worst).toBeLessThan(cfg.elastic ? 0.4 : 0.1);
    });
  }

  for (const [kind, tol] of [
    ['similarity', 1e-3],
    ['similarity + elastic', 0.06],
  ] as const) {
    it(`maps labels exactly: warped coordinate ramps read back the input position at the label (${kind})`, () => {
      seed(12);
      // Geometry only (the ramps carry coordinates through the warp). Between pixel centres the read-back
      // is bilinear; an elastic field has kinks at its control-cell borders that this cannot follow, hence
      // the looser tolerance there (the mapping itself matches to 1e-6 px away from the kinks).
      const all = cases[cases.length - 1][1];
      const cfg = { ...all, contrast: 0, elastic: kind === 'similarity' ? null : all.elastic };
      const warps = Array.from({ length: 6 }, () => drawWarp(cfg));
      const ramp = (f: (x: number, y: number) => number) => {
        const a = new Float32Array(S * S);
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) a[y * S + x] = f(x, y) / S;
        return a;
      };
      const read = (a: Float32Array, b: number, q: { x: number; y: number }) => {
        const o = b * S * S,
          x0 = Math.floor(q.x),
          y0 = Math.floor(q.y),
          fx = q.x - x0,
          fy = q.y - y0;
        const v = (x: number, y: number) => a[o + y * S + x];
        return (
          S *
          ((1 - fy) * ((1 - fx) * v(x0, y0) + fx * v(x0 + 1, y0)) +
            fy * ((1 - fx) * v(x0, y0 + 1) + fx * v(x0 + 1, y0 + 1)))
        );
      };
      const gx = tidy(() =>
        augmentTemplate(
          Tensor.from(
            ramp((x) => x),
            [1, 1, S, S],
          ),
          LMS,
          warps,
        ),
      );
      const gy = tidy(() =>
        augmentTemplate(
          Tensor.from(
            ramp((_, y) => y),
            [1, 1, S, S],
          ),
          LMS,
          warps,
        ),
      );
      const ax = gx.images.toFloat32Array();
      const ay = gy.images.toFloat32Array();
      gx.images.dispose();
      gy.images.dispose();
      warps.forEach((_, b) =>
        LMS.forEach((p, j) => {
          const q = gx.points[b][j]!;
          // The warped image is bilinear between pixel centres, and so is the ramp: exact up to float error.
          expect(Math.abs(read(ax, b, q) - p.x)).toBeLessThan(tol);
          expect(Math.abs(read(ay, b, q) - p.y)).toBeLessThan(tol);
        }),
      );
    });
  }

  it('intensity jitter does not move labels and stays in [0, 1]', () => {
    seed(5);
    const cfg: TemplateAugConfig = {
      copies: 1,
      shift: 0,
      scale: 0,
      rotationDeg: 0,
      brightness: 0.3,
      contrast: 0.3,
      gamma: 0.5,
      elastic: null,
    };
    const w = drawWarp(cfg);
    const q = warpPoint(w, LMS[0], S);
    expect(q.x).toBeCloseTo(LMS[0].x, 5);
    expect(q.y).toBeCloseTo(LMS[0].y, 5);
    const r = tidy(() => augmentTemplate(Tensor.rand([1, 1, S, S]), LMS, [w, drawWarp(cfg)]));
    const v = r.images.toFloat32Array();
    r.images.dispose();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
  });
});
