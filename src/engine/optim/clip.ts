/** Gradient clipping over a parameter list, one native call each (torch.nn.utils.clip_grad_*_). */
import type { Tensor } from '../index';
import { clipGradNormNative, clipGradValueNative } from './fused';

/**
 * Scales all gradients together so their joint norm is at most maxNorm. Returns the norm before
 * clipping. normType may be Infinity (max-abs). errorIfNonfinite throws on NaN/Inf norms.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  errorIfNonfinite = false,
): number {
  return clipGradNormNative([...params], maxNorm, normType, errorIfNonfinite);
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  clipGradValueNative([...params], clipValue);
}
