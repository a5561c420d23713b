/**
 * A point distribution model (Cootes et al.'s active shape model without the image search): the
 * mean shape and main modes of a set of landmark configurations, after removing each one's
 * position, rotation and scale (generalised Procrustes analysis). Fitted robustly to one image's
 * answers, it says where each landmark should be given where the others are: an answer far from
 * that is a likely miss of the crop model (a look-alike structure, or a stage-1 estimate that left
 * the landmark outside its crop).
 *
 * Plain JavaScript: 19 landmarks and ~150 shapes make a 38×38 eigenproblem, far below the cost of
 * one network call.
 */
import type { Point } from '../../data/types';

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty: rotation and scale (a, b) plus translation. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

/** The similarity taking `src` onto `dst` in weighted least squares (weights ≥ 0, not all 0). */
export function fitSimilarity(
  src: readonly Point[],
  dst: readonly Point[],
  weights?: readonly number[],
): Similarity {
  const w = weights ?? src.map(() => 1);
  const total = w.reduce((s, v) => s + v, 0);
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  src.forEach((p, i) => {
    sx += w[i] * p.x;
    sy += w[i] * p.y;
    dx += w[i] * dst[i].x;
    dy += w[i] * dst[i].y;
  });
  sx /= total;
  sy /= total;
  dx /= total;
  dy /= total;
  let norm = 0;
  let dot = 0;
  let cross = 0;
  src.forEach((p, i) => {
    const ax = p.x - sx;
    const ay = p.y - sy;
    const bx = dst[i].x - dx;
    const by = dst[i].y - dy;
    norm += w[i] * (ax * ax + ay * ay);
    dot += w[i] * (ax * bx + ay * by);
    cross += w[i] * (ax * by - ay * bx);
  });
  const a = norm > 0 ? dot / norm : 1;
  const b = norm > 0 ? cross / norm : 0;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

const mapShape = (t: Similarity, s: readonly Point[]): Point[] => s.map((p) => applySimilarity(t, p));

/**
 * Eigenvalues and eigenvectors of a symmetric matrix (row-major, n×n) by cyclic Jacobi rotations,
 * sorted by decreasing eigenvalue; vectors[k] is the k-th eigenvector.
 */
export function symmetricEigen(m: Float64Array, n: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-24 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  return {
    values: order.map((i) => a[i * n + i]),
    vectors: order.map((i) => Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

/** Solves the small dense system A·x = y (row-major k×k, Gaussian elimination with pivoting). */
function solve(A: number[][], y: number[]): number[] {
  const k = y.length;
  const m = A.map((row, i) => [...row, y[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < k; r++) {
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= k; j++) m[r][j] -= f * m[c][j];
    }
  }
  const x = Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = m[r][k];
    for (let j = r + 1; j < k; j++) s -= m[r][j] * x[j];
    x[r] = s / m[r][r];
  }
  return x;
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class ShapeModel {
  private constructor(
    readonly mean: Point[],
    /** modes[k]: the k-th mode as a flat (x0, y0, x1, y1, …) unit vector. */
    readonly modes: number[][],
    /** Variance of the aligned shapes along each mode. */
    readonly variances: number[],
  ) {}

  /**
   * The model of `shapes` (all with the same landmarks, in one frame) with its `modes` largest
   * modes. The mean keeps the first shape's pose and scale, so residuals stay in its units.
   */
  static build(shapes: readonly (readonly Point[])[], modes: number): ShapeModel {
    if (shapes.length < 2) throw new Error(`a shape model needs at least 2 shapes, got ${shapes.length}`);
    const n = shapes[0].length;
    if (n < 3) throw new Error(`a shape model needs at least 3 landmarks, got ${n}`);
    if (shapes.some((s) => s.length !== n)) throw new Error('every shape needs the same landmarks');
    let mean: Point[] = shapes[0].map((p) => ({ ...p }));
    let aligned: Point[][] = [];
    for (let it = 0; it < 10; it++) {
      aligned = shapes.map((s) => mapShape(fitSimilarity(s, mean), s));
      const next = mean.map((_, j) => ({
        x: aligned.reduce((a, s) => a + s[j].x, 0) / aligned.length,
        y: aligned.reduce((a, s) => a + s[j].y, 0) / aligned.length,
      }));
      // Tie the mean's pose to the first shape's, or the iteration would let it shrink and drift.
      mean = mapShape(fitSimilarity(next, shapes[0]), next);
    }
    aligned = shapes.map((s) => mapShape(fitSimilarity(s, mean), s));
    const d = 2 * n;
    const cov = new Float64Array(d * d);
    for (const s of aligned) {
      const r = s.flatMap((p, j) => [p.x - mean[j].x, p.y - mean[j].y]);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] += (r[i] * r[j]) / shapes.length;
    }
    const eig = symmetricEigen(cov, d);
    const k = Math.max(0, Math.min(modes, shapes.length - 1, d));
    return new ShapeModel(
      mean,
      eig.vectors.slice(0, k),
      eig.values.slice(0, k).map((v) => Math.max(v, 1e-9)),
    );
  }

  get landmarks(): number {
    return this.mean.length;
  }

  /** The model's shape closest to `points` (weighted least squares, weights per landmark), in their frame. */
  fit(points: readonly Point[], weights: readonly number[]): Point[] {
    const k = this.modes.length;
    let coef = Array<number>(k).fill(0);
    let shape = this.mean;
    for (let it = 0; it < 20; it++) {
      shape = this.shapeOf(coef);
      // The image's points brought into the model frame, then the modes' coefficients fitted there.
      const back = mapShape(fitSimilarity(points, shape, weights), points);
      const r = back.flatMap((p, j) => [p.x - this.mean[j].x, p.y - this.mean[j].y]);
      const w2 = weights.flatMap((w) => [w, w]);
      const A = this.modes.map((mi, i) =>
        this.modes.map(
          (mj, j) => mi.reduce((s, v, t) => s + v * w2[t] * mj[t], 0) + (i === j ? 1 / this.variances[i] : 0),
        ),
      );
      const y = this.modes.map((mi) => mi.reduce((s, v, t) => s + v * w2[t] * r[t], 0));
      coef = k ? solve(A, y) : [];
    }
    shape = this.shapeOf(coef);
    return mapShape(fitSimilarity(shape, points, weights), shape);
  }

  /**
   * A fit that outlying answers cannot pull: iteratively reweighted, an answer further than
   * max(3 × the median distance, `floor`) from the fit down-weighted by (c/d)². Returns the fitted
   * shape (each landmark's expected position given the others) and each answer's distance from it.
   */
  robustFit(points: readonly Point[], floor: number): { expected: Point[]; distance: number[] } {
    let w = points.map(() => 1);
    let expected = this.fit(points, w);
    let distance = points.map((p, j) => Math.hypot(p.x - expected[j].x, p.y - expected[j].y));
    for (let it = 0; it < 5; it++) {
      const c = Math.max(3 * median(distance), floor);
      w = distance.map((d) => (d < c ? 1 : (c / d) ** 2) + 1e-6);
      expected = this.fit(points, w);
      distance = points.map((p, j) => Math.hypot(p.x - expected[j].x, p.y - expected[j].y));
    }
    return { expected, distance };
  }

  private shapeOf(coef: readonly number[]): Point[] {
    return this.mean.map((p, j) => ({
      x: p.x + coef.reduce((s, c, k) => s + c * this.modes[k][2 * j], 0),
      y: p.y + coef.reduce((s, c, k) => s + c * this.modes[k][2 * j + 1], 0),
    }));
  }
}
