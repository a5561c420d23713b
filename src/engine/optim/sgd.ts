/**
 * SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD: the momentum buffer
 * starts as a copy of the first gradient. One native call (sgdStep) per group.
 */
import type { Tensor } from '../index';
import { sgdStep } from './fused';
import { Optimizer, type BaseOptions, type ParamsArg } from './optimizer';

export interface SGDOptions extends BaseOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    const defaults: SGDOptions = {
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      ...opts,
    };
    if (!(defaults.lr >= 0)) throw new Error(`SGD: lr must be >= 0, got ${defaults.lr}`);
    if (!(defaults.momentum >= 0)) throw new Error(`SGD: momentum must be >= 0, got ${defaults.momentum}`);
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
    super(params, defaults);
  }

  step(): void {
    for (const g of this.paramGroups) {
      // Parameters without a gradient (frozen or unused) are skipped natively: no filtering needed here.
      const params = g.params;
      if (params.length === 0) continue;
      const bufs =
        g.momentum !== 0
          ? params.map((p) => (this.state.get(p)?.momentum_buffer as Tensor | undefined) ?? null)
          : [];
      const created = sgdStep(params, bufs, {
        lr: g.lr,
        momentum: g.momentum,
        dampening: g.dampening,
        weightDecay: g.weightDecay,
        nesterov: g.nesterov,
        maximize: g.maximize,
      });
      created.forEach((b, i) => {
        if (b) this.state.set(params[i], { momentum_buffer: b });
      });
    }
  }
}
