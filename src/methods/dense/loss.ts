/**
 * The per-landmark loss of the dense methods: for every landmark j its own CC2D stage-2 loss
 * (heatmapWeight × focal BCE averaged over its maps + L1 on offsets averaged over ITS disk), summed
 * over landmarks. Summing (not averaging) makes the gradient of each landmark's weights exactly what
 * a separately trained single-landmark model would get, which is what makes the grouped network N
 * independent models; with a shared backbone (C-Adapter) it is the multi-task sum.
 */
import type { Tensor } from '../../engine';
import { logSigmoid, splitOutput } from '../shared/heatmapLoss';
import type { Stage2Targets } from '../shared/targets';

export function perLandmarkLoss(out: Tensor, t: Stage2Targets, heatmapWeight: number, gamma: number): Tensor {
  const n = t.mask.shape[1];
  const { heat, offX, offY } = splitOutput(out.float(), n);
  const logP = logSigmoid(heat);
  const logQ = logP.sub(heat);
  const p = heat.sigmoid();
  const pos = t.mask.mul(gamma === 0 ? logP : p.neg().add(1).pow(gamma).mul(logP));
  const neg = t.mask
    .neg()
    .add(1)
    .mul(gamma === 0 ? logQ : p.pow(gamma).mul(logQ));
  // (B, N, S, S) -> per landmark: mean over batch and pixels.
  const focal = pos.add(neg).neg().mean([0, 2, 3]);
  const l1 = offX.sub(t.offX).abs().add(offY.sub(t.offY).abs()).mul(t.mask).sum([0, 2, 3]);
  const area = t.mask.sum([0, 2, 3]).clamp(1);
  return focal.mul(heatmapWeight).add(l1.div(area)).sum();
}
