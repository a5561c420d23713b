// The fused optimiser helpers against the same formulas written with ordinary tensor ops.
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  adamStep,
  clipGradNorm,
  clipGradValue,
  keep,
  noGrad,
  sgdStep,
  tidy,
  zeroGrads,
  type AdamStepOptions,
} from '../../src/engine';

const make = (values: number[]) =>
  Tensor.from(values, [values.length], { dtype: 'float64', requiresGrad: true });
/** Gives p a gradient equal to g. */
const setGrad = (p: Tensor, g: number[]) => (p.grad = Tensor.from(g, [g.length], { dtype: 'float64' }));

function adamReference(
  p: number[],
  grads: number[][],
  o: Required<Omit<AdamStepOptions, 'maximize'>>,
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g0, s) => {
    const step = s + 1;
    for (let i = 0; i < x.length; i++) {
      let g = g0[i];
      if (o.weightDecay && o.decoupled) x[i] *= 1 - o.lr * o.weightDecay;
      else if (o.weightDecay) g += o.weightDecay * x[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const bc1 = 1 - o.beta1 ** step;
      const bc2 = 1 - o.beta2 ** step;
      x[i] -= (o.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps));
    }
  });
  return x;
}

describe('fused optimiser helpers', () => {
  for (const decoupled of [false, true]) {
    it(`adamStep (${decoupled ? 'AdamW' : 'Adam + L2'}) matches the reference over 3 steps`, () =>
      tidy(() => {
        const o = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05, decoupled };
        const grads = [
          [0.5, -1, 2],
          [0.1, 0.2, -0.3],
          [1, 1, 1],
        ];
        const p = make([1, -2, 3]);
        const frozen = make([7]); // no grad: must be skipped
        const m = [Tensor.zerosLike(p), Tensor.zerosLike(frozen)];
        const v = [Tensor.zerosLike(p), Tensor.zerosLike(frozen)];
        grads.forEach((g, s) => {
          setGrad(p, g);
          expect(adamStep([p, frozen], m, v, s + 1, o)).toBe(1);
        });
        const want = adamReference([1, -2, 3], grads, o);
        const got = Array.from(p.toArray() as Float64Array);
        got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThan(1e-12));
        expect(frozen.toList()).toEqual([7]);
        expect(p.requiresGrad).toBe(true);
      }));
  }

  it('adamStep accepts one step count per parameter and validates lengths', () =>
    tidy(() => {
      const a = make([1]);
      const b = make([1]);
      setGrad(a, [1]);
      setGrad(b, [1]);
      const st = (t: Tensor) => [Tensor.zerosLike(t), Tensor.zerosLike(t)];
      const [ma, va] = st(a);
      const [mb, vb] = st(b);
      adamStep([a, b], [ma, mb], [va, vb], [1, 5], { lr: 0.1 });
      // with bias correction the first Adam step moves by ~lr whatever the gradient scale
      expect(Math.abs(a.item() - 1 + 0.1)).toBeLessThan(1e-6);
      expect(a.item()).not.toBe(b.item());
      expect(() => adamStep([a, b], [ma], [va, vb], 1, { lr: 0.1 })).toThrow(/same length/);
    }));

  for (const nesterov of [false, true]) {
    it(`sgdStep with momentum${nesterov ? ' (nesterov)' : ''} creates buffers lazily and matches the reference`, () =>
      tidy(() => {
        const o = { lr: 0.1, momentum: 0.9, dampening: nesterov ? 0 : 0.1, weightDecay: 0.01, nesterov };
        const p = make([1, 2]);
        const bufs: (Tensor | null)[] = [null];
        const ref = [1, 2];
        let refBuf: number[] | null = null;
        for (const g0 of [
          [1, -1],
          [0.5, 0.5],
          [-2, 1],
        ]) {
          setGrad(p, g0);
          const created = sgdStep([p], bufs, o);
          created.forEach((b, i) => {
            if (b) bufs[i] = keep(b);
          });
          const d = g0.map((g, i) => g + o.weightDecay * ref[i]);
          refBuf = refBuf === null ? [...d] : refBuf.map((b, i) => o.momentum * b + (1 - o.dampening) * d[i]);
          const step = nesterov ? d.map((x, i) => x + o.momentum * refBuf![i]) : refBuf;
          for (let i = 0; i < ref.length; i++) ref[i] -= o.lr * step[i];
        }
        const got = Array.from(p.toArray() as Float64Array);
        got.forEach((x, i) => expect(Math.abs(x - ref[i])).toBeLessThan(1e-12));
        bufs[0]!.dispose();
      }));
  }

  it('plain sgdStep (no momentum) takes [] buffers', () =>
    tidy(() => {
      const p = make([1]);
      setGrad(p, [2]);
      expect(sgdStep([p], [], { lr: 0.5 })).toEqual([null]);
      expect(p.item()).toBe(0);
    }));

  it('clipGradNorm returns the total norm and scales only when above maxNorm; clipGradValue clamps', () =>
    tidy(() => {
      const a = make([0, 0]);
      const b = make([0]);
      setGrad(a, [3, 0]);
      setGrad(b, [4]);
      expect(clipGradNorm([a, b], 10)).toBeCloseTo(5, 12);
      expect(a.grad!.toList()).toEqual([3, 0]);
      expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 12);
      const scaled = noGrad(() => Tensor.cat([a.grad!, b.grad!]).norm().item());
      expect(Math.abs(scaled - 1)).toBeLessThan(1e-5);
      setGrad(a, [3, -7]);
      expect(clipGradNorm([a], 100, Infinity)).toBe(7);
      clipGradValue([a], 1);
      expect(a.grad!.toList()).toEqual([1, -1]);
      setGrad(b, [NaN]);
      expect(() => clipGradNorm([b], 1, 2, true)).toThrow(/non-finite/);
    }));

  it('zeroGrads drops or zeroes gradients in one call', () =>
    tidy(() => {
      const a = make([1]);
      setGrad(a, [2]);
      zeroGrads([a], false);
      expect(a.grad!.toList()).toEqual([0]);
      zeroGrads([a]);
      expect(a.grad).toBeNull();
    }));
});
