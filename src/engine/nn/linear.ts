import { F, Tensor } from '../index';
import { defaultLayerInit_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

/** y = x W^T + b, weight [out, in] as in torch.nn.Linear. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; dtype?: Tensor['dtype']; device?: Tensor['device'] } = {},
  ) {
    super();
    const t = { dtype: opts.dtype, device: opts.device };
    this.weight = Parameter(Tensor.zeros([outFeatures, inFeatures], t));
    this.bias = opts.bias === false ? null : Parameter(Tensor.zeros([outFeatures], t));
    this.resetParameters();
  }

  resetParameters(): void {
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias ?? undefined);
  }
}

/** Passes its input through; a placeholder where an architecture option removes a layer. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
