// Process-wide settings: threads, grad mode, build info, CUDA queries.
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  cudaAvailable,
  cudaDeviceCount,
  cudaSynchronize,
  enableGrad,
  engineInfo,
  getNumThreads,
  grad,
  isGradEnabled,
  noGrad,
  setNumThreads,
  tidy,
} from '../../src/engine';

describe('threads', () => {
  it('setNumThreads / getNumThreads round-trip and reject bad values', () => {
    const prev = getNumThreads();
    setNumThreads(2);
    expect(getNumThreads()).toBe(2);
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
    setNumThreads(prev);
  });
});

describe('grad mode', () => {
  it('noGrad turns recording off, nests with enableGrad, and restores on throw', () =>
    tidy(() => {
      const w = Tensor.ones([2], { requiresGrad: true });
      expect(isGradEnabled()).toBe(true);
      expect(noGrad(() => w.mul(2)).requiresGrad).toBe(false);
      expect(noGrad(() => enableGrad(() => w.mul(2)).requiresGrad)).toBe(true);
      expect(() =>
        noGrad(() => {
          throw new Error('x');
        }),
      ).toThrow('x');
      expect(isGradEnabled()).toBe(true);
    }));

  it('grad() (torch.autograd.grad) including createGraph for a second derivative', () =>
    tidy(() => {
      const x = Tensor.from([2, 3], [2], { dtype: 'float64', requiresGrad: true });
      const y = x.pow(3).sum();
      const [g] = grad(y, x, { createGraph: true });
      expect(g!.toList()).toEqual([12, 27]);
      const [g2] = grad(g!.sum(), x);
      expect(g2!.toList()).toEqual([12, 18]);
      expect(x.grad).toBeNull();
      const z = Tensor.ones([1], { requiresGrad: true });
      expect(grad(x.sum(), [x, z], { allowUnused: true })[1]).toBeNull();
    }));

  it('requiresGrad_, detach, isLeaf, retainGrad, grad setter', () =>
    tidy(() => {
      const a = Tensor.ones([2]).requiresGrad_();
      const b = a.mul(2).retainGrad();
      expect([a.isLeaf, b.isLeaf, b.detach().requiresGrad]).toEqual([true, false, false]);
      b.sum().backward();
      expect(b.grad!.toList()).toEqual([1, 1]);
      a.grad = Tensor.full([2], 5);
      expect(a.grad!.toList()).toEqual([5, 5]);
      a.grad = null;
      expect(a.grad).toBeNull();
    }));
});

describe('build info and CUDA queries', () => {
  it('engineInfo reports libtorch and the build', () => {
    const info = engineInfo();
    expect(info.libtorch).toMatch(/^\d+\.\d+/);
    expect(info.napiVersion).toBe(8);
    expect(info.ops).toBeGreaterThan(250);
    expect(typeof info.parallel).toBe('string');
    console.log(
      `libtorch ${info.libtorch} (${info.libtorchSource}), CUDA available: ${info.cudaAvailable}, ${info.ops} ops`,
    );
  });

  it('CUDA queries agree with each other and never throw without a GPU', () => {
    expect(cudaDeviceCount() > 0).toBe(cudaAvailable());
    expect(() => cudaSynchronize()).not.toThrow();
  });

  it.skipIf(!cudaAvailable())('tensors move to CUDA and back (needs a GPU)', () =>
    tidy(() => {
      const t = Tensor.arange(0, 6, 1, { dtype: 'float32' });
      const g = t.cuda();
      expect(g.device).toMatch(/^cuda/);
      expect(Array.from(g.mul(2).cpu().toFloat32Array())).toEqual([0, 2, 4, 6, 8, 10]);
      cudaSynchronize();
    }),
  );
});
