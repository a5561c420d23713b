/** Convolution layers; weight layouts and names as in torch.nn (weight [out, in/groups, kh, kw]). */
import { F, Tensor } from '../index';
import { defaultLayerInit_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

export type Size2 = number | [number, number];

export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  /** 'zeros' pads inside the convolution; the others pad first with F.pad, as PyTorch does. */
  paddingMode?: 'zeros' | 'reflect' | 'replicate';
  dtype?: Tensor['dtype'];
  device?: Tensor['device'];
}

const pair = (v: Size2): [number, number] => (typeof v === 'number' ? [v, v] : v);

function checkGroups(kind: string, inC: number, outC: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1)
    throw new Error(`${kind}: groups must be a positive integer, got ${groups}`);
  if (inC % groups !== 0) throw new Error(`${kind}: inChannels ${inC} is not divisible by groups ${groups}`);
  if (outC % groups !== 0)
    throw new Error(`${kind}: outChannels ${outC} is not divisible by groups ${groups}`);
}

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: 'zeros' | 'reflect' | 'replicate';

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2,
    opts: Conv2dOptions = {},
  ) {
    super();
    this.groups = opts.groups ?? 1;
    checkGroups('Conv2d', inChannels, outChannels, this.groups);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.paddingMode = opts.paddingMode ?? 'zeros';
    const t = { dtype: opts.dtype, device: opts.device };
    this.weight = Parameter(Tensor.zeros([outChannels, inChannels / this.groups, ...this.kernelSize], t));
    this.bias = opts.bias === false ? null : Parameter(Tensor.zeros([outChannels], t));
    this.resetParameters();
  }

  resetParameters(): void {
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if (this.paddingMode !== 'zeros') {
      const [ph, pw] = this.padding;
      const padded = F.pad(x, [pw, pw, ph, ph], { mode: this.paddingMode });
      try {
        return F.conv2d(padded, this.weight, this.bias ?? undefined, {
          stride: this.stride,
          padding: 0,
          dilation: this.dilation,
          groups: this.groups,
        });
      } finally {
        padded.dispose();
      }
    }
    return F.conv2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

export interface ConvTranspose2dOptions {
  stride?: Size2;
  padding?: Size2;
  outputPadding?: Size2;
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  dtype?: Tensor['dtype'];
  device?: Tensor['device'];
}

export class ConvTranspose2d extends Module {
  /** [in, out/groups, kh, kw], PyTorch's layout for transposed convolutions. */
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2,
    opts: ConvTranspose2dOptions = {},
  ) {
    super();
    this.groups = opts.groups ?? 1;
    checkGroups('ConvTranspose2d', inChannels, outChannels, this.groups);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.outputPadding = pair(opts.outputPadding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    const t = { dtype: opts.dtype, device: opts.device };
    this.weight = Parameter(Tensor.zeros([inChannels, outChannels / this.groups, ...this.kernelSize], t));
    this.bias = opts.bias === false ? null : Parameter(Tensor.zeros([outChannels], t));
    this.resetParameters();
  }

  resetParameters(): void {
    // PyTorch computes fan_in from dim 1 of the transposed weight, i.e. out/groups * kh * kw.
    defaultLayerInit_(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}
