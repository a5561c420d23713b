import { describe, expect, it } from 'vitest';
import { applyOverrides, presetConfig, validateConfig } from '../../../src/methods/cc2d/config';

describe('cc2d presets and overrides', () => {
  it('full is the METHODS budget: full width, batch 8, 5 scales, stage 2 at 384 with R = 19 px', () => {
    const c = presetConfig('full', { device: 'cuda' });
    expect(c.stage1).toMatchObject({
      size: 384,
      patch: 192,
      batch: 8,
      lr: 1e-3,
      temperature: 10,
      window: 11,
    });
    expect(c.stage1.net).toMatchObject({ width: 1, levels: 5, dilated: true });
    expect(c.stage2.radiusFrac * c.stage2.size).toBeCloseTo(19.2, 5);
    // fp32 until a GPU run shows bf16 ending within 0.15 mm of it (issue 13): opt in with --precision.
    expect(c.precision).toBe('fp32');
    validateConfig(c);
  });
  it('overrides nested settings with type checks, keeping the patch at half the image', () => {
    const c = applyOverrides(presetConfig('quick'), [
      'stage1.size=192',
      'stage1.net.width=0.5',
      'stage2.enabled=false',
    ]);
    expect(c.stage1.size).toBe(192);
    expect(c.stage1.patch).toBe(96);
    expect(c.stage1.net.width).toBe(0.5);
    expect(c.stage2.enabled).toBe(false);
    expect(() => applyOverrides(presetConfig('quick'), ['stage1.nope=1'])).toThrow(
      /unknown setting "stage1.nope"/,
    );
    expect(() => applyOverrides(presetConfig('quick'), ['stage1.size=big'])).toThrow(/is a number/);
  });
  it('rejects sizes the network cannot pool', () => {
    const c = applyOverrides(presetConfig('quick'), ['stage1.size=200']);
    expect(() => validateConfig(c)).toThrow(/multiple of the coarsest stride 32/);
  });
});
