// Finite-difference gradient checks (float64) for every differentiable op the engine exposes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, Tensor, dispose, liveTensors, seed, tidy, type Shape } from '../../src/engine';
import { gradcheck, type GradcheckOptions } from './gradcheck';

const f64 = { dtype: 'float64' as const };
/** N(0,1) values pushed away from 0 (so abs/relu/clamp kinks are not straddled by the differences). */
function away(shape: Shape, margin = 0.2): Tensor {
  const r = Tensor.randn(shape, f64);
  const out = r.sign().mul(r.abs().add(margin));
  r.dispose();
  return out;
}
const randn = (shape: Shape) => Tensor.randn(shape, f64);
const positive = (shape: Shape) => {
  const r = Tensor.rand(shape, f64);
  const out = r.add(0.5);
  r.dispose();
  return out;
};
const ints = (values: number[], shape?: Shape) =>
  Tensor.from(BigInt64Array.from(values.map(BigInt)), shape ?? [values.length]);

type Case = [name: string, f: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[], opts?: GradcheckOptions];

const cases: Case[] = [
  // pointwise
  ['add (broadcast, alpha)', (a, b) => a.add(b, 0.5), () => [randn([2, 3]), randn([3])]],
  ['add scalar', (a) => a.add(2.5), () => [randn([4])]],
  ['sub', (a, b) => a.sub(b), () => [randn([2, 3]), randn([2, 1])]],
  ['rsub', (a) => a.rsub(3), () => [randn([3])]],
  ['mul', (a, b) => a.mul(b), () => [randn([2, 3]), randn([2, 3])]],
  ['div', (a, b) => a.div(b), () => [randn([2, 3]), positive([2, 3])]],
  ['rdiv', (a) => a.rdiv(2), () => [positive([3])]],
  ['pow tensor', (a, b) => a.pow(b), () => [positive([4]), randn([4])]],
  ['pow scalar', (a) => a.pow(3), () => [randn([4])]],
  ['rpow', (a) => a.rpow(2), () => [randn([4])]],
  ['neg exp log', (a) => a.neg().exp().add(a.log()), () => [positive([5])]],
  [
    'expm1 log1p log2 log10',
    (a) => a.expm1().add(a.log1p()).add(a.log2()).add(a.log10()),
    () => [positive([5])],
  ],
  ['sqrt rsqrt square', (a) => a.sqrt().add(a.rsqrt()).add(a.square()), () => [positive([5])]],
  ['abs', (a) => a.abs(), () => [away([6])]],
  ['sin cos tan', (a) => a.sin().add(a.cos()).add(a.mul(0.3).tan()), () => [randn([5])]],
  [
    'asin acos atan',
    (a) => a.mul(0.5).asin().add(a.mul(0.5).acos()).add(a.atan()),
    () => [Tensor.rand([5], f64)],
  ],
  [
    'sinh cosh tanh sigmoid',
    (a) => a.sinh().add(a.cosh()).add(a.tanh()).add(a.sigmoid()),
    () => [randn([5])],
  ],
  ['erf erfinv', (a) => a.erf().add(a.mul(0.5).erfinv()), () => [Tensor.rand([5], f64)]],
  ['reciprocal', (a) => a.reciprocal(), () => [positive([4])]],
  ['clamp', (a) => a.clamp(-0.5, 0.5), () => [away([8], 0.05).mul(2)]],
  ['clamp tensor bounds', (a, lo) => a.clamp(lo, null), () => [randn([6]), randn([6]).add(0.05)]],
  ['maximum minimum', (a, b) => a.maximum(b).add(a.minimum(b).mul(2)), () => [randn([6]), randn([6])]],
  ['lerp', (a, b, w) => a.lerp(b, w), () => [randn([4]), randn([4]), Tensor.rand([4], f64)]],
  [
    'addcmul addcdiv',
    (a, b, c) => a.addcmul(b, c, 0.5).add(a.addcdiv(b, c.abs().add(1), 2)),
    () => [randn([4]), randn([4]), randn([4])],
  ],
  ['where', (c, a, b) => Tensor.where(c.gt(0), a, b), () => [randn([6]), randn([6]), randn([6])]],
  ['where scalar', (c, a) => Tensor.where(c.gt(0), a, 1.5), () => [randn([6]), randn([6])]],
  ['atan2', (a, b) => a.atan2(b), () => [randn([4]), positive([4])]],
  // linear algebra
  ['matmul', (a, b) => a.matmul(b), () => [randn([2, 3, 4]), randn([4, 2])]],
  ['mm', (a, b) => a.mm(b), () => [randn([2, 3]), randn([3, 2])]],
  ['bmm', (a, b) => a.bmm(b), () => [randn([2, 2, 3]), randn([2, 3, 2])]],
  ['einsum', (a, b) => Tensor.einsum('bij,bjk->bik', [a, b]), () => [randn([2, 2, 3]), randn([2, 3, 2])]],
  ['dot outer', (a, b) => a.outer(b).sum().add(a.dot(b)), () => [randn([3]), randn([3])]],
  [
    'baddbmm',
    (c, a, b) => c.baddbmm(a, b, 0.5, 2),
    () => [randn([2, 2, 2]), randn([2, 2, 3]), randn([2, 3, 2])],
  ],
  [
    'inverse det',
    (a) => a.inverse().sum().add(a.det()),
    () => [
      Tensor.eye(3, 3, f64)
        .mul(2)
        .add(Tensor.rand([3, 3], f64).mul(0.3)),
    ],
  ],
  // reductions
  ['sum dims keepdim', (a) => a.sum([0, 2], true), () => [randn([2, 3, 4])]],
  ['mean all', (a) => a.mean(), () => [randn([2, 3])]],
  ['prod', (a) => a.prod(1), () => [away([2, 3])]],
  ['std var', (a) => a.std(1).add(a.var(null, false)), () => [randn([3, 4])]],
  ['max dim', (a) => a.max(1).values, () => [randn([3, 5])]],
  ['min all', (a) => a.min(), () => [randn([7])]],
  ['amax', (a) => a.amax([1]), () => [randn([3, 5])]],
  ['topk', (a) => a.topk(2, 1).values, () => [randn([2, 6])]],
  ['sort', (a) => a.sort(0, true).values.mul(Tensor.arange(1, 6, 1, f64)), () => [randn([5])]],
  ['cumsum cumprod', (a) => a.cumsum(1).add(a.cumprod(1)), () => [randn([2, 4])]],
  ['logsumexp', (a) => a.logsumexp(1, true), () => [randn([3, 4])]],
  ['norm p=2 dims', (a) => a.norm(2, 1), () => [randn([3, 4])]],
  ['norm p=1 all', (a) => a.norm(1), () => [away([6])]],
  // shape ops
  [
    'reshape view permute transpose',
    (a) =>
      a
        .reshape([3, 4])
        .view([2, 6])
        .reshape([2, 3, 2])
        .permute([2, 0, 1])
        .transpose(0, 2)
        .mul(Tensor.arange(0, 12, 1, f64).reshape([3, 2, 2])),
    () => [randn([12])],
  ],
  [
    'narrow slice select',
    (a) =>
      a
        .narrow(1, 1, 2)
        .sum()
        .add(a.slice(0, 0, null, 2).sum(0))
        .add(a.select(1, 3)),
    () => [randn([4, 4])],
  ],
  [
    'indexSelect gather',
    (a) =>
      a
        .indexSelect(1, ints([2, 0, 2]))
        .sum(1)
        .add(a.gather(1, ints([1, 3, 0, 0, 2, 1], [3, 2])).sum(1)),
    () => [randn([3, 4])],
  ],
  [
    'scatter scatterAdd indexAdd',
    (a, s) =>
      a
        .scatter(1, ints([0, 2], [1, 2]), s)
        .add(a.scatterAdd(1, ints([1, 1], [1, 2]), s))
        .add(a.indexAdd(1, ints([0, 0]), s)),
    () => [randn([1, 3]), randn([1, 2])],
  ],
  [
    'maskedFill maskedSelect',
    (a) =>
      a
        .maskedFill(a.gt(0), 0)
        .sum()
        .add(a.maskedSelect(a.lt(0.5)).sum()),
    () => [away([6])],
  ],
  ['index', (a) => a.index([ints([2, 0]), null]), () => [randn([3, 2])]],
  ['squeeze unsqueeze expand', (a) => a.unsqueeze(0).expand([3, 2, 1]).squeeze(2), () => [randn([2, 1])]],
  ['flip roll repeat', (a) => a.flip([1]).add(a.roll(1, 1)).repeat([1, 2]), () => [randn([2, 3])]],
  ['flatten unflatten', (a) => a.flatten(1).unflatten(1, [2, 2]).mul(a), () => [randn([2, 2, 2])]],
  ['tril triu diagonal', (a) => a.tril().add(a.triu(1)).sum().add(a.diagonal().sum()), () => [randn([3, 3])]],
  [
    'cat stack',
    (a, b) =>
      Tensor.cat([a, b], 1)
        .sum(0)
        .sum()
        .add(Tensor.stack([a, b]).mul(a).sum()),
    () => [randn([2, 3]), randn([2, 3])],
  ],
  [
    'split chunk unbind',
    (a) => {
      const [x, y] = a.split(2, 0);
      const [p, q] = a.chunk(2, 1);
      return x.sum().add(y.sum()).add(p.mul(q).sum()).add(a.unbind(0)[1].sum());
    },
    () => [randn([4, 4])],
  ],
  [
    'to float32 and back (float32 precision)',
    (a) => a.float().double().mul(2),
    () => [randn([3])],
    { eps: 1e-2, atol: 1e-3 },
  ],
  // F
  ['linear', (x, w, b) => F.linear(x, w, b), () => [randn([2, 3]), randn([4, 3]), randn([4])]],
  [
    'conv1d',
    (x, w, b) => F.conv1d(x, w, b, { padding: 1, stride: 2 }),
    () => [randn([1, 2, 6]), randn([3, 2, 3]), randn([3])],
  ],
  [
    'conv2d stride padding',
    (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }),
    () => [randn([1, 2, 5, 5]), randn([3, 2, 3, 3]), randn([3])],
  ],
  [
    'conv2d dilation groups',
    (x, w) => F.conv2d(x, w, null, { dilation: 2, groups: 2, padding: 2 }),
    () => [randn([1, 4, 5, 5]), randn([2, 2, 3, 3])],
  ],
  [
    'convTranspose2d',
    (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
    () => [randn([1, 2, 3, 3]), randn([2, 3, 3, 3]), randn([3])],
  ],
  [
    'convTranspose2d groups dilation',
    (x, w) => F.convTranspose2d(x, w, null, { groups: 2, dilation: 2 }),
    () => [randn([1, 4, 3, 3]), randn([4, 1, 2, 2])],
  ],
  ['maxPool2d', (x) => F.maxPool2d(x, 2), () => [randn([1, 2, 4, 4])]],
  [
    'maxPool2d stride padding',
    (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
    () => [randn([1, 1, 5, 5])],
  ],
  [
    'avgPool2d',
    (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
    () => [randn([1, 2, 5, 5])],
  ],
  ['adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [2, 3]), () => [randn([1, 2, 5, 7])]],
  ['adaptiveMaxPool2d', (x) => F.adaptiveMaxPool2d(x, 2), () => [randn([1, 1, 4, 4])]],
  [
    'interpolate nearest',
    (x) => F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }),
    () => [randn([1, 1, 3, 3])],
  ],
  [
    'interpolate bilinear alignCorners',
    (x) => F.interpolate(x, { size: [5, 4], mode: 'bilinear', alignCorners: true }),
    () => [randn([1, 2, 3, 3])],
  ],
  [
    'interpolate bilinear',
    (x) => F.interpolate(x, { size: [2, 5], mode: 'bilinear' }),
    () => [randn([1, 1, 3, 3])],
  ],
  [
    'interpolate bicubic',
    (x) => F.interpolate(x, { size: [5, 5], mode: 'bicubic', alignCorners: false }),
    () => [randn([1, 1, 3, 3])],
  ],
  ['pad constant', (x) => F.pad(x, [1, 2, 0, 1], { value: 0.5 }), () => [randn([1, 1, 3, 3])]],
  ['pad reflect', (x) => F.pad(x, [2, 1, 1, 2], { mode: 'reflect' }), () => [randn([1, 1, 3, 4])]],
  ['pad replicate', (x) => F.pad(x, [2, 1, 1, 2], { mode: 'replicate' }), () => [randn([1, 1, 3, 3])]],
  [
    'gridSample bilinear (input and grid)',
    (x, g) => F.gridSample(x, g, { alignCorners: false }),
    () => [randn([1, 2, 4, 4]), Tensor.rand([1, 3, 2, 2], f64).mul(1.6).sub(0.8)],
  ],
  [
    'gridSample border alignCorners',
    (x, g) => F.gridSample(x, g, { paddingMode: 'border', alignCorners: true }),
    () => [randn([1, 1, 3, 3]), Tensor.rand([1, 2, 2, 2], f64).mul(2.4).sub(1.2)],
  ],
  [
    'gridSample bicubic',
    (x, g) => F.gridSample(x, g, { mode: 'bicubic', alignCorners: false }),
    () => [randn([1, 1, 4, 4]), Tensor.rand([1, 2, 2, 2], f64).mul(1.4).sub(0.7)],
  ],
  [
    'affineGrid + gridSample',
    (x, th) => F.gridSample(x, F.affineGrid(th, [1, 1, 3, 3], false)),
    () => [randn([1, 1, 4, 4]), Tensor.from([0.9, 0.1, 0.05, -0.1, 0.8, 0.02], [1, 2, 3], f64)],
  ],
  [
    'pixelShuffle unfold',
    (x) => F.pixelShuffle(x, 2).sum([0, 1]).add(F.unfold(x, 2).sum()),
    () => [randn([1, 4, 2, 2])],
  ],
  [
    'relu relu6 leakyRelu',
    (x) =>
      F.relu(x)
        .add(F.relu6(x.mul(4)))
        .add(F.leakyRelu(x, 0.1)),
    () => [away([8], 0.1)],
  ],
  [
    'elu gelu silu mish',
    (x) => F.elu(x).add(F.gelu(x)).add(F.gelu(x, 'tanh')).add(F.silu(x)).add(F.mish(x)),
    () => [away([6], 0.05)],
  ],
  [
    'softplus logSigmoid hardswish',
    (x) => F.softplus(x, 2).add(F.logSigmoid(x)).add(F.hardswish(x)),
    () => [away([6], 0.1)],
  ],
  ['softmax logSoftmax', (x) => F.softmax(x, 1).add(F.logSoftmax(x, 0)), () => [randn([3, 4])]],
  ['layerNorm', (x, w, b) => F.layerNorm(x, [4], w, b), () => [randn([3, 4]), randn([4]), randn([4])]],
  [
    'batchNorm training',
    (x, w, b) => F.batchNorm(x, null, null, w, b, true),
    () => [randn([4, 3, 2, 2]), randn([3]), randn([3])],
  ],
  [
    'batchNorm eval',
    (x, m, v, w) => F.batchNorm(x, m, v, w, null, false),
    () => [randn([2, 3, 2]), randn([3]), positive([3]), randn([3])],
    { constants: [1, 2] },
  ],
  ['groupNorm', (x, w, b) => F.groupNorm(x, 2, w, b), () => [randn([2, 4, 3, 3]), randn([4]), randn([4])]],
  [
    'instanceNorm',
    (x, w, b) => F.instanceNorm(x, null, null, w, b),
    () => [randn([2, 3, 3, 3]), randn([3]), randn([3])],
  ],
  [
    'dropout (seeded)',
    (x) => {
      seed(11);
      return F.dropout(x, 0.4, true);
    },
    () => [randn([10])],
  ],
  [
    'dropout2d (seeded)',
    (x) => {
      seed(12);
      return F.dropout2d(x, 0.5, true);
    },
    () => [randn([2, 4, 2, 2])],
  ],
  ['normalize', (x) => F.normalize(x, { dim: 1 }), () => [randn([3, 4])]],
  ['cosineSimilarity', (a, b) => F.cosineSimilarity(a, b, 1), () => [randn([3, 4]), randn([3, 4])]],
  [
    'pairwiseDistance cdist',
    (a, b) => F.pairwiseDistance(a, b).sum().add(F.cdist(a, b).sum()),
    () => [randn([3, 4]), randn([3, 4])],
  ],
  ['crossEntropy', (x, t) => F.crossEntropy(x, t), () => [randn([4, 3]), ints([0, 2, 1, 2])]],
  [
    'crossEntropy weight ignoreIndex labelSmoothing',
    (x, w, t) => F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }),
    () => [randn([5, 3]), positive([3]), ints([0, 2, 1, 2, 0])],
    { constants: [1] },
  ],
  [
    'crossEntropy spatial sum',
    (x, t) => F.crossEntropy(x, t, { reduction: 'sum' }),
    () => [randn([2, 3, 2, 2]), ints([0, 1, 2, 1, 0, 0, 2, 2], [2, 2, 2])],
  ],
  [
    'crossEntropy probabilities',
    (x, p) => F.crossEntropy(x, p),
    () => [randn([3, 4]), F.softmax(randn([3, 4]), 1)],
    { constants: [1] },
  ],
  [
    'nllLoss',
    (x, t) => F.nllLoss(F.logSoftmax(x, 1), t, { reduction: 'none' }),
    () => [randn([4, 3]), ints([0, 2, 1, 1])],
  ],
  [
    'bceWithLogits weight posWeight',
    (x, y, w, pw) => F.binaryCrossEntropyWithLogits(x, y, { weight: w, posWeight: pw }),
    () => [randn([3, 4]), Tensor.rand([3, 4], f64), positive([4]), positive([4])],
    { constants: [2, 3] },
  ],
  ['bce', (p, y) => F.binaryCrossEntropy(p.sigmoid(), y), () => [randn([5]), Tensor.rand([5], f64)]],
  [
    'mse l1',
    (x, y) => F.mseLoss(x, y).add(F.l1Loss(x, y, { reduction: 'sum' })),
    () => [randn([6]), randn([6]).add(3)],
  ],
  [
    'smoothL1 huber',
    (x, y) => F.smoothL1Loss(x, y, { beta: 0.5 }).add(F.huberLoss(x, y, { delta: 0.7 })),
    () => [away([8], 0.1).mul(1.5), Tensor.zeros([8], f64)],
  ],
  [
    'klDiv batchmean',
    (x, t) => F.klDiv(F.logSoftmax(x, 1), F.softmax(t, 1), { reduction: 'batchmean' }),
    () => [randn([3, 4]), randn([3, 4])],
  ],
];

describe('gradcheck (float64 finite differences)', () => {
  let before = 0;
  beforeAll(() => {
    seed(0);
    before = liveTensors();
  });
  afterAll(() => {
    // Every check runs inside tidy: nothing may leak.
    expect(liveTensors()).toBe(before);
  });

  it('the checker itself fails on a wrong gradient (detach hides a dependency)', () => {
    const x = tidy(() => randn([4]));
    const r = gradcheck((a) => a.detach().mul(a), [x]);
    x.dispose();
    expect(r.ok).toBe(false);
    expect(r.mismatches.length).toBeGreaterThan(0);
  });

  for (const [name, f, make, opts] of cases) {
    it(name, () => {
      seed(name.length);
      const inputs = tidy(make);
      try {
        const r = gradcheck(f, inputs, opts);
        expect(r.mismatches, r.mismatches.join('\n')).toEqual([]);
        expect(r.ok).toBe(true);
      } finally {
        dispose(inputs);
      }
    });
  }
});
