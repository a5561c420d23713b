import { describe, expect, it } from 'vitest';
import { Tensor, tidy } from '../../../src/engine';
import { applyAugment, augmentPoint } from '../../../src/methods/shared/augment';
import { buildTargets } from '../../../src/methods/shared/targets';
import { focalBce } from '../../../src/methods/shared/heatmapLoss';
import { voteLandmarks } from '../../../src/methods/shared/vote';

describe('stage-2 targets', () => {
  it('draws a disk of radius R with offsets pointing at the landmark', () => {
    const R = 5;
    const { count, offAtLm, offLeft } = tidy(() => {
      const t = buildTargets([[{ x: 20, y: 12 }, null]], 40, R);
      const mask = t.mask.toFloat32Array();
      const ox = t.offX.toFloat32Array();
      let count = 0;
      for (let i = 0; i < 40 * 40; i++) count += mask[i];
      const missing = mask.slice(1600).reduce((a, b) => a + b, 0);
      expect(missing).toBe(0);
      return { count, offAtLm: ox[12 * 40 + 20], offLeft: ox[12 * 40 + 17] };
    });
    expect(count).toBeGreaterThan(Math.PI * R * R * 0.9);
    expect(count).toBeLessThan(Math.PI * R * R * 1.15);
    expect(offAtLm).toBeCloseTo(0, 6);
    expect(offLeft).toBeCloseTo(3 / R, 6); // the landmark is 3 px to the right
  });

  it('moves labels exactly as the image warp moves pixels', () => {
    const S = 64;
    const p = { x: 40, y: 22 };
    const a = { angle: 0.2, scale: 1.1, tx: 0.05, ty: -0.08, gain: 1, bias: 0 };
    const img = new Float32Array(S * S);
    for (let j = 0; j < S; j++)
      for (let i = 0; i < S; i++) img[j * S + i] = Math.exp(-((i - p.x) ** 2 + (j - p.y) ** 2) / 3);
    const out = tidy(() => applyAugment(Tensor.from(img, [1, 1, S, S]), [a]).toFloat32Array());
    let best = -1;
    let k = 0;
    out.forEach((v, i) => {
      if (v > best) {
        best = v;
        k = i;
      }
    });
    const q = augmentPoint(a, p, S);
    expect(Math.abs((k % S) - q.x)).toBeLessThanOrEqual(1);
    expect(Math.abs(Math.floor(k / S) - q.y)).toBeLessThanOrEqual(1);
  });

  it('focal BCE is lower for logits that agree with the target', () => {
    const [good, bad] = tidy(() => {
      const y = Tensor.from(new Float32Array([1, 0, 0, 1]), [1, 1, 2, 2]);
      return [focalBce(y.mul(8).sub(4), y, 1).item(), focalBce(y.mul(-8).add(4), y, 1).item()];
    });
    expect(good).toBeLessThan(bad);
    expect(good).toBeGreaterThan(0);
  });

  it("'positives' normalisation divides the summed loss by the disk pixels, not all pixels", () => {
    const [mean, pos] = tidy(() => {
      const y = Tensor.from(new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]), [1, 1, 2, 4]);
      const z = Tensor.from(new Float32Array([0.5, -1, 2, 0, -3, 1, 0.2, -0.7]), [1, 1, 2, 4]);
      return [focalBce(z, y, 1, 'mean').item(), focalBce(z, y, 1, 'positives').item()];
    });
    expect(pos).toBeCloseTo(mean * 8, 5);
  });

  it('voting on perfect targets returns the landmark', () => {
    const S = 48;
    const R = 4;
    const lm = { x: 30.3, y: 11.6 };
    const v = tidy(() => {
      const t = buildTargets([[lm]], S, R);
      // A "network output" whose heat logits are high inside the disk, with exact offsets.
      const out = Tensor.cat([t.mask.mul(20).sub(10), t.offX, t.offY], 1);
      return voteLandmarks(out, 1, R);
    });
    expect(v.points[0][0].x).toBeCloseTo(lm.x, 1);
    expect(v.points[0][0].y).toBeCloseTo(lm.y, 1);
    expect(v.confidence[0][0]).toBeGreaterThan(0.9);
  });

  it('a stage-1 prior keeps a stray peak far away from winning the vote', () => {
    const S = 48;
    const R = 4;
    const lm = { x: 12, y: 12 };
    const stray = { x: 36, y: 36 };
    const run = (prior: boolean) =>
      tidy(() => {
        const good = buildTargets([[lm]], S, R);
        const bad = buildTargets([[stray]], S, R);
        // The stray disk is more confident than the true one.
        const heat = good.mask.mul(8).add(bad.mask.mul(12)).sub(10);
        const out = Tensor.cat([heat, good.offX.add(bad.offX), good.offY.add(bad.offY)], 1);
        return voteLandmarks(out, 1, R, prior ? { points: [[{ x: 13, y: 11 }]], radius: 8 } : undefined)
          .points[0][0];
      });
    const plain = run(false);
    expect(Math.hypot(plain.x - stray.x, plain.y - stray.y)).toBeLessThan(1);
    const guided = run(true);
    expect(Math.hypot(guided.x - lm.x, guided.y - lm.y)).toBeLessThan(1);
  });
});
