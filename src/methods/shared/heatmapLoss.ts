/**
 * The heatmap + offset loss of CC2D stage 2 and the dense methods (METHODS §2): heatmapWeight ×
 * focal-style BCE on the heatmaps + L1 on the offsets inside the disks. The network's output is
 * (B, 3N, S, S): N heatmap logits, then N x-offsets, then N y-offsets.
 */
import { Tensor } from '../../engine';
import type { Stage2Targets } from './targets';

/** log σ(z), stable for large |z|: −(relu(−z) + log(1 + e^−|z|)). */
export function logSigmoid(z: Tensor): Tensor {
  return z.neg().clamp(0).add(z.abs().neg().exp().add(1).log()).neg();
}

/**
 * Focal-style binary cross-entropy on logits, mean over all pixels:
 * −[y·(1−p)^γ·log p + (1−y)·p^γ·log(1−p)]. γ = 1 is CC2D's choice; γ = 0 is plain BCE.
 */
export function focalBce(
  logits: Tensor,
  target: Tensor,
  gamma: number,
  norm: 'mean' | 'positives' = 'mean',
): Tensor {
  const logP = logSigmoid(logits);
  const logQ = logP.sub(logits); // log(1 − σ(z)) = log σ(z) − z
  const p = logits.sigmoid();
  const wPos = gamma === 0 ? null : p.neg().add(1).pow(gamma);
  const wNeg = gamma === 0 ? null : p.pow(gamma);
  const pos = wPos ? target.mul(wPos).mul(logP) : target.mul(logP);
  const negT = target.neg().add(1);
  const neg = wNeg ? negT.mul(wNeg).mul(logQ) : negT.mul(logQ);
  const all = pos.add(neg);
  if (norm === 'mean') return all.mean().neg();
  return all.sum().div(target.sum().clamp(1)).neg();
}

export function splitOutput(out: Tensor, n: number): { heat: Tensor; offX: Tensor; offY: Tensor } {
  return { heat: out.narrow(1, 0, n), offX: out.narrow(1, n, n), offY: out.narrow(1, 2 * n, n) };
}

export function stage2Loss(
  out: Tensor,
  t: Stage2Targets,
  heatmapWeight: number,
  gamma: number,
  norm: 'mean' | 'positives' = 'mean',
): { total: Tensor; heat: Tensor; offset: Tensor } {
  const n = t.mask.shape[1];
  const { heat, offX, offY } = splitOutput(out.float(), n);
  const h = focalBce(heat, t.mask, gamma, norm);
  const denom = t.mask.sum().clamp(1);
  const l1 = offX.sub(t.offX).abs().add(offY.sub(t.offY).abs()).mul(t.mask).sum().div(denom);
  return { total: h.mul(heatmapWeight).add(l1), heat: h, offset: l1 };
}
