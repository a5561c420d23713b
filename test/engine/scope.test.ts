// Deterministic memory: tidy/keep/dispose/using, liveTensors, the FinalizationRegistry, and a
// 1000-step training loop whose live tensor count and RSS stay flat.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { F, Tensor, dispose, keep, liveTensors, noGrad, scopeDepth, seed, tidy } from '../../src/engine';

describe('tidy / keep / dispose', () => {
  it('disposes everything created inside, except the returned tensor', () => {
    const before = liveTensors();
    const a = Tensor.ones([3]);
    let inner: Tensor | undefined;
    const r = tidy(() => {
      inner = a.add(1);
      return inner.mul(2);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(r.isDisposed).toBe(false);
    expect(r.toList()).toEqual([4, 4, 4]);
    expect(liveTensors()).toBe(before + 2);
    dispose([a, r]);
    expect(liveTensors()).toBe(before);
  });

  it('nests: returned tensors move to the parent scope and die with it', () => {
    const before = liveTensors();
    let mid: Tensor | undefined;
    const out = tidy(() => {
      mid = tidy(() => Tensor.ones([2]).add(1));
      expect(mid.isDisposed).toBe(false);
      expect(scopeDepth()).toBe(1);
      return { sum: mid.sum(), list: [mid.mul(3)], n: 5 };
    });
    expect(mid!.isDisposed).toBe(true);
    expect(out.sum.item()).toBe(4);
    expect(out.list[0].toList()).toEqual([6, 6]);
    expect(out.n).toBe(5);
    dispose(out);
    expect(liveTensors()).toBe(before);
  });

  it('keep() exempts a tensor from every enclosing scope', () => {
    const before = liveTensors();
    let kept: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(Tensor.zeros([2]));
      });
    });
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(liveTensors()).toBe(before);
  });

  it('an exception inside tidy disposes everything and propagates', () => {
    const before = liveTensors();
    expect(() =>
      tidy(() => {
        Tensor.ones([2]);
        Tensor.ones([2]).matmul(Tensor.ones([3]));
      }),
    ).toThrow(/matmul/);
    expect(liveTensors()).toBe(before);
    expect(scopeDepth()).toBe(0);
  });

  it('async functions are refused', () => {
    const before = liveTensors();
    expect(() => tidy(async () => Tensor.ones([1]))).toThrow(/synchronous/);
    expect(liveTensors()).toBe(before);
  });

  it('dispose is idempotent, `using` disposes at block end, and use after dispose throws', () => {
    const before = liveTensors();
    const t = Tensor.ones([2]);
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.add(1)).toThrow(/used after dispose/);
    {
      using u = Tensor.ones([4]);
      expect(u.sum().item()).toBe(4);
    }
    // the sum() above is outside any scope: dispose by count check
    expect(liveTensors()).toBeLessThanOrEqual(before + 1);
  });

  it('grad getter returns a fresh handle each time; disposing it keeps the gradient', () =>
    tidy(() => {
      const w = Tensor.ones([2], { requiresGrad: true });
      w.mul(3).sum().backward();
      const g1 = w.grad!;
      g1.dispose();
      expect(w.grad!.toList()).toEqual([3, 3]);
    }));

  it('the FinalizationRegistry frees forgotten tensors after GC', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle(); // earlier tests may have left garbage of their own
    const before = liveTensors();
    (() => {
      for (let i = 0; i < 50; i++) Tensor.zeros([16]);
    })();
    expect(liveTensors()).toBe(before + 50);
    for (let i = 0; i < 10 && liveTensors() > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(liveTensors()).toBe(before);
  });
});

describe('a 1000-step training loop', () => {
  it('keeps liveTensors() identical and RSS growth under 64 MiB', () => {
    seed(0);
    const w1 = Tensor.randn([8, 1, 3, 3], { requiresGrad: true });
    const w2 = Tensor.randn([1, 8, 3, 3], { requiresGrad: true });
    const x = Tensor.randn([4, 1, 16, 16]);
    const y = Tensor.randn([4, 1, 16, 16]);
    const params = [w1, w2];
    const step = () =>
      tidy(() => {
        const h = F.relu(F.conv2d(x, w1, null, { padding: 1 }));
        const out = F.conv2d(F.maxPool2d(h, 2), w2, null, { padding: 1 });
        const loss = F.mseLoss(F.interpolate(out, { scaleFactor: 2, mode: 'bilinear' }), y);
        loss.backward();
        noGrad(() => {
          for (const p of params) p.sub_(p.grad!.mul(1e-3));
        });
        for (const p of params) p.zeroGrad();
        return loss.item();
      });
    for (let i = 0; i < 50; i++) step(); // warm up allocator and caches
    const live0 = liveTensors();
    const rss0 = process.memoryUsage().rss;
    let first = 0;
    let last = 0;
    for (let i = 0; i < 1000; i++) {
      const l = step();
      if (i === 0) first = l;
      last = l;
    }
    const growth = process.memoryUsage().rss - rss0;
    console.log(
      `1000 steps: loss ${first.toFixed(4)} -> ${last.toFixed(4)}, RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB, live ${live0} -> ${liveTensors()}`,
    );
    expect(liveTensors()).toBe(live0);
    expect(last).toBeLessThan(first);
    expect(growth).toBeLessThan(64 * 2 ** 20);
    dispose([w1, w2, x, y]);
  });
});
