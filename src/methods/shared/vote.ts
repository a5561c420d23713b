/**
 * Voting, the prediction of every heatmap + offset network (METHODS §2): per landmark the top
 * ⌊πR²⌋ heatmap pixels each vote at pixel + offset·R; the cell with most votes wins (sub-pixel:
 * mean of the votes near it). Confidence is the heatmap probability of the best pixel.
 */
import { Tensor, noGrad, tidy } from '../../engine';
import type { Point } from '../../data/types';
import { vote } from './geometry';
import { splitOutput } from './heatmapLoss';
import { buildTargets } from './targets';

export interface VoteResult {
  points: Point[][];
  confidence: number[][];
}

/**
 * An optional prior: only pixels within `radius` (grid pixels) of `points[b][n]` may vote, e.g.
 * around stage 1's answer, so a stray heatmap peak far away cannot win.
 */
export interface VotePrior {
  points: Point[][];
  radius: number;
}

/** Votes on a network output (B, 3N, S, S). */
export function voteLandmarks(out: Tensor, n: number, radius: number, prior?: VotePrior): VoteResult {
  const [B, , S] = out.shape;
  const k = Math.max(1, Math.min(S * S, Math.floor(Math.PI * radius * radius)));
  const [vals, idx, ox, oy] = noGrad(() =>
    tidy(() => {
      const { heat, offX, offY } = splitOutput(out.float(), n);
      let h = heat;
      if (prior) {
        // Outside the prior disk the logits drop by 1e4: those pixels only vote when fewer than
        // k pixels lie inside, and then with their (tiny) probabilities.
        const inside = buildTargets(prior.points, S, prior.radius, out.device).mask;
        h = heat.add(inside.sub(1).mul(1e4));
      }
      const flat = h.reshape([B, n, S * S]);
      const top = flat.topk(k, 2, true);
      const ix = top.indices;
      return [
        heat
          .reshape([B, n, S * S])
          .gather(2, ix)
          .sigmoid(),
        ix,
        offX.reshape([B, n, S * S]).gather(2, ix),
        offY.reshape([B, n, S * S]).gather(2, ix),
      ];
    }),
  );
  const v = vals.toFloat32Array();
  const ii = idx.toArray() as ArrayLike<number | bigint>;
  const dx = ox.toFloat32Array();
  const dy = oy.toFloat32Array();
  for (const t of [vals, idx, ox, oy]) t.dispose();
  const points: Point[][] = [];
  const confidence: number[][] = [];
  const xs = new Float32Array(k);
  const ys = new Float32Array(k);
  for (let b = 0; b < B; b++) {
    const pts: Point[] = [];
    const conf: number[] = [];
    for (let j = 0; j < n; j++) {
      const base = (b * n + j) * k;
      for (let i = 0; i < k; i++) {
        const flatIndex = Number(ii[base + i]);
        xs[i] = (flatIndex % S) + dx[base + i] * radius;
        ys[i] = Math.floor(flatIndex / S) + dy[base + i] * radius;
      }
      const r = vote(xs, ys, S);
      pts.push(r.point);
      conf.push(Math.max(0, Math.min(1, v[base])));
    }
    points.push(pts);
    confidence.push(conf);
  }
  return { points, confidence };
}
