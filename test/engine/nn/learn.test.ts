import { describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/cli/commands/demo';

describe('a tiny network learns a synthetic task', () => {
  it('2-layer conv net: dot -> heatmap MSE falls below 0.001 (from ~0.012) and finds the dot within 1 px, in 120 steps', async () => {
    const r = await runDemo({ steps: 120, batch: 16, size: 24, seed: 7, quiet: true, out: null });
    expect(r.initialLoss).toBeGreaterThan(0.005);
    expect(r.finalLoss).toBeLessThan(0.001);
    expect(r.meanErrorPx).toBeLessThan(1);
    expect(r.seed).toBe(7);
  });

  it('is repeatable: the same seed gives the same losses', async () => {
    const a = await runDemo({ steps: 10, batch: 4, size: 16, seed: 3, quiet: true, out: null });
    const b = await runDemo({ steps: 10, batch: 4, size: 16, seed: 3, quiet: true, out: null });
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(b.initialLoss).toBe(a.initialLoss);
  });
});
