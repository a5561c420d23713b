import { describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../src/engine';
import { UNetVgg, fromTorchvisionVgg19Bn, unetVggConfig } from '../../src/models/unetVgg';

describe('UNetVgg', () => {
  it('gives 64-d embeddings at strides 32..2 and a dense head at stride 1 or 2', () => {
    seed(0);
    const net = new UNetVgg({
      width: 1 / 16,
      outputs: { embeddings: true, dense: { channels: 3, stride: 1 } },
    });
    const x = Tensor.rand([2, 1, 64, 64]);
    const out = net.forward(x);
    expect(out.strides).toEqual([32, 16, 8, 4, 2]);
    expect(out.embeddings.map((e) => e.shape)).toEqual([32, 16, 8, 4, 2].map((s) => [2, 64, 64 / s, 64 / s]));
    expect(out.dense!.shape).toEqual([2, 3, 64, 64]);
    const half = new UNetVgg({
      width: 1 / 16,
      levels: 3,
      dilated: false,
      outputs: { embeddings: false, dense: { channels: 2, stride: 2 } },
    });
    const o2 = half.forward(x);
    expect(o2.embeddings).toEqual([]);
    expect(o2.dense!.shape).toEqual([2, 2, 32, 32]);
    expect(() => new UNetVgg({ levels: 6 })).toThrowError(/levels must be an integer 2\.\.5/);
  });

  it('has the layout and parameter count of the CC2D network (VGG19-BN indices, 30.5 M at full width)', () => {
    const net = new UNetVgg();
    expect(net.numParameters()).toBe(30_538_688); // same count libtorch reports for bench/engine/unet_step.cpp
    const names = [...net.stateDict().keys()];
    const convIdx = [0, 3, 7, 10, 14, 17, 20, 23, 27, 30, 33, 36, 40, 43, 46, 49];
    for (const i of convIdx) {
      expect(names).toContain(`encoder.features.${i}.weight`);
      expect(names).toContain(`encoder.features.${i + 1}.running_var`);
    }
    expect(names.filter((n) => /^encoder\.features\.\d+\.weight$/.test(n))).toHaveLength(32);
    expect(names).toContain('decoder.3.conv.4.num_batches_tracked');
    expect(names).toContain('dilated.2.branches.2.0.weight');
    expect(names).toContain('heads.4.bias');
    expect(net.stateDict().get('decoder.0.conv.0.weight')!.shape).toEqual([512, 1024, 3, 3]);
    net.dispose();
  });

  it('trains: one Adam-free gradient step on the embedding loss reaches every parameter', () => {
    seed(1);
    const net = new UNetVgg({ width: 1 / 16 });
    tidy(() => {
      const out = net.forward(Tensor.rand([2, 1, 32, 32]));
      out.embeddings
        .map((e) => e.pow(2).mean())
        .reduce((a, b) => a.add(b))
        .backward();
    });
    const missing = net.namedParameters().filter(([, p]) => {
      const g = p.grad;
      const ok = g !== null && g.abs().sum().item() > 0;
      g?.dispose();
      return !ok;
    });
    expect(missing.map((e) => e[0])).toEqual([]);
  });

  it('maps torchvision vgg19_bn weights onto the encoder (RGB -> gray by summing filters)', () => {
    const cfg = unetVggConfig({ width: 1, levels: 2 });
    const net = new UNetVgg(cfg);
    // A fake torchvision state dict for the first two blocks plus entries that must be dropped.
    const tv = new Map<string, Tensor>();
    for (const [name, t] of net.stateDict()) {
      const m = /^encoder\.(features\..*)$/.exec(name);
      if (!m) continue;
      const shape = m[1] === 'features.0.weight' ? [64, 3, 3, 3] : t.shape;
      tv.set(
        m[1],
        m[1].endsWith('num_batches_tracked') ? Tensor.zeros([], { dtype: 'int64' }) : Tensor.randn(shape),
      );
    }
    tv.set('features.14.weight', Tensor.zeros([256, 128, 3, 3])); // block 3: beyond levels=2
    tv.set('classifier.0.weight', Tensor.zeros([4, 4]));
    const { mapped, dropped } = fromTorchvisionVgg19Bn(tv, cfg);
    expect(dropped.sort()).toEqual(['classifier.0.weight', 'features.14.weight']);
    const res = net.loadStateDict(mapped, { strict: false });
    expect(res.unexpectedKeys).toEqual([]);
    expect(res.missingKeys.every((k) => !k.startsWith('encoder.'))).toBe(true);
    const w0 = net.stateDict().get('encoder.features.0.weight')!;
    expect(w0.shape).toEqual([64, 1, 3, 3]);
    noGrad(() => expect(w0.allclose(tv.get('features.0.weight')!.sum([1], true), 1e-5, 1e-6)).toBe(true));
    expect(
      net.stateDict().get('encoder.features.8.running_mean')!.equal(tv.get('features.8.running_mean')!),
    ).toBe(true);
  });
});
