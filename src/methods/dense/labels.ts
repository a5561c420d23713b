/**
 * The dense stage's labels while it trains: the checkpoint component that makes a resumed run see
 * the refreshed pseudo-labels it stopped with, and the predictions a refresh starts from.
 */
import { Tensor, noGrad, tidy } from '../../engine';
import type { Point } from '../../data/types';
import type { Checkpointable } from '../../runs/loop';
import { voteLandmarks } from '../shared/vote';
import type { RefreshConfig } from './config';
import type { DenseLandmarkNet } from './nets';
import { refreshLabels, type RefreshStats } from './refresh';

type GridLabels = (Point | null)[][];

/**
 * The labels a dense stage trains on: Infer-PL's (and the template's truth), replaced where the
 * network's own confident predictions lie near them (Train-PL), and checkpointed with the stage.
 */
export class TrainingLabels {
  current: GridLabels;
  readonly refreshes: RefreshStats[] = [];

  constructor(
    /** What refreshed labels stay anchored to. */
    readonly anchor: GridLabels,
    private readonly isTemplate: boolean[],
  ) {
    this.current = anchor.map((row) => row.map((p) => (p ? { ...p } : null)));
  }

  /** The checkpoint component: a resumed stage sees the labels it stopped with. */
  state(): Checkpointable {
    return labelState(
      () => this.current,
      (l) => (this.current = l),
    );
  }

  /**
   * Predicts the training images (eval mode, back to training after; `predict` is the stage's
   * own: whole images or crops) and refreshes; returns the progress note.
   */
  refresh(
    net: DenseLandmarkNet,
    predict: (net: DenseLandmarkNet) => { points: Point[][]; confidence: number[][] },
    radius: number,
    config: RefreshConfig,
  ): string {
    net.train(false);
    const predicted = predict(net);
    net.train(true);
    const r = refreshLabels(
      config,
      radius,
      this.anchor,
      this.current,
      predicted.points,
      predicted.confidence,
      this.isTemplate,
    );
    this.current = r.labels;
    this.refreshes.push(r.stats);
    const replaced = r.stats.replaced.reduce((a, b) => a + b, 0);
    return `pseudo-labels refreshed: ${replaced} replaced, ${r.stats.lowConfidence} low-confidence, ${r.stats.tooFar} too far`;
  }
}

/** The labels as a checkpoint component: (M, n, 2) float64, NaN = missing. */
export function labelState(
  get: () => (Point | null)[][],
  set: (l: (Point | null)[][]) => void,
): Checkpointable {
  return {
    state: () => {
      const l = get();
      const M = l.length;
      const n = l[0]?.length ?? 0;
      const a = new Float64Array(M * n * 2);
      l.forEach((row, i) =>
        row.forEach((p, j) => {
          a[(i * n + j) * 2] = p ? p.x : NaN;
          a[(i * n + j) * 2 + 1] = p ? p.y : NaN;
        }),
      );
      return { tensors: { points: Tensor.from(a, [M, n, 2]) } };
    },
    loadState: (s) => {
      const t = s.tensors.points;
      if (!t) throw new Error('checkpoint has no label state ("labels.points")');
      const [M, n] = t.shape;
      const a = t.dtype === 'float64' ? (t.toArray() as Float64Array) : Float64Array.from(t.toFloat32Array());
      const out: (Point | null)[][] = [];
      for (let i = 0; i < M; i++) {
        const row: (Point | null)[] = [];
        for (let j = 0; j < n; j++) {
          const x = a[(i * n + j) * 2];
          const y = a[(i * n + j) * 2 + 1];
          row.push(Number.isNaN(x) ? null : { x, y });
        }
        out.push(row);
      }
      set(out);
    },
  };
}

/** Predicts every image of the stack with the current network (eval mode), in grid pixels. */
export function predictStack(
  net: DenseLandmarkNet,
  stack: Tensor,
  radius: number,
  batch = 4,
): { points: Point[][]; confidence: number[][] } {
  const points: Point[][] = [];
  const confidence: number[][] = [];
  const M = stack.shape[0];
  for (let s = 0; s < M; s += batch) {
    const out = noGrad(() => tidy(() => net.forward(stack.narrow(0, s, Math.min(batch, M - s)))));
    const v = voteLandmarks(out, net.landmarks, radius);
    out.dispose();
    points.push(...v.points);
    confidence.push(...v.confidence);
  }
  return { points, confidence };
}
