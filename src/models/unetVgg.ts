/**
 * The U-Net of docs METHODS §1 (CC2D), shared by the methods: a VGG19-BN encoder, a decoder of
 * bilinear upsampling + skip concatenation + 2x(conv3x3-BN-ReLU), optional dilated RFB-like blocks on
 * the three coarsest levels, 1x1 heads giving an embedding per level (strides 32, 16, 8, 4, 2 for
 * five levels), and an optional dense head at stride 1 or 2 (stage 2 heatmaps, per-landmark maps).
 *
 * State-dict layout (also what bench/engine/unet_step.cpp builds, so the two are the same network):
 *   encoder.features.{i}.*   torchvision's vgg19_bn `features` indices: conv i, BN i+1, ReLU i+2, pools at
 *                            6, 13, 26, 39, 52 (so torchvision weights map by prefix, see fromTorchvisionVgg19Bn)
 *   decoder.{k}.conv.{0,1,3,4}.*   k = 0 produces stride 16 ... k = 3 stride 2 (conv, BN, -, conv, BN)
 *   dilated.{j}.branches.{0,1,2}.{0,1}.*, dilated.{j}.fuse.{0,1}.*   j = 0 coarsest
 *   heads.{j}.*              1x1 conv to embedDim, j = 0 coarsest
 *   decoder_full.conv.*      only with a stride-1 dense output
 *   dense_head.*             only with a dense output
 */
import { F, Tensor, tidy } from '../engine';
import { BatchNorm2d, Conv2d, MaxPool2d, Module, ModuleList, ReLU, Sequential, init } from '../engine/nn';
import { LandmarkBatchNorm2d } from './landmarkNorm';

export interface UNetVggConfig {
  /** Input channels: 1 for grayscale (default), 3 for RGB or ImageNet weights. */
  inChannels: number;
  /** Multiplier on VGG's widths 64,128,256,512,512 (1 = full, 30.5 M parameters). */
  width: number;
  /** Encoder blocks used, 2..5 (5 = VGG19's full depth; embedding strides 2^levels ... 2). */
  levels: number;
  /** Channels of each embedding head. */
  embedDim: number;
  /** Dilated (3/5/7) RFB-like blocks on the three coarsest levels, as in the original CC2D. */
  dilated: boolean;
  /**
   * 0: one BatchNorm per layer. N > 0: the batch holds N crops per image, landmark-major within
   * each image (crop i belongs to landmark i mod N), and every norm layer keeps statistics and an
   * affine of its own per landmark (UOD's per-domain norms): the convs are shared, yet each layer
   * knows which landmark it is looking for. Optional: configs saved before it have none (0).
   */
  landmarkNorms?: number;
  outputs: {
    /** 1x1 embedding heads on every level (stage 1). */
    embeddings: boolean;
    /** Optional dense output at stride 1 or 2 with `channels` maps (stage 2 / heatmaps). */
    dense: { channels: number; stride: 1 | 2 } | null;
  };
}

export const DEFAULT_UNET_VGG: UNetVggConfig = {
  inChannels: 1,
  width: 1,
  levels: 5,
  embedDim: 64,
  dilated: true,
  landmarkNorms: 0,
  outputs: { embeddings: true, dense: null },
};

export function unetVggConfig(
  partial: Partial<Omit<UNetVggConfig, 'outputs'>> & { outputs?: Partial<UNetVggConfig['outputs']> } = {},
): UNetVggConfig {
  return {
    ...DEFAULT_UNET_VGG,
    ...partial,
    outputs: { ...DEFAULT_UNET_VGG.outputs, ...(partial.outputs ?? {}) },
  };
}

export interface UNetVggOutput {
  /** One map per level, coarse to fine (strides 2^levels ... 2); [] when outputs.embeddings is off. */
  embeddings: Tensor[];
  /** Strides of `embeddings`, e.g. [32, 16, 8, 4, 2]. */
  strides: number[];
  dense: Tensor | null;
}

/** VGG19's conv widths per block. */
export const VGG19_BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256, 256],
  [512, 512, 512, 512],
  [512, 512, 512, 512],
];
const DILATIONS = [3, 5, 7] as const;

/** The network's norm layer for `c` channels (see UNetVggConfig.landmarkNorms). */
type NormFactory = (c: number) => BatchNorm2d;

function normFactory(cfg: UNetVggConfig): NormFactory {
  const n = cfg.landmarkNorms ?? 0;
  return n > 0 ? (c) => new LandmarkBatchNorm2d(c, n) : (c) => new BatchNorm2d(c);
}

/** Scaled channel count; must match scaled() in bench/engine/unet_step.cpp. */
export function channels(base: number, width: number): number {
  return Math.max(1, Math.round(base * width));
}

class VggEncoder extends Module {
  features: Sequential;
  /** Index in `features` of the pool closing each block. */
  readonly poolIndex: number[] = [];
  readonly widths: number[] = [];

  constructor(cfg: UNetVggConfig, norm: NormFactory) {
    super();
    this.features = new Sequential();
    let inC = cfg.inChannels;
    for (let b = 0; b < cfg.levels; b++) {
      for (const c of VGG19_BLOCKS[b]) {
        const out = channels(c, cfg.width);
        const conv = new Conv2d(inC, out, 3, { padding: 1 });
        // torchvision's VGG init; trains well from scratch with BN.
        init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        init.zeros_(conv.bias!);
        this.features.append(conv).append(norm(out)).append(new ReLU());
        inC = out;
      }
      this.poolIndex.push(this.features.length);
      this.features.append(new MaxPool2d(2, { stride: 2 }));
      this.widths.push(inC);
    }
  }

  /** Returns [block-0 output before its pool (stride 1), pooled output of every block]. */
  forward(x: Tensor): { full: Tensor; pooled: Tensor[] } {
    const pooled: Tensor[] = [];
    let full: Tensor | null = null;
    let cur = x;
    let curKept = true; // the input and the pooled skips outlive the loop
    let block = 0;
    for (let i = 0; i < this.features.length; i++) {
      const next = this.features.at(i).forward(cur);
      const isPool = i === this.poolIndex[block];
      if (isPool && block === 0) full = cur;
      else if (!curKept) cur.dispose(); // autograd holds what backward needs; the JS handle is done
      if (isPool) {
        pooled.push(next);
        block++;
      }
      cur = next;
      curKept = isPool;
    }
    return { full: full!, pooled };
  }
}

/** Parallel dilated 3x3 branches (3/5/7), fused by a 1x1 conv, added back to the input. */
class DilatedBlock extends Module {
  branches: ModuleList<Sequential>;
  fuse: Sequential;

  constructor(c: number, norm: NormFactory) {
    super();
    const b = Math.max(1, Math.floor(c / 4));
    this.branches = new ModuleList(
      DILATIONS.map(
        (d) =>
          new Sequential(new Conv2d(c, b, 3, { padding: d, dilation: d, bias: false }), norm(b), new ReLU()),
      ),
    );
    this.fuse = new Sequential(new Conv2d(3 * b, c, 1, { bias: false }), norm(c));
  }

  forward(x: Tensor): Tensor {
    const outs = [...this.branches].map((br) => br.forward(x));
    const cat = Tensor.cat(outs, 1);
    for (const o of outs) o.dispose();
    const fused = this.fuse.forward(cat);
    cat.dispose();
    const sum = x.add(fused);
    fused.dispose();
    const y = F.relu(sum);
    sum.dispose();
    return y;
  }
}

/** Bilinear upsampling to the skip's size, concat [skip, up], then conv-BN-ReLU twice (mid = in/2). */
class Up extends Module {
  conv: Sequential;

  constructor(inC: number, outC: number, norm: NormFactory) {
    super();
    const mid = Math.floor(inC / 2);
    this.conv = new Sequential(
      new Conv2d(inC, mid, 3, { padding: 1, bias: false }),
      norm(mid),
      new ReLU(),
      new Conv2d(mid, outC, 3, { padding: 1, bias: false }),
      norm(outC),
      new ReLU(),
    );
  }

  forward(low: Tensor, skip: Tensor): Tensor {
    const [, , h, w] = skip.shape;
    const up = F.interpolate(low, { size: [h, w], mode: 'bilinear', alignCorners: true });
    const cat = Tensor.cat([skip, up], 1);
    up.dispose();
    const y = this.conv.forward(cat);
    cat.dispose();
    return y;
  }
}

export class UNetVgg extends Module {
  encoder: VggEncoder;
  decoder: ModuleList<Up>;
  dilated: ModuleList<DilatedBlock> | null = null;
  heads: ModuleList<Conv2d> | null = null;
  decoder_full: Up | null = null;
  dense_head: Conv2d | null = null;
  readonly config: UNetVggConfig;
  /** Channels of each level's features, coarse to fine. */
  readonly levelChannels: number[];

  constructor(config: Partial<UNetVggConfig> = {}) {
    super();
    const cfg = unetVggConfig(config);
    validate(cfg);
    this.config = cfg;
    const norm = normFactory(cfg);
    this.encoder = new VggEncoder(cfg, norm);
    const e = this.encoder.widths;
    const L = cfg.levels;
    this.decoder = new ModuleList<Up>();
    this.levelChannels = [e[L - 1]];
    let prev = e[L - 1];
    for (let l = L - 2; l >= 0; l--) {
      const out = e[Math.max(l - 1, 0)];
      this.decoder.append(new Up(prev + e[l], out, norm));
      this.levelChannels.push(out);
      prev = out;
    }
    if (cfg.dilated)
      this.dilated = new ModuleList(this.levelChannels.slice(0, 3).map((c) => new DilatedBlock(c, norm)));
    if (cfg.outputs.embeddings)
      this.heads = new ModuleList(this.levelChannels.map((c) => new Conv2d(c, cfg.embedDim, 1)));
    const dense = cfg.outputs.dense;
    if (dense) {
      if (dense.stride === 1) this.decoder_full = new Up(2 * e[0], e[0], norm);
      this.dense_head = new Conv2d(e[0], dense.channels, 1);
    }
  }

  /** Strides of the embedding levels, coarse to fine. */
  get strides(): number[] {
    return this.levelChannels.map((_, i) => 2 ** (this.config.levels - i));
  }

  forward(x: Tensor): UNetVggOutput {
    const { full, pooled } = this.encoder.forward(x);
    const L = this.config.levels;
    const feats: Tensor[] = [];
    let cur = pooled[L - 1];
    if (this.dilated) cur = this.dilated.at(0).forward(cur);
    feats.push(cur);
    for (let k = 0; k < L - 1; k++) {
      cur = this.decoder.at(k).forward(cur, pooled[L - 2 - k]);
      if (this.dilated && k + 1 < this.dilated.length) cur = this.dilated.at(k + 1).forward(cur);
      feats.push(cur);
    }
    const embeddings = this.heads ? feats.map((f, i) => this.heads!.at(i).forward(f)) : [];
    let dense: Tensor | null = null;
    if (this.dense_head) {
      if (this.decoder_full) {
        const fullFeat = this.decoder_full.forward(cur, full);
        dense = this.dense_head.forward(fullFeat);
        fullFeat.dispose();
      } else {
        dense = this.dense_head.forward(cur);
      }
    }
    // Release the JS handles of intermediates (autograd keeps what backward needs).
    const keepSet = new Set<Tensor>([x]);
    for (const t of new Set([...pooled, ...feats, full])) if (!keepSet.has(t)) t.dispose();
    return { embeddings, strides: this.strides, dense };
  }
}

function validate(cfg: UNetVggConfig): void {
  const bad = (m: string) => {
    throw new Error(`UNetVgg config: ${m}`);
  };
  if (!Number.isInteger(cfg.levels) || cfg.levels < 2 || cfg.levels > 5)
    bad(`levels must be an integer 2..5, got ${cfg.levels}`);
  if (!(cfg.width > 0)) bad(`width must be > 0, got ${cfg.width}`);
  if (!Number.isInteger(cfg.inChannels) || cfg.inChannels < 1)
    bad(`inChannels must be a positive integer, got ${cfg.inChannels}`);
  if (!Number.isInteger(cfg.embedDim) || cfg.embedDim < 1)
    bad(`embedDim must be a positive integer, got ${cfg.embedDim}`);
  const d = cfg.outputs.dense;
  if (d && (!Number.isInteger(d.channels) || d.channels < 1 || (d.stride !== 1 && d.stride !== 2))) {
    bad(`outputs.dense needs integer channels >= 1 and stride 1 or 2, got ${JSON.stringify(d)}`);
  }
  const n = cfg.landmarkNorms ?? 0;
  if (!Number.isInteger(n) || n < 0) bad(`landmarkNorms must be an integer >= 0, got ${n}`);
  if (!cfg.outputs.embeddings && !d) bad('no outputs: enable outputs.embeddings or give outputs.dense');
}

// ------------------------------------------------------------------ torchvision weights

/**
 * Maps a torchvision `vgg19_bn` state dict (as saved to safetensors by the user, e.g.
 * `safetensors.torch.save_file(torchvision.models.vgg19_bn(weights=...).state_dict(), f)`) onto
 * this network's encoder names.
 *
 * The encoder keeps torchvision's `features` numbering, so the mapping is by prefix:
 *   features.{i}.weight|bias|running_mean|running_var|num_batches_tracked -> encoder.features.{i}.*
 *   classifier.* -> dropped (no classifier here)
 * Blocks beyond `levels` are dropped. The first conv is adapted to `inChannels`: RGB -> gray sums the
 * three input-channel filters (a gray image seen as R=G=B gives the same response); other counts
 * repeat the mean filter. Only full width (width = 1) matches torchvision's shapes; shapes are
 * checked when the result is loaded with `model.loadStateDict(mapped, { strict: false })`.
 *
 * Returns new tensors (the caller disposes them after loading) and the keys that were dropped.
 */
export function fromTorchvisionVgg19Bn(
  sd: Map<string, Tensor>,
  cfg: Pick<UNetVggConfig, 'inChannels' | 'levels'>,
): { mapped: Map<string, Tensor>; dropped: string[] } {
  const lastIndex = vggLastIndex(cfg.levels);
  const mapped = new Map<string, Tensor>();
  const dropped: string[] = [];
  for (const [key, t] of sd) {
    const m = /^features\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$/.exec(key);
    if (!m || Number(m[1]) > lastIndex) {
      dropped.push(key);
      continue;
    }
    let v: Tensor;
    if (m[1] === '0' && m[2] === 'weight' && t.shape[1] !== cfg.inChannels) {
      v = tidy(() => {
        const summed = t.sum([1], true);
        if (cfg.inChannels === 1) return summed;
        return summed
          .div(t.shape[1])
          .expand([t.shape[0], cfg.inChannels, t.shape[2], t.shape[3]])
          .contiguous();
      });
    } else {
      v = t.clone();
    }
    mapped.set(`encoder.${key}`, v);
  }
  return { mapped, dropped };
}

/** Index of the last pool in vgg19_bn.features for the first `levels` blocks. */
function vggLastIndex(levels: number): number {
  let idx = -1;
  for (let b = 0; b < levels; b++) idx += VGG19_BLOCKS[b].length * 3 + 1;
  return idx;
}
