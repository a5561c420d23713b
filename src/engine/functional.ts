/**
 * F: torch.nn.functional in camelCase. Defaults match PyTorch's. Optional tensors may be omitted,
 * undefined or null.
 */
import { native as N, type Handle } from './native';
import { dtypeCode, type DType } from './dtype';
import { Tensor } from './tensor';

export type Size2 = number | readonly [number, number];
export type Reduction = 'mean' | 'sum' | 'none';

const opt = (t: Tensor | null | undefined): Handle | null => (t ? t._h : null);
const wrap = (h: Handle): Tensor => new Tensor(h);

export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
}
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Size2;
}
export interface MaxPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}
export interface AvgPool2dOptions {
  stride?: Size2;
  padding?: Size2;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear';
export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  /** Only for the (bi/tri)linear and bicubic modes; PyTorch's default false. */
  alignCorners?: boolean;
}
export interface PadOptions {
  mode?: 'constant' | 'reflect' | 'replicate';
  value?: number;
}
export interface GridSampleOptions {
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode?: 'zeros' | 'border' | 'reflection';
  alignCorners?: boolean;
}
export interface CrossEntropyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}
export interface NllLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}
export interface BceOptions {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

const isLinearMode = (m: InterpolateMode) => m !== 'nearest';

export const F = {
  linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
    return wrap(N.linear(x._h, weight._h, opt(bias)));
  },
  conv1d(
    x: Tensor,
    weight: Tensor,
    bias?: Tensor | null,
    o: { stride?: number; padding?: number; dilation?: number; groups?: number } = {},
  ): Tensor {
    return wrap(
      N.conv1d(x._h, weight._h, opt(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1),
    );
  },
  conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
    return wrap(
      N.conv2d(x._h, weight._h, opt(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1),
    );
  },
  convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvTranspose2dOptions = {}): Tensor {
    return wrap(
      N.convTranspose2d(
        x._h,
        weight._h,
        opt(bias),
        o.stride ?? 1,
        o.padding ?? 0,
        o.outputPadding ?? 0,
        o.groups ?? 1,
        o.dilation ?? 1,
      ),
    );
  },

  maxPool2d(x: Tensor, kernelSize: Size2, o: MaxPool2dOptions = {}): Tensor {
    return wrap(
      N.maxPool2d(x._h, kernelSize, o.stride ?? null, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false),
    );
  },
  avgPool2d(x: Tensor, kernelSize: Size2, o: AvgPool2dOptions = {}): Tensor {
    return wrap(
      N.avgPool2d(
        x._h,
        kernelSize,
        o.stride ?? null,
        o.padding ?? 0,
        o.ceilMode ?? false,
        o.countIncludePad ?? true,
        o.divisorOverride ?? null,
      ),
    );
  },
  adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor {
    return wrap(N.adaptiveAvgPool2d(x._h, outputSize));
  },
  adaptiveMaxPool2d(x: Tensor, outputSize: Size2): Tensor {
    return wrap(N.adaptiveMaxPool2d(x._h, outputSize));
  },

  /** Resize (N, C, ...spatial) by size or scaleFactor; 'nearest' is PyTorch's legacy nearest. */
  interpolate(x: Tensor, o: InterpolateOptions): Tensor {
    const mode = o.mode ?? 'nearest';
    const align = isLinearMode(mode) ? (o.alignCorners ?? false) : null;
    if (!isLinearMode(mode) && o.alignCorners !== undefined)
      throw new Error(`interpolate: alignCorners only applies to linear modes, not '${mode}'`);
    return wrap(N.interpolate(x._h, o.size ?? null, o.scaleFactor ?? null, mode, align));
  },
  /** pads = [left, right, top, bottom, ...] (last dim first), as F.pad. */
  pad(x: Tensor, pads: readonly number[], o: PadOptions = {}): Tensor {
    return wrap(N.pad(x._h, pads, o.mode ?? 'constant', o.value ?? 0));
  },
  /** Samples x (N, C, H, W) at grid (N, Ho, Wo, 2) of (x, y) in [-1, 1]. */
  gridSample(x: Tensor, grid: Tensor, o: GridSampleOptions = {}): Tensor {
    return wrap(
      N.gridSample(x._h, grid._h, o.mode ?? 'bilinear', o.paddingMode ?? 'zeros', o.alignCorners ?? false),
    );
  },
  /** Sampling grid (N, H, W, 2) for affine matrices theta (N, 2, 3); size = [N, C, H, W]. */
  affineGrid(theta: Tensor, size: readonly number[], alignCorners = false): Tensor {
    return wrap(N.affineGrid(theta._h, size, alignCorners));
  },
  pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
    return wrap(N.pixelShuffle(x._h, upscaleFactor));
  },
  pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
    return wrap(N.pixelUnshuffle(x._h, downscaleFactor));
  },
  /** F.unfold (im2col): (N, C, H, W) -> (N, C*kh*kw, L). */
  unfold(
    x: Tensor,
    kernelSize: Size2,
    o: { dilation?: Size2; padding?: Size2; stride?: Size2 } = {},
  ): Tensor {
    return wrap(N.unfold(x._h, kernelSize, o.dilation ?? 1, o.padding ?? 0, o.stride ?? 1));
  },

  relu: (x: Tensor): Tensor => wrap(N.relu(x._h)),
  relu6: (x: Tensor): Tensor => wrap(N.relu6(x._h)),
  leakyRelu: (x: Tensor, negativeSlope = 0.01): Tensor => wrap(N.leakyRelu(x._h, negativeSlope)),
  elu: (x: Tensor, alpha = 1): Tensor => wrap(N.elu(x._h, alpha)),
  gelu: (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => wrap(N.gelu(x._h, approximate)),
  silu: (x: Tensor): Tensor => wrap(N.silu(x._h)),
  mish: (x: Tensor): Tensor => wrap(N.mish(x._h)),
  softplus: (x: Tensor, beta = 1, threshold = 20): Tensor => wrap(N.softplus(x._h, beta, threshold)),
  sigmoid: (x: Tensor): Tensor => wrap(N.sigmoid(x._h)),
  tanh: (x: Tensor): Tensor => wrap(N.tanh(x._h)),
  logSigmoid: (x: Tensor): Tensor => wrap(N.logSigmoid(x._h)),
  hardsigmoid: (x: Tensor): Tensor => wrap(N.hardsigmoid(x._h)),
  hardswish: (x: Tensor): Tensor => wrap(N.hardswish(x._h)),
  softmax: (x: Tensor, dim: number, dtype?: DType): Tensor => wrap(N.softmax(x._h, dim, dtypeCode(dtype))),
  logSoftmax: (x: Tensor, dim: number, dtype?: DType): Tensor =>
    wrap(N.logSoftmax(x._h, dim, dtypeCode(dtype))),

  layerNorm(
    x: Tensor,
    normalizedShape: number | readonly number[],
    weight?: Tensor | null,
    bias?: Tensor | null,
    eps = 1e-5,
  ): Tensor {
    return wrap(N.layerNorm(x._h, normalizedShape, opt(weight), opt(bias), eps));
  },
  /** Updates runningMean/runningVar in place when training (as PyTorch). */
  batchNorm(
    x: Tensor,
    runningMean: Tensor | null | undefined,
    runningVar: Tensor | null | undefined,
    weight?: Tensor | null,
    bias?: Tensor | null,
    training = false,
    momentum = 0.1,
    eps = 1e-5,
  ): Tensor {
    return wrap(
      N.batchNorm(x._h, opt(runningMean), opt(runningVar), opt(weight), opt(bias), training, momentum, eps),
    );
  },
  groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
    return wrap(N.groupNorm(x._h, numGroups, opt(weight), opt(bias), eps));
  },
  instanceNorm(
    x: Tensor,
    runningMean?: Tensor | null,
    runningVar?: Tensor | null,
    weight?: Tensor | null,
    bias?: Tensor | null,
    useInputStats = true,
    momentum = 0.1,
    eps = 1e-5,
  ): Tensor {
    return wrap(
      N.instanceNorm(
        x._h,
        opt(runningMean),
        opt(runningVar),
        opt(weight),
        opt(bias),
        useInputStats,
        momentum,
        eps,
      ),
    );
  },
  /** Uses libtorch's generator: repeatable after seed(n). Identity when not training. */
  dropout: (x: Tensor, p = 0.5, training = true): Tensor => wrap(N.dropout(x._h, p, training)),
  /** Zeroes whole channels. */
  dropout2d: (x: Tensor, p = 0.5, training = true): Tensor => wrap(N.dropout2d(x._h, p, training)),

  normalize(x: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
    return wrap(N.normalize(x._h, o.p ?? 2, o.dim ?? 1, o.eps ?? 1e-12));
  },
  cosineSimilarity: (a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor =>
    wrap(N.cosineSimilarity(a._h, b._h, dim, eps)),
  pairwiseDistance: (a: Tensor, b: Tensor, p = 2, eps = 1e-6, keepdim = false): Tensor =>
    wrap(N.pairwiseDistance(a._h, b._h, p, eps, keepdim)),
  cdist: (a: Tensor, b: Tensor, p = 2): Tensor => wrap(N.cdist(a._h, b._h, p)),
  oneHot: (indices: Tensor, numClasses = -1): Tensor => wrap(N.oneHot(indices._h, numClasses)),
  embedding: (indices: Tensor, weight: Tensor): Tensor => wrap(N.embedding(weight._h, indices._h)),

  /** logits (N, C, ...) against class indices (N, ...) or class probabilities (N, C, ...). */
  crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
    return wrap(
      N.crossEntropy(
        logits._h,
        target._h,
        opt(o.weight),
        o.reduction ?? 'mean',
        o.ignoreIndex ?? -100,
        o.labelSmoothing ?? 0,
      ),
    );
  },
  nllLoss(logProbs: Tensor, target: Tensor, o: NllLossOptions = {}): Tensor {
    return wrap(
      N.nllLoss(logProbs._h, target._h, opt(o.weight), o.reduction ?? 'mean', o.ignoreIndex ?? -100),
    );
  },
  binaryCrossEntropyWithLogits(x: Tensor, y: Tensor, o: BceOptions = {}): Tensor {
    return wrap(N.bceWithLogits(x._h, y._h, opt(o.weight), opt(o.posWeight), o.reduction ?? 'mean'));
  },
  binaryCrossEntropy(
    p: Tensor,
    y: Tensor,
    o: { weight?: Tensor | null; reduction?: Reduction } = {},
  ): Tensor {
    return wrap(N.bce(p._h, y._h, opt(o.weight), o.reduction ?? 'mean'));
  },
  mseLoss: (x: Tensor, y: Tensor, o: { reduction?: Reduction } = {}): Tensor =>
    wrap(N.mseLoss(x._h, y._h, o.reduction ?? 'mean')),
  l1Loss: (x: Tensor, y: Tensor, o: { reduction?: Reduction } = {}): Tensor =>
    wrap(N.l1Loss(x._h, y._h, o.reduction ?? 'mean')),
  smoothL1Loss: (x: Tensor, y: Tensor, o: { reduction?: Reduction; beta?: number } = {}): Tensor =>
    wrap(N.smoothL1Loss(x._h, y._h, o.reduction ?? 'mean', o.beta ?? 1)),
  huberLoss: (x: Tensor, y: Tensor, o: { reduction?: Reduction; delta?: number } = {}): Tensor =>
    wrap(N.huberLoss(x._h, y._h, o.reduction ?? 'mean', o.delta ?? 1)),
  /** KL(target || input) with input as log-probabilities; 'batchmean' divides the sum by the batch size. */
  klDiv(
    input: Tensor,
    target: Tensor,
    o: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {},
  ): Tensor {
    const r = o.reduction ?? 'mean';
    if (r !== 'batchmean') return wrap(N.klDiv(input._h, target._h, r, o.logTarget ?? false));
    const s = N.klDiv(input._h, target._h, 'sum', o.logTarget ?? false) as Handle;
    try {
      return wrap(N.divS(s, input.ndim > 0 ? input.size(0) : 1));
    } finally {
      N.free(s);
    }
  },
};
