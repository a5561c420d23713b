/**
 * The point distribution model behind the dense methods' shape check
 * (src/methods/shared/shapeModel.ts): Procrustes fits, the eigen solver, and a robust fit that
 * finds the one displaced landmark of a shape without being pulled by it.
 */
import { describe, expect, it } from 'vitest';
import type { Point } from '../../../src/data/types';
import {
  ShapeModel,
  applySimilarity,
  fitSimilarity,
  symmetricEigen,
} from '../../../src/methods/shared/shapeModel';

/** A deterministic generator: the check must not depend on the run's seed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Twelve landmarks on a 100-px shape (a landmark set is 19 on ISBI: each has many neighbours). */
const BASE: Point[] = Array.from({ length: 12 }, (_, j) => ({
  x: 50 + 40 * Math.cos(j * 0.52) + 7 * Math.sin(j * 1.7),
  y: 50 + 45 * Math.sin(j * 0.52) + 5 * Math.cos(j * 2.3),
}));

/** Shapes that vary along two known modes, each under its own similarity. */
function shapes(count: number, rand: () => number): Point[][] {
  return Array.from({ length: count }, () => {
    const m1 = (rand() - 0.5) * 12;
    const m2 = (rand() - 0.5) * 8;
    const t = { a: 0.8 + 0.4 * rand(), b: (rand() - 0.5) * 0.3, tx: rand() * 100, ty: rand() * 100 };
    return BASE.map((p, j) =>
      applySimilarity(t, { x: p.x + m1 * (j % 2 ? 1 : -1), y: p.y + m2 * (j < 3 ? 1 : -0.5) }),
    );
  });
}

describe('shape model', () => {
  it('recovers a similarity exactly', () => {
    const t = { a: 1.2, b: -0.3, tx: 5, ty: -7 };
    const dst = BASE.map((p) => applySimilarity(t, p));
    const f = fitSimilarity(BASE, dst);
    expect(f.a).toBeCloseTo(1.2, 10);
    expect(f.b).toBeCloseTo(-0.3, 10);
    expect(f.tx).toBeCloseTo(5, 9);
    expect(f.ty).toBeCloseTo(-7, 9);
  });

  it('solves a symmetric eigenproblem, largest eigenvalue first', () => {
    // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1) and (1, -1) over √2.
    const e = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(e.values[0]).toBeCloseTo(3, 12);
    expect(e.values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(e.vectors[0][0] * e.vectors[0][1])).toBeCloseTo(0.5, 12);
    expect(e.vectors[0][0] * e.vectors[0][1]).toBeGreaterThan(0);
  });

  it('fits a new shape of the same family closely, whatever its pose', () => {
    const rand = lcg(7);
    const train = shapes(60, rand);
    const target = shapes(1, rand)[0];
    const ones = target.map(() => 1);
    const worst = (m: ShapeModel) =>
      Math.max(...m.fit(target, ones).map((q, j) => Math.hypot(q.x - target[j].x, q.y - target[j].y)));
    // The mean shape alone misses the target's own variation; its two modes capture it (up to the
    // prior's slight shrinkage of their coefficients and alignment's nonlinearity).
    const meanOnly = worst(ShapeModel.build(train, 0));
    const twoModes = worst(ShapeModel.build(train, 2));
    expect(meanOnly).toBeGreaterThan(1.5);
    expect(twoModes).toBeLessThan(0.3);
    expect(twoModes).toBeLessThan(meanOnly / 10);
  });

  it('finds a displaced landmark and predicts where it belongs', () => {
    const rand = lcg(11);
    const model = ShapeModel.build(shapes(60, rand), 2);
    const truth = shapes(1, rand)[0];
    const seen = truth.map((p, j) => (j === 3 ? { x: p.x + 25, y: p.y - 20 } : p));
    const { expected, distance } = model.robustFit(seen, 5);
    expect(distance[3]).toBeGreaterThan(25);
    distance.forEach((d, j) => j !== 3 && expect(d).toBeLessThan(2));
    expect(Math.hypot(expected[3].x - truth[3].x, expected[3].y - truth[3].y)).toBeLessThan(3);
    // A plain least-squares fit is pulled towards the displaced point: the robust one is not.
    const plain = model.fit(
      seen,
      seen.map(() => 1),
    );
    const pulled = Math.hypot(plain[3].x - truth[3].x, plain[3].y - truth[3].y);
    expect(pulled).toBeGreaterThan(1);
  });

  it('refuses too few shapes or landmarks', () => {
    expect(() => ShapeModel.build([BASE], 2)).toThrow(/at least 2 shapes/);
    expect(() => ShapeModel.build([BASE.slice(0, 2), BASE.slice(0, 2)], 1)).toThrow(/at least 3 landmarks/);
  });
});
