/**
 * Weight initialisation, following torch.nn.init (same formulas, gains and fan conventions), so a
 * network initialised here has the statistics of its PyTorch twin. All functions fill `t` in place
 * without recording autograd history and return it.
 */
import { noGrad, type Tensor } from '../index';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose2d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}

/** Fan-in and fan-out as PyTorch computes them: dim 1 / dim 0 times the receptive field size. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2)
    throw new Error(`init: fan in/out needs a tensor with at least 2 dims, got shape [${shape.join(', ')}]`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  noGrad(() => t.uniform_(a, b));
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  noGrad(() => t.normal_(mean, std));
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(
  t: Tensor,
  { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' }: KaimingOptions,
): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts));
}

/**
 * PyTorch's default for Conv*d and Linear (reset_parameters): weight ~ kaiming_uniform(a=sqrt 5),
 * i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
