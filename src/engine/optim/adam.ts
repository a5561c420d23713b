/**
 * Adam and AdamW, matching torch.optim's single-tensor implementations (and torch::optim::Adam in
 * C++): Adam adds weight decay to the gradient (L2), AdamW decays the weights directly. Each group
 * updates in one native call (adamStep) over its parameter list.
 */
import { Tensor, keep, noGrad } from '../index';
import { adamStep, hasGrad } from './fused';
import { Optimizer, type BaseOptions, type ParamsArg } from './optimizer';

export interface AdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

class AdamBase extends Optimizer<AdamOptions> {
  constructor(
    params: ParamsArg<AdamOptions>,
    opts: Partial<AdamOptions>,
    private readonly decoupled: boolean,
    defaultWeightDecay: number,
  ) {
    const defaults: AdamOptions = {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: defaultWeightDecay,
      maximize: false,
      ...opts,
    };
    for (const [k, v] of Object.entries({
      lr: defaults.lr,
      eps: defaults.eps,
      weightDecay: defaults.weightDecay,
    })) {
      if (!(v >= 0)) throw new Error(`${new.target.name}: ${k} must be >= 0, got ${v}`);
    }
    if (!defaults.betas.every((b) => b >= 0 && b < 1))
      throw new Error(`${new.target.name}: betas must be in [0, 1), got ${defaults.betas}`);
    super(params, defaults);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const params: Tensor[] = [];
      const m: Tensor[] = [];
      const v: Tensor[] = [];
      const steps: number[] = [];
      for (const p of g.params) {
        let s = this.state.get(p);
        if (!s) {
          // Frozen parameters get no state (and cost one check per step); the rest skip the check.
          if (!p.requiresGrad) continue;
          s = noGrad(() => ({
            step: 0,
            exp_avg: keep(Tensor.zerosLike(p)),
            exp_avg_sq: keep(Tensor.zerosLike(p)),
          }));
          this.state.set(p, s);
        }
        params.push(p);
        m.push(s.exp_avg as Tensor);
        v.push(s.exp_avg_sq as Tensor);
        steps.push((s.step as number) + 1);
      }
      if (params.length === 0) continue;
      const updated = adamStep(params, m, v, steps, {
        lr: g.lr,
        beta1: g.betas[0],
        beta2: g.betas[1],
        eps: g.eps,
        weightDecay: g.weightDecay,
        decoupled: this.decoupled,
        maximize: g.maximize,
      });
      // The native step skips parameters without a gradient; only those that moved count a step.
      const moved = updated === params.length ? params : params.filter((p) => hasGrad(p));
      for (const p of moved) {
        const s = this.state.get(p)!;
        s.step = (s.step as number) + 1;
      }
    }
  }
}

/** Adam (Kingma & Ba), weight decay as L2 on the gradient (torch.optim.Adam). Defaults: lr 1e-3, wd 0. */
export class Adam extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, false, 0);
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay p *= 1 - lr*wd. Defaults: lr 1e-3, wd 1e-2. */
export class AdamW extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, true, 1e-2);
  }
}
