/** Pooling, resampling and dropout layers (no parameters). */
import { F, type Tensor } from '../index';
import { Module } from './module';
import type { Size2 } from './conv';

/** What max and average pooling share: the window, and PyTorch's stride default (the window). */
abstract class Pool2d extends Module {
  readonly stride: Size2;
  readonly padding: Size2;
  constructor(
    readonly kernelSize: Size2,
    opts: { stride?: Size2; padding?: Size2 } = {},
  ) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
  }
}

export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

export interface UpsampleOptions {
  size?: [number, number];
  scaleFactor?: number | [number, number];
  mode?: 'nearest' | 'bilinear' | 'bicubic';
  alignCorners?: boolean;
}

export class Upsample extends Module {
  readonly opts: UpsampleOptions;
  constructor(opts: UpsampleOptions) {
    super();
    if (!opts.size === !opts.scaleFactor)
      throw new Error('Upsample: give exactly one of size or scaleFactor');
    this.opts = { mode: 'nearest', ...opts };
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, this.opts as Parameters<typeof F.interpolate>[1]);
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}
