/** Grad mode and torch.autograd.grad. Grad mode is process-wide (one JS thread drives the engine). */
import { native as N, type Handle } from './native';
import { Tensor } from './tensor';

/** Grad mode is global, so the previous mode comes back even when fn throws. */
function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = N.setGradEnabled(enabled) as boolean;
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

/** Runs fn with gradient recording off (torch.no_grad). fn must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with gradient recording on, e.g. inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled() as boolean;
}

/** Sets grad mode and returns the previous one. Prefer noGrad/enableGrad, which restore it. */
export function setGradEnabled(enabled: boolean): boolean {
  return N.setGradEnabled(enabled) as boolean;
}

export interface GradOptions {
  /** Gradients of the outputs (needed for non-scalar outputs). */
  gradOutputs?: readonly Tensor[];
  retainGraph?: boolean;
  /** Record the gradient computation itself (for higher-order gradients / penalties). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** torch.autograd.grad: gradients of outputs w.r.t. inputs, without touching .grad. */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  o: GradOptions = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const res = N.autogradGrad(
    outs.map((t) => t._h),
    ins.map((t) => t._h),
    o.gradOutputs ? o.gradOutputs.map((t) => t._h) : null,
    o.retainGraph ?? null,
    o.createGraph ?? false,
    o.allowUnused ?? false,
  ) as (Handle | null)[];
  return res.map((h) => Tensor._wrap(h));
}
