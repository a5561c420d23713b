/**
 * The engine core's fused helpers (src/engine/fused.ts: one native call per parameter list),
 * re-exported with the small adaptations the optimisers need.
 */
import {
  Tensor,
  keep,
  adamStep,
  sgdStep as coreSgdStep,
  clipGradNorm as coreClipGradNorm,
  clipGradValue as coreClipGradValue,
  zeroGrads,
} from '../index';

export { adamStep, zeroGrads };

/** SGD step; momentum buffers created by this call are kept out of any tidy scope (optimiser state). */
export function sgdStep(...args: Parameters<typeof coreSgdStep>): (Tensor | null)[] {
  return coreSgdStep(...args).map((t) => (t ? keep(t) : null));
}

export const clipGradNormNative = coreClipGradNorm;
export const clipGradValueNative = coreClipGradValue;

/** Whether p has a gradient, without leaving a handle behind. */
export function hasGrad(p: Tensor): boolean {
  const g = p.grad;
  if (!g) return false;
  g.dispose();
  return true;
}
