import { describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../src/engine';
import { AdapterNet } from '../../src/models/adapterNet';
import { landmarkMapsDiff } from '../support/maps';

describe('AdapterNet (C-Adapter)', () => {
  it('maps (B,1,S,S) to a group-major output triple per landmark', () => {
    seed(1);
    const net = new AdapterNet({ landmarks: 4, width: 1 / 16, levels: 3, features: 6, blocks: 2 });
    const y = noGrad(() => tidy(() => net.forward(Tensor.rand([2, 1, 32, 32]))));
    expect(y.shape).toEqual([2, 12, 32, 32]);
    y.dispose();
    const split = net.parameterSplit();
    expect(split.total).toBe(net.numParameters());
    // Landmark-specific: depthwise 9C + BN 2C per block, stem BN 2C, head 3C+3.
    expect(split.perLandmark).toBe(2 * (9 * 6 + 2 * 6) + 2 * 6 + 3 * 6 + 3);
    net.dispose();
  });

  it("a landmark's adapter weights change only that landmark's maps", () => {
    seed(2);
    const C = 4;
    const net = new AdapterNet({ landmarks: 3, width: 1 / 16, levels: 3, features: C, blocks: 1 });
    net.train(false);
    // Give the shared pointwise conv weights (it starts at zero) so adapters matter.
    noGrad(() => tidy(() => void net.adapters.at(0).pw.weight.normal_(0, 0.5)));
    const x = Tensor.rand([1, 1, 16, 16]);
    const before = noGrad(() => tidy(() => net.forward(x)));
    // Landmark 1's depthwise filters are channels C..2C-1.
    noGrad(() => tidy(() => void net.adapters.at(0).dw.weight.narrow(0, C, C).add_(0.7)));
    const after = noGrad(() => tidy(() => net.forward(x)));
    const d = (j: number) => landmarkMapsDiff(after, before, j);
    expect(d(0)).toBe(0);
    expect(d(2)).toBe(0);
    expect(d(1)).toBeGreaterThan(0);
    for (const t of [x, before, after]) t.dispose();
    net.dispose();
  });
});
