/**
 * Train-PL: the pseudo-label refresh rule (see RefreshConfig). Pure functions over plain arrays, so
 * the rule is tested without a network.
 */
import type { Point } from '../../data/types';
import type { RefreshConfig } from './config';

/** Whether a refresh runs before step `s` (0-based) of a stage of `total` steps. */
export function refreshDue(r: RefreshConfig | null, s: number, total: number): boolean {
  if (!r || s === 0) return false;
  const first = Math.max(1, Math.ceil(r.start * total));
  return s >= first && (s - first) % r.every === 0;
}

export interface RefreshStats {
  /** Labels replaced, per landmark. */
  replaced: number[];
  /** Candidates rejected for low confidence / for moving too far from the stage-1 label. */
  lowConfidence: number;
  tooFar: number;
}

/**
 * New labels from predictions. `anchor` = stage-1 labels (Infer-PL), `current` = labels in use,
 * `pred`/`conf` = the network's predictions, all per image per landmark in grid pixels; `fixed[i]`
 * marks images whose labels never change (the template). Returns new arrays.
 */
export function refreshLabels(
  r: RefreshConfig,
  radius: number,
  anchor: (Point | null)[][],
  current: (Point | null)[][],
  pred: Point[][],
  conf: number[][],
  fixed: boolean[],
): { labels: (Point | null)[][]; stats: RefreshStats } {
  const n = anchor[0]?.length ?? 0;
  const stats: RefreshStats = { replaced: Array(n).fill(0), lowConfidence: 0, tooFar: 0 };
  const labels = current.map((row, i) =>
    row.map((p, j) => {
      const a = anchor[i][j];
      if (fixed[i] || !a || !p) return p;
      if (conf[i][j] < r.minConfidence) {
        stats.lowConfidence++;
        return p;
      }
      const q = pred[i][j];
      if (Math.hypot(q.x - a.x, q.y - a.y) > r.maxMove * radius) {
        stats.tooFar++;
        return p;
      }
      stats.replaced[j]++;
      return { x: q.x, y: q.y };
    }),
  );
  return { labels, stats };
}
