import { describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../src/engine';
import type { Conv2d } from '../../src/engine/nn';
import {
  GroupedUNet,
  SharedAdaptedConv,
  groupState,
  stackGroupStates,
  toStage2Layout,
} from '../../src/models/groupedUnet';
import { landmarkMapsDiff } from '../support/maps';

const shape = { inChannels: 1, width: 1 / 16, levels: 3, convs: [1, 1, 2], outPerGroup: 3 };

describe('GroupedUNet', () => {
  it('gives the same outputs as G separately built single-landmark models with the same weights', () => {
    seed(3);
    const G = 3;
    const grouped = new GroupedUNet({ ...shape, groups: G });
    // Make the BN running stats non-trivial so eval mode is compared too.
    const x = Tensor.rand([2, 1, 32, 32]);
    noGrad(() => tidy(() => void grouped.forward(x)));
    const singles = Array.from({ length: G }, (_, g) => {
      const m = new GroupedUNet({ ...shape, groups: 1 });
      const st = groupState(grouped, g);
      m.loadStateDict(st);
      for (const t of st.values()) t.dispose();
      return m;
    });
    for (const mode of [true, false]) {
      grouped.train(mode);
      for (const s of singles) s.train(mode);
      const diff = noGrad(() =>
        tidy(() => {
          const y = grouped.forward(x);
          const ys = Tensor.cat(
            singles.map((s) => s.forward(x)),
            1,
          );
          expect(y.shape).toEqual([2, 3 * G, 32, 32]);
          return y.sub(ys).abs().max().item();
        }),
      );
      expect(diff).toBeLessThan(1e-5);
    }
    // Gradients agree too: the grouped loss is the sum of the single ones.
    grouped.train(true);
    for (const s of singles) s.train(true);
    grouped.zeroGrad();
    tidy(() => grouped.forward(x).square().sum().backward());
    const gw = tidy(() => grouped.head.weight.grad!.clone());
    for (let g = 0; g < G; g++) {
      singles[g].zeroGrad();
      tidy(() => singles[g].forward(x).square().sum().backward());
      const d = tidy(() =>
        singles[g].head.weight
          .grad!.sub(gw.narrow(0, 3 * g, 3))
          .abs()
          .max()
          .item(),
      );
      expect(d).toBeLessThan(1e-4);
    }
    // And the stacked single states rebuild the grouped one.
    const stacked = stackGroupStates(singles.map((s) => s.stateDict()));
    const back = new GroupedUNet({ ...shape, groups: G });
    back.loadStateDict(stacked);
    back.train(false);
    grouped.train(false);
    const d2 = noGrad(() => tidy(() => back.forward(x).sub(grouped.forward(x)).abs().max().item()));
    expect(d2).toBeLessThan(1e-6);
    for (const t of stacked.values()) t.dispose();
    for (const m of [grouped, back, ...singles]) m.dispose();
    gw.dispose();
    x.dispose();
  });

  it('changing one group leaves the other groups outputs unchanged', () => {
    seed(4);
    const net = new GroupedUNet({ ...shape, groups: 2 });
    net.train(false);
    const x = Tensor.rand([1, 1, 16, 16]);
    const before = noGrad(() => tidy(() => net.forward(x).narrow(1, 0, 3).clone()));
    noGrad(() =>
      tidy(() => void (net.encoder.at(0).convs.at(0).conv as Conv2d).weight.narrow(0, 4, 4).add_(1)),
    );
    const after = noGrad(() => tidy(() => net.forward(x)));
    const d0 = tidy(() => after.narrow(1, 0, 3).sub(before).abs().max().item());
    const d1 = noGrad(() => tidy(() => after.narrow(1, 3, 3).abs().sum().item()));
    expect(d0).toBe(0);
    expect(d1).toBeGreaterThan(0);
    for (const t of [x, before, after]) t.dispose();
    net.dispose();
  });

  it('reorders group-major outputs into the stage-2 layout', () => {
    const y = tidy(() =>
      toStage2Layout(Tensor.arange(0, 6, 1, { dtype: 'float32' }).reshape([1, 6, 1, 1]), 2),
    );
    expect(Array.from(y.toFloat32Array())).toEqual([0, 3, 1, 4, 2, 5]);
    y.dispose();
  });
});

describe('GroupedUNet with shared convs (the C-Adapter form)', () => {
  const G = 3;
  const crops = () => Tensor.rand([2, G, 16, 16]);
  const firstConv = (net: GroupedUNet) => net.encoder.at(0).convs.at(0).conv as SharedAdaptedConv;

  it('keeps one set of 3x3 weights for all landmarks: fewer parameters than G models', () => {
    const shared = new GroupedUNet({ ...shape, groups: G, shareConvs: true });
    const separate = new GroupedUNet({ ...shape, groups: G });
    expect(shared.numParameters()).toBeLessThan(separate.numParameters() / 2);
    const names = [...shared.namedParameters()].map(([n]) => n);
    expect(names).toContain('encoder.0.convs.0.conv.shared.weight');
    expect(names).toContain('encoder.0.convs.0.conv.adapter.weight');
    expect(() => groupState(shared, 0)).toThrow(/shared convs/);
    shared.dispose();
    separate.dispose();
  });

  it("one landmark's adapter changes only its own maps; the shared conv changes every landmark's", () => {
    seed(5);
    const net = new GroupedUNet({ ...shape, groups: G, shareConvs: true });
    net.train(false);
    const x = crops();
    const before = noGrad(() => tidy(() => net.forward(x).clone()));
    // Group 1's adapter weights are rows 4..7 of the (G*4, 1, 1, 1) grouped 1x1 conv (width 4).
    noGrad(() => tidy(() => void firstConv(net).adapter.weight.narrow(0, 4, 4).add_(0.5)));
    const after = noGrad(() => tidy(() => net.forward(x)));
    const diff = (g: number, a: Tensor) => landmarkMapsDiff(a, before, g);
    expect(diff(0, after)).toBe(0);
    expect(diff(2, after)).toBe(0);
    expect(diff(1, after)).toBeGreaterThan(0);
    noGrad(() => tidy(() => void firstConv(net).shared.weight.mul_(1.5)));
    const afterShared = noGrad(() => tidy(() => net.forward(x)));
    for (const g of [0, 2]) expect(diff(g, afterShared)).toBeGreaterThan(0);
    for (const t of [x, before, after, afterShared]) t.dispose();
    net.dispose();
  });

  it("a landmark's maps depend on its own crop only", () => {
    seed(6);
    const net = new GroupedUNet({ ...shape, groups: G, shareConvs: true });
    net.train(false);
    const x = crops();
    const y = noGrad(() => tidy(() => net.forward(x)));
    const x2 = tidy(() => Tensor.cat([x.narrow(1, 0, 2), Tensor.rand([2, 1, 16, 16])], 1));
    const y2 = noGrad(() => tidy(() => net.forward(x2)));
    const d = (g: number) => landmarkMapsDiff(y2, y, g);
    expect(d(0)).toBe(0);
    expect(d(1)).toBe(0);
    expect(d(2)).toBeGreaterThan(0);
    for (const t of [x, y, x2, y2]) t.dispose();
    net.dispose();
  });
});
