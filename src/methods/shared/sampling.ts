/** Batch draws shared by the methods' samplers, from the engine's seeded generator. */
import { random } from '../../engine';

/** `k` distinct indices out of `n` (all of them, shuffled, when k >= n). */
export function drawIndices(n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const out = all.slice(0, m);
  // Batches larger than the dataset repeat images (tiny test sets).
  while (out.length < k) out.push(Math.floor(random() * n));
  return out;
}
