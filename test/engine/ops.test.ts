// Values of the non-differentiable and in-place ops, factories, and views vs copies.
import { describe, expect, it } from 'vitest';
import { F, Tensor, tidy } from '../../src/engine';
import { native } from '../../src/engine/native';

const list = (t: Tensor) => t.toList();
const i64 = (...v: number[]) => Tensor.from(BigInt64Array.from(v.map(BigInt)));

describe('factories', () => {
  it('zeros/ones/full/eye/linspace/arange/scalar/*Like and requiresGrad', () =>
    tidy(() => {
      expect(list(Tensor.zeros([2, 2]))).toEqual([
        [0, 0],
        [0, 0],
      ]);
      expect(list(Tensor.ones(3, { dtype: 'int32' }))).toEqual([1, 1, 1]);
      expect(Tensor.full([2], 7).dtype).toBe('float32');
      expect(list(Tensor.full([2], 7, { dtype: 'int64' }))).toEqual([7, 7]);
      expect(list(Tensor.eye(2, 3))).toEqual([
        [1, 0, 0],
        [0, 1, 0],
      ]);
      expect(list(Tensor.linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
      expect(list(Tensor.arange(2, 8, 2))).toEqual([2, 4, 6]);
      expect(Tensor.arange(3, undefined, 1, { dtype: 'float32' }).dtype).toBe('float32');
      expect(Tensor.scalar(2).shape).toEqual([]);
      const r = Tensor.rand([3, 2], { dtype: 'float64', requiresGrad: true });
      expect([r.requiresGrad, r.isLeaf, r.dtype]).toEqual([true, true, 'float64']);
      expect(list(Tensor.onesLike(r))).toEqual([
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
      expect(Tensor.zerosLike(r, 'int32').dtype).toBe('int32');
      expect(Tensor.fullLike(r, 3).toList()).toEqual([
        [3, 3],
        [3, 3],
        [3, 3],
      ]);
      expect(Tensor.randnLike(r).shape).toEqual([3, 2]);
      expect(Tensor.emptyLike(r).shape).toEqual([3, 2]);
      const ri = Tensor.randint(3, 6, [1000]);
      expect([ri.min().item(), ri.max().item(), ri.dtype]).toEqual([3, 5, 'int64']);
      expect(Tensor.randperm(5).sort().values.toList()).toEqual([0, 1, 2, 3, 4]);
      const u = Tensor.rand([1000]);
      expect(u.min().item()).toBeGreaterThanOrEqual(0);
      expect(u.max().item()).toBeLessThan(1);
    }));
});

describe('comparisons, logic, selection', () => {
  it('eq/ne/lt/le/gt/ge with tensors and numbers give bool tensors', () =>
    tidy(() => {
      const a = Tensor.from([1, 2, 3]);
      const b = Tensor.from([3, 2, 1]);
      expect(a.eq(b).dtype).toBe('bool');
      expect([a.eq(b), a.ne(b), a.lt(b), a.le(2), a.gt(2), a.ge(b)].map(list)).toEqual([
        [0, 1, 0],
        [1, 0, 1],
        [1, 0, 0],
        [1, 1, 0],
        [0, 0, 1],
        [0, 1, 1],
      ]);
      const p = a.gt(1);
      const q = a.lt(3);
      expect([p.logicalAnd(q), p.logicalOr(q), p.logicalXor(q), p.logicalNot()].map(list)).toEqual([
        [0, 1, 0],
        [1, 1, 1],
        [1, 0, 1],
        [1, 0, 0],
      ]);
      expect(a.where(p, -1).toList()).toEqual([-1, 2, 3]);
      expect(Tensor.where(p, 1, 0).toList()).toEqual([0, 1, 1]);
      expect(a.allclose(a.add(1e-7))).toBe(true);
      expect(a.equal(b)).toBe(false);
      expect(list(a.isclose(b))).toEqual([0, 1, 0]);
      expect(list(Tensor.from([0, 5, 0, 7]).nonzero())).toEqual([[1], [3]]);
      expect(list(Tensor.from([NaN, Infinity, 1]).isnan())).toEqual([1, 0, 0]);
      expect(list(Tensor.from([NaN, Infinity, 1]).isinf())).toEqual([0, 1, 0]);
      expect(list(Tensor.from([NaN, Infinity, 1]).isfinite())).toEqual([0, 0, 1]);
      expect(Tensor.from([0, 1, 1]).bool().all().item()).toBe(0);
      expect(Tensor.from([0, 1, 1]).bool().any().item()).toBe(1);
      expect(Tensor.from([0, 1, 1, 0], [2, 2]).countNonzero(0).toList()).toEqual([1, 1]);
    }));

  it('argmax/argmin/argsort/sort/topk indices and integer division', () =>
    tidy(() => {
      const t = Tensor.from([3, 9, 1, 4, 0, 8], [2, 3]);
      expect(list(t.argmax(1))).toEqual([1, 2]);
      expect(t.argmin().item()).toBe(4);
      expect(list(t.argsort(1, true))).toEqual([
        [1, 0, 2],
        [2, 0, 1],
      ]);
      expect(list(t.topk(1, 0).indices)).toEqual([[1, 0, 1]]);
      expect(list(Tensor.from([7, -7]).div(2, 'floor'))).toEqual([3, -4]);
      expect(list(Tensor.from([7, -7]).div(2, 'trunc'))).toEqual([3, -3]);
      expect(list(Tensor.from([7, -7]).remainder(3))).toEqual([1, 2]);
      expect(list(Tensor.from([7, -7]).fmod(3))).toEqual([1, -1]);
      expect(list(Tensor.from([1.5, -2.5]).round())).toEqual([2, -2]);
      expect(list(Tensor.from([1.5, -1.5]).floor())).toEqual([1, -2]);
      expect(list(Tensor.from([1.5, -1.5]).ceil())).toEqual([2, -1]);
      expect(list(Tensor.from([-3, 0, 2]).sign())).toEqual([-1, 0, 1]);
      expect(list(Tensor.from([1, 2]).prod())).toEqual(2);
      expect(list(Tensor.from([1, 2, 3], [3], { dtype: 'int64' }).sum())).toEqual(6);
      expect(Tensor.from([1, 2, 3], [3], { dtype: 'int64' }).mean(null, false, 'float32').item()).toBe(2);
    }));
});

describe('shape ops, views and copies', () => {
  it('views share storage; clone/contiguous/reshape of non-contiguous copy', () =>
    tidy(() => {
      const t = Tensor.arange(0, 6, 1, { dtype: 'float32' }).reshape([2, 3]);
      for (const v of [
        t.view([3, 2]),
        t.transpose(0, 1),
        t.slice(1, 1),
        t.narrow(0, 0, 1),
        t.select(0, 1),
        t.unsqueeze(0),
        t.expand([2, 2, 3]),
        t.detach(),
      ])
        expect(native.sameStorage(v._h, t._h)).toBe(true);
      expect(native.sameStorage(t.clone()._h, t._h)).toBe(false);
      expect(native.sameStorage(t.t().contiguous()._h, t._h)).toBe(false);
      const v = t.view([6]);
      v.fill_(1);
      expect(t.sum().item()).toBe(6);
    }));

  it('split/chunk/unbind/flatten/repeat/roll/flip/tril/diag/meshgrid values', () =>
    tidy(() => {
      const t = Tensor.arange(0, 6, 1, { dtype: 'float32' });
      expect(t.split([2, 4]).map(list)).toEqual([
        [0, 1],
        [2, 3, 4, 5],
      ]);
      expect(t.chunk(3).map(list)).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect(t.reshape([2, 3]).unbind(1).map(list)).toEqual([
        [0, 3],
        [1, 4],
        [2, 5],
      ]);
      expect(list(t.reshape([1, 2, 3]).flatten())).toEqual([0, 1, 2, 3, 4, 5]);
      expect(list(Tensor.from([1, 2]).repeat([2]))).toEqual([1, 2, 1, 2]);
      expect(list(Tensor.from([1, 2]).repeatInterleave(2))).toEqual([1, 1, 2, 2]);
      expect(list(t.roll(2))).toEqual([4, 5, 0, 1, 2, 3]);
      expect(list(t.flip(0))).toEqual([5, 4, 3, 2, 1, 0]);
      expect(list(Tensor.ones([2, 2]).tril())).toEqual([
        [1, 0],
        [1, 1],
      ]);
      expect(list(Tensor.from([1, 2]).diag())).toEqual([
        [1, 0],
        [0, 2],
      ]);
      const [gy, gx] = Tensor.meshgrid([Tensor.from([0, 1]), Tensor.from([5, 6, 7])], 'ij');
      expect([gy.shape, list(gx.select(0, 1))]).toEqual([
        [2, 3],
        [5, 6, 7],
      ]);
      expect(list(Tensor.from([1, 2]).broadcastTo([2, 2]))).toEqual([
        [1, 2],
        [1, 2],
      ]);
      expect(Tensor.zeros([2, 1, 3]).squeeze().shape).toEqual([2, 3]);
      expect(Tensor.zeros([2, 1, 3]).squeeze(1).shape).toEqual([2, 3]);
      expect(Tensor.zeros([2, 3, 4]).permute([2, 0, 1]).shape).toEqual([4, 2, 3]);
      expect(list(Tensor.from([1, 2, 3]).index([i64(2, 0)]))).toEqual([3, 1]);
    }));
});

describe('in-place ops return this and mutate', () => {
  it('add_/sub_/mul_/div_/pow_/clamp_/fill_/zero_/copy_/lerp_/addcmul_/addcdiv_/maskedFill_/indexPut_', () =>
    tidy(() => {
      const t = Tensor.from([1, 2, 3]);
      expect(t.add_(1)).toBe(t);
      t.mul_(Tensor.from([2, 2, 2]))
        .sub_(1, 2)
        .div_(2)
        .pow_(2);
      expect(list(t)).toEqual([1, 4, 9]);
      expect(list(t.clamp_(2, 5))).toEqual([2, 4, 5]);
      t.copy_(Tensor.from([1, 1, 1]));
      t.lerp_(Tensor.from([3, 3, 3]), 0.5);
      expect(list(t)).toEqual([2, 2, 2]);
      t.addcmul_(Tensor.from([1, 2, 3]), Tensor.from([2, 2, 2]), 0.5).addcdiv_(
        Tensor.from([4, 4, 4]),
        Tensor.from([2, 4, 8]),
      );
      expect(list(t)).toEqual([5, 5, 5.5]);
      t.maskedFill_(t.gt(5), 0);
      expect(list(t)).toEqual([5, 5, 0]);
      t.indexPut_([i64(0, 0)], Tensor.from([1, 2]), true);
      expect(list(t)).toEqual([8, 5, 0]);
      t.zero_().fill_(2).neg_().abs_().sqrt_();
      expect(t.allclose(Tensor.full([3], Math.SQRT2))).toBe(true);
      const r = Tensor.from([-1, 1]).relu_();
      expect(list(r)).toEqual([0, 1]);
      expect(Tensor.zeros([1000]).uniform_(2, 3).min().item()).toBeGreaterThanOrEqual(2);
      const n = Tensor.zeros([4000]).normal_(5, 2);
      expect(Math.abs(n.mean().item() - 5)).toBeLessThan(0.2);
      expect(Math.abs(n.std().item() - 2)).toBeLessThan(0.2);
      const bern = Tensor.zeros([4000]).bernoulli_(0.25).mean().item();
      expect(Math.abs(bern - 0.25)).toBeLessThan(0.03);
    }));

  it('batchNorm updates running stats in place when training', () =>
    tidy(() => {
      const x = Tensor.from([1, 3, 5, 7], [4, 1]);
      const rm = Tensor.zeros([1]);
      const rv = Tensor.ones([1]);
      F.batchNorm(x, rm, rv, null, null, true, 0.1);
      expect(rm.item()).toBeCloseTo(0.4, 6); // 0.9 * 0 + 0.1 * 4
      expect(rv.item()).toBeCloseTo(0.9 + 0.1 * (20 / 3), 5); // unbiased variance
    }));

  it('toString and engine strings', () =>
    tidy(() => {
      const t = Tensor.zeros([2, 3], { requiresGrad: true });
      expect(String(t)).toBe('Tensor(shape=[2, 3], dtype=float32, device=cpu, requiresGrad)');
      t.dispose();
      expect(String(t)).toBe('Tensor(disposed)');
    }));
});
