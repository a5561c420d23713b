/**
 * The dense methods' preset checks (src/methods/dense/config.ts): the crop search disk is the
 * training jitter's radius at `quick`, and a disk that could hold no vote is refused by name.
 */
import { describe, expect, it } from 'vitest';
import { densePreset, validateDense } from '../../../src/methods/dense/config';

describe('dense config', () => {
  it("searches each crop within the training jitter's radius at quick", () => {
    for (const m of ['sla', 'atd', 'adapter'] as const) {
      const crops = densePreset(m, 'quick').dense.crops!;
      expect(crops.searchRadius).toBe(crops.jitter);
      expect(() => validateDense(densePreset(m, 'quick'))).not.toThrow();
    }
  });

  it('refuses a search radius that is not positive, naming the field', () => {
    const c = densePreset('atd', 'quick');
    c.dense.crops = { ...c.dense.crops!, searchRadius: 0 };
    expect(() => validateDense(c)).toThrow(/atd config \(quick\): dense\.crops\.searchRadius 0 must be > 0/);
  });
});
