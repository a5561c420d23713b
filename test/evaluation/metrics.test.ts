import { describe, expect, it } from 'vitest';
import { radialErrors } from '../../src/evaluation/errors';
import {
  computeMetrics,
  median,
  normalizeRadii,
  quantile,
  sdr,
  std,
  summarize,
} from '../../src/evaluation/metrics';
import { annotations, SPACING_01, twoImagesAtOrigin } from './fixtures';

describe('metrics', () => {
  it('counts SDR strictly below the radius', () => {
    expect(sdr([1.9, 2.0, 2.1], 2)).toEqual({ radius: 2, hits: 1, rate: 1 / 3 });
    expect(sdr([], 2).rate).toBeNaN();
  });

  it('uses the population standard deviation', () => {
    expect(std([1, 3])).toBe(1);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates quantiles between order statistics as numpy does', () => {
    // numpy.percentile(range(1, 101), 99) = 99.01; of [3, 1, 2] at 0.5 = 2
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(hundred, 0.99)).toBeCloseTo(99.01, 10);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.99)).toBeNaN();
    expect(summarize(hundred).p99).toBeCloseTo(99.01, 10);
  });

  it('summarizes with the given radii', () => {
    const s = summarize([0.5, 1.5, 2.5, 3.5, 4.5], [2, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.max).toBe(4.5);
    expect(s.sdr.map((x) => x.rate)).toEqual([0.4, 0.8]);
  });

  it('rejects non-positive radii and sorts the rest', () => {
    expect(() => normalizeRadii([2, 0])).toThrow(/positive/);
    expect(normalizeRadii([4, 2, 2.5, 2])).toEqual([2, 2.5, 4]);
  });

  it('computes per-landmark and per-image figures, with an error exactly on 2 mm not counted', () => {
    const gt = annotations(2, twoImagesAtOrigin(), { spacing: SPACING_01 });
    // errors (mm): a1 = 2.0 (exactly on the radius), a2 = 1.0, b1 = 3.0, b2 missing
    const pred = annotations(2, {
      a: [
        { x: 20, y: 0 },
        { x: 0, y: 10 },
      ],
      b: [{ x: 0, y: 30 }, null],
    });
    const m = computeMetrics(radialErrors(pred, gt), gt.landmarkSet, [2, 4]);
    expect(m.counts).toEqual({
      images: 2,
      landmarks: 2,
      evaluatedPoints: 3,
      missingPredictions: 1,
      missingGroundTruth: 0,
    });
    expect(m.overall.mean).toBeCloseTo(2, 12);
    expect(m.overall.sdr[0]).toMatchObject({ radius: 2, hits: 1 });
    expect(m.overall.sdr[1]).toMatchObject({ radius: 4, hits: 3 });
    expect(m.perLandmark[0].summary.mean).toBeCloseTo(2.5, 12);
    expect(m.perLandmark[1]).toMatchObject({ landmarkId: 2, missingPredictions: 1 });
    expect(m.perImage[0].worstLandmarkId).toBe(1);
    expect(m.perImage[1].missingPredictions).toBe(1);
  });
});

describe('SDR at the boundary', () => {
  it('does not count an error of exactly r even when float arithmetic lands just below it', () => {
    expect(1.2000000000000002 ** 2 + 1.6 ** 2).not.toBe(4); // why the rule needs care
    expect(sdr([Math.hypot(1.2000000000000002, 1.6), 2 - 1e-12], 2).hits).toBe(0);
    expect(sdr([2 - 1e-6], 2).hits).toBe(1);
  });
});
