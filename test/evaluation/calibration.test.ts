import { describe, expect, it } from 'vitest';
import {
  checkCalibration,
  expectedError,
  fitCalibration,
  ranks,
  type CalibrationPoint,
} from '../../src/evaluation/calibration';

describe('confidence calibration', () => {
  it('recovers E(c) = exp(a + b·c) from errors that follow it', () => {
    const pts: CalibrationPoint[] = [];
    for (let i = 0; i <= 20; i++) {
      const c = i / 20;
      pts.push({ confidence: c, error: Math.exp(1 - 2 * c) });
    }
    const cal = fitCalibration(pts, 'mm');
    expect(cal.a).toBeCloseTo(1, 9);
    expect(cal.b).toBeCloseTo(-2, 9);
    expect(expectedError(cal, 0.5)).toBeCloseTo(1, 9);
    const check = checkCalibration(cal, pts);
    expect(check.pearson).toBeCloseTo(1, 9);
    expect(check.spearman).toBeCloseTo(1, 9);
  });

  it('counts the share of real errors under the predicted ones', () => {
    const cal = { kind: 'log-linear' as const, a: Math.log(2), b: 0, unit: 'mm' as const, n: 1 };
    const check = checkCalibration(cal, [
      { confidence: 0.1, error: 1 },
      { confidence: 0.2, error: 3 },
      { confidence: 0.3, error: 1.5 },
      { confidence: 0.4, error: 2.5 },
    ]);
    expect(check.shareUnderPredicted).toBe(0.5);
    expect(check.meanPredicted).toBe(2);
  });

  it('ranks ties by their mean rank, and refuses too few points', () => {
    expect(ranks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
    expect(() => fitCalibration([{ confidence: 1, error: 1 }], 'px')).toThrow(/at least 3 points/);
  });
});
