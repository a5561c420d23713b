/**
 * C-Adapter's network in the tiny and full presets (METHODS §5): ONE shared U-Net backbone
 * (src/models/unetVgg.ts) for all landmarks, then small landmark-specific adapters and heads. The
 * quick preset uses the other form, ATD's grouped U-Net with shared convs (groupedUnet.ts,
 * `shareConvs`), which did better on the development set (docs/methods.md).
 *
 * Adapter design (UOD's shared-plus-specific precedent): per block and per landmark a depthwise
 * 3x3 conv and a BatchNorm (landmark-specific), then a 1x1 pointwise conv SHARED by all landmarks,
 * added back residually; then a per-landmark 1x1 head to (heatmap, x offset, y offset). The
 * landmark-specific weights are 9C + 2C per block and 3C + 3 in the head, so N landmarks cost
 * N·(11·blocks + 3)·C parameters on top of one backbone, instead of N whole networks.
 *
 * Per-landmark tensors are laid out group-major (channel n*C + c), so the depthwise convs and
 * norms are single grouped layers and the shared pointwise conv runs on (B·N, C, H, W).
 */
import { F, Tensor, tidy } from '../engine';
import { BatchNorm2d, Conv2d, Module, ModuleList, init } from '../engine/nn';
import { UNetVgg } from './unetVgg';

export interface AdapterNetConfig {
  landmarks: number;
  width: number;
  levels: number;
  /** Channels C of the shared feature map. */
  features: number;
  blocks: number;
  /**
   * Resolution of the shared features and adapters: 1 = the input grid, 2 = half of it, with the
   * head's maps upsampled bilinearly to the input grid (4x fewer adapter activations: on a CPU
   * the per-landmark depthwise convs at full resolution cost more than the whole backbone).
   */
  stride?: 1 | 2;
  /**
   * Per-landmark norms inside the backbone too (src/models/landmarkNorm.ts): its convs stay
   * shared, but every layer normalises each landmark's crops with statistics and an affine of its
   * own, so the shared features are already the landmark's when they reach the adapters. A whole
   * image input is then run once per landmark. Optional: configs saved before it have none.
   */
  landmarkNorms?: boolean;
}

class AdapterBlock extends Module {
  dw: Conv2d;
  bn: BatchNorm2d;
  pw: Conv2d;
  constructor(
    private readonly N: number,
    private readonly C: number,
  ) {
    super();
    this.dw = new Conv2d(N * C, N * C, 3, { padding: 1, groups: N * C, bias: false });
    this.bn = new BatchNorm2d(N * C);
    this.pw = new Conv2d(C, C, 1);
    // Start as identity: the residual branch adds nothing until trained.
    init.zeros_(this.pw.weight);
  }
  forward(h: Tensor): Tensor {
    return tidy(() => {
      const [B, , H, W] = h.shape;
      const a = F.relu(this.bn.forward(this.dw.forward(h)));
      const shared = this.pw
        .forward(a.reshape([B * this.N, this.C, H, W]))
        .reshape([B, this.N * this.C, H, W]);
      return h.add(shared);
    });
  }
}

export class AdapterNet extends Module {
  backbone: UNetVgg;
  stem_bn: BatchNorm2d;
  adapters: ModuleList<AdapterBlock>;
  head: Conv2d;
  readonly config: AdapterNetConfig;

  constructor(cfg: AdapterNetConfig) {
    super();
    if (!Number.isInteger(cfg.landmarks) || cfg.landmarks < 1)
      throw new Error(`AdapterNet: landmarks must be >= 1, got ${cfg.landmarks}`);
    this.config = cfg;
    const { landmarks: N, features: C } = cfg;
    this.backbone = new UNetVgg({
      inChannels: 1,
      width: cfg.width,
      levels: cfg.levels,
      dilated: false,
      embedDim: 1,
      landmarkNorms: cfg.landmarkNorms ? N : 0,
      outputs: { embeddings: false, dense: { channels: C, stride: cfg.stride ?? 1 } },
    });
    this.stem_bn = new BatchNorm2d(N * C);
    this.adapters = new ModuleList(Array.from({ length: cfg.blocks }, () => new AdapterBlock(N, C)));
    this.head = new Conv2d(N * C, 3 * N, 1, { groups: N });
    init.normal_(this.head.weight, 0, 0.01);
  }

  /**
   * (B, 1, S, S) -> (B, 3N, S, S) group-major: landmark n's maps at channels 3n..3n+2.
   * (B, N, S, S), one crop per landmark (dense/crops.ts), runs the shared backbone on every crop
   * and gives landmark n's maps for its own crop.
   */
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const N = this.config.landmarks;
      const C = this.config.features;
      const [Bx, Cx, Hx, Wx] = x.shape;
      // With per-landmark norms the backbone needs one input per landmark: a whole image is repeated.
      const input = this.config.landmarkNorms && Cx === 1 && N > 1 ? x.expand([Bx, N, Hx, Wx]) : x;
      const perLandmark = input.shape[1] === N && N > 1;
      const feat = this.backbone.forward(perLandmark ? input.reshape([Bx * N, 1, Hx, Wx]) : input).dense!;
      const [, , H, W] = feat.shape;
      const B = Bx;
      // Each landmark starts from the shared features (of the image, or of its own crop: the
      // (B·N) batch is b-major, so the reshape is group-major), normalised by its own BN.
      const grouped = perLandmark
        ? feat.reshape([B, N * C, H, W])
        : feat
            .reshape([B, 1, C, H, W])
            .expand([B, N, C, H, W])
            .reshape([B, N * C, H, W]);
      let h = F.relu(this.stem_bn.forward(grouped));
      for (const a of this.adapters) h = a.forward(h);
      const out = this.head.forward(h);
      return H === Hx && W === Wx
        ? out
        : F.interpolate(out, { size: [Hx, Wx], mode: 'bilinear', alignCorners: false });
    });
  }

  /** Parameters shared by all landmarks vs. landmark-specific ones. */
  parameterSplit(): { shared: number; perLandmark: number; total: number } {
    const N = this.config.landmarks;
    let shared = this.backbone.numParameters();
    let specific = 0;
    for (const [name, p] of this.namedParameters()) {
      if (name.startsWith('backbone.')) continue;
      if (/\.pw\./.test(name)) shared += p.numel;
      else specific += p.numel;
    }
    return { shared, perLandmark: specific / N, total: shared + specific };
  }

  /** Parameters of N separate single-landmark networks of this architecture (what SLA would train). */
  separateEquivalent(): number {
    const s = this.parameterSplit();
    return this.config.landmarks * (s.shared + s.perLandmark);
  }
}
