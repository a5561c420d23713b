import { describe, expect, it } from 'vitest';
import { F, Tensor, noGrad, seed, tidy } from '../../../src/engine';
import {
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  GroupNorm,
  Identity,
  InstanceNorm2d,
  LayerNorm,
  Linear,
  MaxPool2d,
  Module,
  ModuleList,
  Parameter,
  ReLU,
  Sequential,
  Upsample,
  init,
} from '../../../src/engine/nn';

const arr = (t: Tensor) => Array.from(t.toFloat32Array());
const close = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol));
};

class Block extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  constructor(inC: number) {
    super();
    this.conv = new Conv2d(inC, 3, 3, { padding: 1, bias: false });
    this.bn = new BatchNorm2d(3);
  }
  forward(x: Tensor): Tensor {
    return F.relu(this.bn.forward(this.conv.forward(x)));
  }
}

class Net extends Module {
  stem: Sequential;
  blocks: ModuleList<Block>;
  head: Linear;
  scale: Tensor;
  constructor() {
    super();
    this.stem = new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new ReLU());
    this.blocks = new ModuleList([new Block(2), new Block(3)]);
    this.head = new Linear(3, 4);
    this.scale = Parameter(Tensor.ones([1]));
    this.registerBuffer('step_count', Tensor.zeros([], { dtype: 'int64' }));
    this.registerBuffer('scratch', Tensor.zeros([2]), false);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = this.stem.forward(x);
      for (const b of this.blocks) h = b.forward(h);
      return this.head.forward(h.mean([2, 3])).mul(this.scale);
    });
  }
}

describe('Module', () => {
  it('names parameters and buffers like PyTorch', () => {
    const net = new Net();
    expect(net.namedParameters().map((e) => e[0])).toEqual([
      'scale',
      'stem.0.weight',
      'stem.0.bias',
      'blocks.0.conv.weight',
      'blocks.0.bn.weight',
      'blocks.0.bn.bias',
      'blocks.1.conv.weight',
      'blocks.1.bn.weight',
      'blocks.1.bn.bias',
      'head.weight',
      'head.bias',
    ]);
    const sd = [...net.stateDict().keys()];
    expect(sd).toContain('blocks.1.bn.running_mean');
    expect(sd).toContain('blocks.1.bn.running_var');
    expect(sd).toContain('blocks.1.bn.num_batches_tracked');
    expect(sd).toContain('step_count');
    expect(sd).not.toContain('scratch'); // non-persistent buffer
    expect(net.namedBuffers().map((e) => e[0])).toContain('scratch');
    expect(net.numParameters()).toBe(1 + (2 * 9 + 2) + (2 * 3 * 9 + 6) + (3 * 3 * 9 + 6) + (3 * 4 + 4));
    net.dispose();
  });

  it('round-trips a state dict and rejects mismatches with clear errors', () => {
    seed(1);
    const a = new Net();
    seed(2);
    const b = new Net();
    const x = Tensor.rand([2, 1, 6, 6]);
    a.eval();
    b.eval();
    const ya = a.forward(x);
    const yb0 = b.forward(x);
    expect(ya.allclose(yb0)).toBe(false);
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const yb = b.forward(x);
    close(arr(yb), arr(ya), 1e-6);

    const sd = new Map(a.stateDict());
    sd.delete('head.bias');
    sd.set('extra.weight', Tensor.zeros([1]));
    expect(() => b.loadStateDict(sd)).toThrowError(
      /missing keys: head\.bias.*unexpected keys: extra\.weight/,
    );
    const loose = b.loadStateDict(sd, { strict: false });
    expect(loose.missingKeys).toEqual(['head.bias']);
    expect(loose.unexpectedKeys).toEqual(['extra.weight']);
    const bad = new Map(a.stateDict());
    bad.set('head.weight', Tensor.zeros([4, 5]));
    expect(() => b.loadStateDict(bad)).toThrowError(
      /size mismatch for head\.weight: checkpoint \[4, 5\] vs model \[4, 3\]/,
    );
    // A state dict from before num_batches_tracked existed still loads strictly.
    const old = new Map([...a.stateDict()].filter(([k]) => !k.endsWith('num_batches_tracked')));
    expect(b.loadStateDict(old).missingKeys).toEqual([]);
  });

  it('keeps parameters alive when built inside tidy, and train()/eval() reach every module', () => {
    const net = tidy(() => new Net());
    expect(net.parameters().every((p) => !p.isDisposed && p.requiresGrad)).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.blocks.at(1).bn.training).toBe(true);
    net.dispose();
  });

  it('zeroGrad clears gradients, to(float64) casts floating tensors only', () => {
    const net = new Net();
    const loss = net.forward(Tensor.rand([2, 1, 4, 4])).sum();
    loss.backward();
    expect(net.head.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.head.weight.grad).toBeNull();
    net.to('float64');
    expect(net.head.weight.dtype).toBe('float64');
    expect(net.blocks.at(0).bn.running_mean!.dtype).toBe('float64');
    expect((net as any).step_count.dtype).toBe('int64');
    expect(net.head.weight.requiresGrad).toBe(true);
    expect(net.forward(Tensor.rand([1, 1, 4, 4], { dtype: 'float64' })).dtype).toBe('float64');
  });
});

describe('layers', () => {
  it('Conv2d computes a known convolution and uses PyTorch layouts', () => {
    const conv = new Conv2d(1, 1, 3, { padding: 1 });
    init.ones_(conv.weight);
    init.constant_(conv.bias!, 0.5);
    const x = Tensor.ones([1, 1, 3, 3]);
    // Each output = (neighbours inside the image) + bias: corners 4, edges 6, centre 9.
    expect(arr(conv.forward(x))).toEqual([4.5, 6.5, 4.5, 6.5, 9.5, 6.5, 4.5, 6.5, 4.5]);
    const strided = new Conv2d(2, 4, [3, 5], { stride: 2, padding: [1, 2], dilation: 1 });
    expect(strided.weight.shape).toEqual([4, 2, 3, 5]);
    expect(strided.forward(Tensor.rand([1, 2, 9, 9])).shape).toEqual([1, 4, 5, 5]);
    const dil = new Conv2d(1, 1, 3, { padding: 3, dilation: 3 });
    expect(dil.forward(Tensor.rand([1, 1, 10, 10])).shape).toEqual([1, 1, 10, 10]);
    const refl = new Conv2d(1, 1, 3, { padding: 1, paddingMode: 'reflect', bias: false });
    init.ones_(refl.weight);
    // Reflect padding of a constant image keeps it constant: every output = 9.
    expect(arr(refl.forward(Tensor.ones([1, 1, 4, 4]))).every((v) => Math.abs(v - 9) < 1e-5)).toBe(true);
  });

  it('grouped Conv2d equals separate convolutions on channel groups', () => {
    seed(3);
    const g = new Conv2d(4, 6, 3, { padding: 1, groups: 2 });
    expect(g.weight.shape).toEqual([6, 2, 3, 3]);
    const a = new Conv2d(2, 3, 3, { padding: 1 });
    const b = new Conv2d(2, 3, 3, { padding: 1 });
    noGrad(() => {
      a.weight.copy_(g.weight.narrow(0, 0, 3));
      b.weight.copy_(g.weight.narrow(0, 3, 3));
      a.bias!.copy_(g.bias!.narrow(0, 0, 3));
      b.bias!.copy_(g.bias!.narrow(0, 3, 3));
    });
    const x = Tensor.randn([2, 4, 5, 5]);
    const split = Tensor.cat([a.forward(x.narrow(1, 0, 2)), b.forward(x.narrow(1, 2, 2))], 1);
    close(arr(g.forward(x)), arr(split), 1e-5);
    expect(() => new Conv2d(4, 6, 3, { groups: 3 })).toThrowError(/not divisible by groups 3/);
  });

  it('ConvTranspose2d doubles resolution with weight [in, out/groups, k, k]', () => {
    const up = new ConvTranspose2d(3, 2, 2, { stride: 2 });
    expect(up.weight.shape).toEqual([3, 2, 2, 2]);
    expect(up.forward(Tensor.rand([1, 3, 4, 5])).shape).toEqual([1, 2, 8, 10]);
    const op = new ConvTranspose2d(2, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    expect(op.forward(Tensor.rand([1, 2, 4, 4])).shape).toEqual([1, 2, 8, 8]);
  });

  it('Linear computes x W^T + b', () => {
    const lin = new Linear(2, 3);
    noGrad(() => {
      lin.weight.copy_(Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]));
      lin.bias!.copy_(Tensor.from([0.5, -0.5, 0], [3]));
    });
    expect(arr(lin.forward(Tensor.from([1, 1], [1, 2])))).toEqual([3.5, 6.5, 11]);
  });

  it('BatchNorm2d: batch statistics and running updates in train, running statistics in eval', () => {
    const bn = new BatchNorm2d(2, { momentum: 0.1 });
    // channel 0 values 1..4, channel 1 values 10,20,30,40 (one sample, 2x2)
    const x = Tensor.from([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const y = bn.forward(x);
    const ya = arr(y);
    const m0 = (ya[0] + ya[1] + ya[2] + ya[3]) / 4;
    expect(Math.abs(m0)).toBeLessThan(1e-5);
    // biased variance used to normalise: channel 0 var = 1.25
    expect(ya[0]).toBeCloseTo((1 - 2.5) / Math.sqrt(1.25 + 1e-5), 4);
    // running mean = 0.9*0 + 0.1*mean, running var = 0.9*1 + 0.1*unbiased var (5/3 for 1..4)
    close(arr(bn.running_mean!), [0.25, 2.5]);
    close(arr(bn.running_var!), [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * (500 / 3)], 1e-3);
    expect(bn.num_batches_tracked!.item()).toBe(1);
    bn.eval();
    const ye = arr(bn.forward(x));
    expect(ye[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(0.9 + 0.1 * (5 / 3) + 1e-5), 4);
    expect(bn.num_batches_tracked!.item()).toBe(1); // eval does not count
    const cum = new BatchNorm2d(1, { momentum: null });
    cum.forward(Tensor.from([1, 3], [1, 1, 1, 2]));
    cum.forward(Tensor.from([5, 7], [1, 1, 1, 2]));
    close(arr(cum.running_mean!), [4]); // cumulative average of batch means 2 and 6
  });

  it('GroupNorm, InstanceNorm2d and LayerNorm normalise over the right axes', () => {
    seed(4);
    const x = Tensor.randn([2, 4, 3, 3]).mul(3).add(1);
    const gn = new GroupNorm(2, 4);
    const g = gn.forward(x).reshape([2, 2, 18]);
    close(arr(g.mean([2])), [0, 0, 0, 0], 1e-4);
    const inorm = new InstanceNorm2d(4);
    expect(inorm.parameters()).toEqual([]);
    close(arr(inorm.forward(x).mean([2, 3])), new Array(8).fill(0), 1e-4);
    const ln = new LayerNorm([3, 3]);
    const l = ln.forward(x);
    close(arr(l.std([2, 3], false)), new Array(8).fill(1), 1e-3);
  });

  it('Dropout is active only in training; pooling and Upsample shape maps', () => {
    const d = new Dropout(0.5);
    const x = Tensor.ones([1000]);
    const yt = arr(d.forward(x));
    expect(yt.some((v) => v === 0)).toBe(true);
    expect(yt.every((v) => v === 0 || Math.abs(v - 2) < 1e-6)).toBe(true);
    d.eval();
    expect(arr(d.forward(x)).every((v) => v === 1)).toBe(true);
    expect(new MaxPool2d(2).forward(Tensor.rand([1, 1, 6, 6])).shape).toEqual([1, 1, 3, 3]);
    expect(
      new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true }).forward(
        Tensor.rand([1, 1, 3, 3]),
      ).shape,
    ).toEqual([1, 1, 6, 6]);
    const same = Tensor.rand([2]);
    expect(new Identity().forward(same)).toBe(same);
  });

  it('init functions follow PyTorch formulas', () => {
    seed(5);
    const w = Tensor.zeros([256, 128, 3, 3]);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(w.std().item()).toBeCloseTo(Math.sqrt(2 / (256 * 9)), 3);
    init.xavierUniform_(w);
    const bound = Math.sqrt(6 / (128 * 9 + 256 * 9));
    expect(w.abs().max().item()).toBeLessThanOrEqual(bound + 1e-7);
    expect(w.abs().max().item()).toBeGreaterThan(bound * 0.99);
    const conv = new Conv2d(16, 8, 3);
    const b = 1 / Math.sqrt(16 * 9);
    expect(conv.weight.abs().max().item()).toBeLessThanOrEqual(b + 1e-7);
    expect(conv.bias!.abs().max().item()).toBeLessThanOrEqual(b + 1e-7);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 10);
  });
});
