/**
 * Fused optimiser helpers: one native call updates a whole list of parameters (formulas as
 * torch.optim's for-loop implementations). The optimiser classes in src/engine/optim build on these.
 * All run without recording gradients and skip parameters whose .grad is absent.
 */
import { native as N, type Handle } from './native';
import { Tensor } from './tensor';

const hs = (ts: readonly Tensor[]): Handle[] => ts.map((t) => t._h);

export interface AdamStepOptions {
  lr: number;
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  eps?: number; // 1e-8
  weightDecay?: number; // 0
  /** true: AdamW (p *= 1 - lr*wd); false: Adam (wd*p added to the gradient). */
  decoupled?: boolean;
  maximize?: boolean;
}

/**
 * Adam/AdamW update of params with state expAvgs/expAvgSqs (same shapes, e.g. Tensor.zerosLike(p)).
 * steps: the step count including this update (1 on the first), one number or one per parameter;
 * it sets the bias correction. Returns how many parameters were updated.
 */
export function adamStep(
  params: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  steps: number | readonly number[],
  opts: AdamStepOptions,
): number {
  return N.adamStep(hs(params), hs(expAvgs), hs(expAvgSqs), steps, opts) as number;
}

export interface SgdStepOptions {
  lr: number;
  momentum?: number; // 0
  dampening?: number; // 0
  weightDecay?: number; // 0
  nesterov?: boolean;
  maximize?: boolean;
}

/**
 * SGD (with momentum) update. momentumBuffers has one entry per parameter, null until created (pass
 * [] when momentum is 0). Buffers are created from the gradient on first use, as torch.optim.SGD;
 * the result holds the new buffers (null elsewhere): store them in place of the nulls. They are
 * ordinary tensors in the current scope, so keep() them if a tidy scope is open.
 */
export function sgdStep(
  params: readonly Tensor[],
  momentumBuffers: readonly (Tensor | null)[],
  opts: SgdStepOptions,
): (Tensor | null)[] {
  const created = N.sgdStep(
    hs(params),
    momentumBuffers.map((b) => (b ? b._h : null)),
    opts,
  ) as (Handle | null)[];
  return created.map((h) => Tensor._wrap(h));
}

/**
 * Scales gradients in place so their total normType-norm is at most maxNorm (normType may be
 * Infinity); returns the total norm before clipping (torch.nn.utils.clip_grad_norm_).
 */
export function clipGradNorm(
  params: readonly Tensor[],
  maxNorm: number,
  normType = 2,
  errorIfNonfinite = false,
): number {
  return N.clipGradNorm(hs(params), maxNorm, normType, errorIfNonfinite) as number;
}

/** Clamps every gradient to [-value, value] in place. */
export function clipGradValue(params: readonly Tensor[], value: number): void {
  N.clipGradValue(hs(params), value);
}

/** Drops (setToNone) or zeroes the gradients of all params in one call. */
export function zeroGrads(params: readonly Tensor[], setToNone = true): void {
  N.zeroGrads(hs(params), setToNone);
}
