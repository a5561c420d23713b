/** Normalisation layers with torch.nn's parameter and buffer names. */
import { F, Tensor, noGrad } from '../index';
import { Module } from './module';
import { Parameter } from './parameter';

/** What every normalisation layer takes. */
interface NormOptions {
  eps?: number;
  dtype?: Tensor['dtype'];
  device?: Tensor['device'];
}

export interface BatchNormOptions extends NormOptions {
  /** Running-average factor; null = cumulative average over all batches seen (PyTorch's momentum=None). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * BatchNorm and InstanceNorm start from the same state under the same names, as PyTorch's
 * _NormBase: weight and bias, and optionally the running statistics.
 */
abstract class RunningStatsNorm extends Module {
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;

  protected initState(
    numFeatures: number,
    affine: boolean,
    trackRunningStats: boolean,
    t: Pick<NormOptions, 'dtype' | 'device'>,
  ): void {
    if (affine) {
      this.weight = Parameter(Tensor.ones([numFeatures], t));
      this.bias = Parameter(Tensor.zeros([numFeatures], t));
    }
    if (trackRunningStats) {
      this.registerBuffer('running_mean', Tensor.zeros([numFeatures], t));
      this.registerBuffer('running_var', Tensor.ones([numFeatures], t));
      this.registerBuffer('num_batches_tracked', Tensor.zeros([], { dtype: 'int64', device: t.device }));
      // Files written before PyTorch 0.4.1 lack it; PyTorch then starts the count at 0.
      this._optionalBuffers.add('num_batches_tracked');
    }
  }
}

/**
 * Batch normalisation over (N, H, W) per channel. Training normalises with batch statistics and
 * updates running_mean / running_var (unbiased variance) and num_batches_tracked, as PyTorch does;
 * eval uses the running statistics.
 */
export class BatchNorm2d extends RunningStatsNorm {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.initState(numFeatures, this.affine, this.trackRunningStats, {
      dtype: opts.dtype,
      device: opts.device,
    });
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.running_mean!.zero_();
      this.running_var!.zero_().add_(1);
      this.num_batches_tracked!.zero_();
    });
  }

  forward(x: Tensor): Tensor {
    let factor = 0;
    if (this.training && this.trackRunningStats) {
      // The counter never requires grad, so the in-place add records nothing (no noGrad round trip).
      const nbt = this.num_batches_tracked!;
      nbt.add_(1);
      factor = this.momentum ?? 1 / nbt.item();
    } else if (this.momentum !== null) {
      factor = this.momentum;
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    return F.batchNorm(
      x,
      this.running_mean ?? undefined,
      this.running_var ?? undefined,
      this.weight ?? undefined,
      this.bias ?? undefined,
      useBatchStats,
      factor,
      this.eps,
    );
  }
}

/** Group normalisation (no running statistics; same in train and eval). */
export class GroupNorm extends Module {
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: NormOptions & { affine?: boolean } = {},
  ) {
    super();
    if (numChannels % numGroups !== 0)
      throw new Error(`GroupNorm: numChannels ${numChannels} is not divisible by numGroups ${numGroups}`);
    this.eps = opts.eps ?? 1e-5;
    const t = { dtype: opts.dtype, device: opts.device };
    if (opts.affine ?? true) {
      this.weight = Parameter(Tensor.ones([numChannels], t));
      this.bias = Parameter(Tensor.zeros([numChannels], t));
    }
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight ?? undefined, this.bias ?? undefined, this.eps);
  }
}

/**
 * Instance normalisation: per-sample, per-channel statistics. PyTorch's defaults: no affine
 * parameters and no running statistics.
 */
export class InstanceNorm2d extends RunningStatsNorm {
  readonly eps: number;
  readonly momentum: number;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: NormOptions & { momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    this.initState(numFeatures, opts.affine ?? false, this.trackRunningStats, {
      dtype: opts.dtype,
      device: opts.device,
    });
  }

  forward(x: Tensor): Tensor {
    const useInputStats = this.training || !this.trackRunningStats;
    if (this.training && this.trackRunningStats) {
      this.num_batches_tracked!.add_(1);
    }
    return F.instanceNorm(
      x,
      this.running_mean,
      this.running_var,
      this.weight,
      this.bias,
      useInputStats,
      this.momentum,
      this.eps,
    );
  }
}

/** Layer normalisation over the trailing `normalizedShape` dims. */
export class LayerNorm extends Module {
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(
    normalizedShape: number | number[],
    opts: NormOptions & { elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const t = { dtype: opts.dtype, device: opts.device };
    if (opts.elementwiseAffine ?? true) {
      this.weight = Parameter(Tensor.ones(this.normalizedShape, t));
      if (opts.bias ?? true) this.bias = Parameter(Tensor.zeros(this.normalizedShape, t));
    }
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight ?? undefined, this.bias ?? undefined, this.eps);
  }
}
