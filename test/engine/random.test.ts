// Seeding: libtorch's generator and the JS generator repeat exactly after seed(n).
import { describe, expect, it } from 'vitest';
import { F, Generator, Tensor, random, randomInt, randomNormal, seed, shuffle, tidy } from '../../src/engine';

const draw = () =>
  tidy(() => [
    Array.from(Tensor.rand([5]).toFloat32Array()),
    Array.from(Tensor.randn([5]).toFloat32Array()),
    Array.from(Tensor.randint(0, 100, [5]).toArray() as BigInt64Array, Number),
    Array.from(F.dropout(Tensor.ones([20]), 0.5, true).toFloat32Array()),
    Array.from(Tensor.randperm(6).toArray() as BigInt64Array, Number),
    Array.from(Tensor.zeros([4]).normal_(0, 1).toFloat32Array()),
    [random(), randomInt(0, 1000), randomNormal()],
  ]);

describe('seed', () => {
  it('seed(n) twice gives identical rand/randn/randint/dropout/randperm/normal_ and JS draws', () => {
    seed(42);
    const a = draw();
    seed(42);
    const b = draw();
    expect(b).toEqual(a);
    seed(43);
    const c = draw();
    expect(c[0]).not.toEqual(a[0]);
    expect(c[6]).not.toEqual(a[6]);
  });

  it('dropout keeps the expected fraction and scales by 1/(1-p); eval mode is identity', () =>
    tidy(() => {
      seed(1);
      const y = F.dropout(Tensor.ones([10000]), 0.3, true).toFloat32Array();
      const kept = y.filter((v) => v !== 0);
      expect(Math.abs(kept.length / 10000 - 0.7)).toBeLessThan(0.03);
      expect(Math.abs(kept[0] - 1 / 0.7)).toBeLessThan(1e-6);
      expect(F.dropout(Tensor.ones([5]), 0.9, false).toList()).toEqual([1, 1, 1, 1, 1]);
    }));
});

describe('JS Generator (xoshiro128**)', () => {
  it('is reproducible, independent per instance, and seeds differ', () => {
    const g1 = new Generator(7);
    const g2 = new Generator(7);
    const xs = Array.from({ length: 10 }, () => g1.nextUint32());
    expect(Array.from({ length: 10 }, () => g2.nextUint32())).toEqual(xs);
    expect(new Generator(8).nextUint32()).not.toBe(xs[0]);
    expect(new Generator(2 ** 40).nextUint32()).not.toBe(new Generator(0).nextUint32());
    const f = new Generator(7).fork();
    expect(f.nextUint32()).not.toBe(xs[0]);
  });

  it('random() is uniform on [0, 1), randomInt covers its range, randomNormal has mean 0 and sd 1', () => {
    const g = new Generator(3);
    const n = 20000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = g.random();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[g.randomInt(-2, 4) + 2]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = g.randomNormal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).toBeLessThan(0.03);
    expect(() => g.randomInt(3, 3)).toThrow(RangeError);
  });

  it('shuffle permutes in place; seed validates its argument', () => {
    seed(5);
    const a = shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...a].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    seed(5);
    expect(shuffle([1, 2, 3, 4, 5, 6, 7, 8])).toEqual(a);
    expect(() => seed(-1)).toThrow(RangeError);
    expect(() => seed(1.5)).toThrow(RangeError);
  });
});
