/**
 * G independent U-Nets computed as ONE network (CC2D-SLA, METHODS §3): every convolution is a
 * grouped convolution with one group per model, every BatchNorm channel belongs to exactly one
 * group, pooling and upsampling act per channel, and the skip concatenation is done per group.
 * Nothing mixes channels of two groups, so the network is mathematically G separate models with
 * one kernel launch per layer. With `groups: 1` it IS the single-landmark model, and
 * `groupState` / `stackGroupStates` move weights between the two forms (the equivalence test).
 *
 * Layout per group (the VGG-style U-Net of src/models/unetVgg.ts, without the dilated blocks):
 * encoder levels of `convs[l]` conv3x3-BN-ReLU then max-pool; decoder = bilinear upsample + skip
 * concat + 2x(conv3x3-BN-ReLU); a stride-1 decoder step on the level-0 features; 1x1 head with
 * `outPerGroup` maps. Channels are group-major: channel g*C + c is channel c of model g.
 *
 * Every parameter and buffer has the group axis first (dim 0 of size G*k), which is what makes
 * `groupState` a plain narrow along dim 0.
 *
 * `shareConvs` turns the G models into ONE network with shared and group-specific weights (C-Adapter,
 * METHODS §5, in Rebuffi et al.'s "parallel residual adapter" form): every 3x3 conv is one conv
 * shared by all groups (run on the (B·G) batch of the groups' inputs), and each group keeps a 1x1
 * residual adapter beside it, its BatchNorms and its head. The spatial filters, 9/10 of a conv's
 * weights, are learned once from all landmarks' crops; what is left per landmark is a channel
 * mixing and a normalisation. Groups still never mix activations.
 */
import { F, Tensor, tidy } from '../engine';
import { BatchNorm2d, Conv2d, MaxPool2d, Module, ModuleList, init } from '../engine/nn';
import { VGG19_BLOCKS, channels } from './unetVgg';

export interface GroupedUNetConfig {
  /** Number of independent models (one per landmark). */
  groups: number;
  /** Input channels per model (1: the gray image, shared by every group). */
  inChannels: number;
  /** Multiplier on the VGG widths 64,128,256,512,512, per model. */
  width: number;
  /** Encoder levels, 2..5. */
  levels: number;
  /** Convs per encoder level; default VGG19's 2,2,4,4,4. */
  convs?: number[];
  /** Output maps per model (3: heatmap, x offset, y offset). */
  outPerGroup: number;
  /** 3x3 convs shared by all groups, plus a 1x1 adapter per group (see above); default false. */
  shareConvs?: boolean;
}

/** conv3x3 (or kxk) with one group per model; init as a single model's (fan-in is per group). */
export function groupedConv(G: number, cin: number, cout: number, k: number, bias: boolean): Conv2d {
  const conv = new Conv2d(G * cin, G * cout, k, { padding: (k - 1) >> 1, groups: G, bias });
  init.kaimingNormal_(conv.weight, { mode: 'fan_in', nonlinearity: 'relu' });
  if (conv.bias) init.zeros_(conv.bias);
  return conv;
}

/**
 * A 3x3 conv shared by G groups plus a 1x1 conv per group, on group-major (B, G*cin, H, W).
 * The adapter starts at zero: at initialisation every group computes the shared conv.
 */
export class SharedAdaptedConv extends Module {
  shared: Conv2d;
  adapter: Conv2d;
  constructor(
    private readonly G: number,
    cin: number,
    private readonly cout: number,
  ) {
    super();
    this.shared = new Conv2d(cin, cout, 3, { padding: 1, bias: false });
    init.kaimingNormal_(this.shared.weight, { mode: 'fan_in', nonlinearity: 'relu' });
    this.adapter = new Conv2d(G * cin, G * cout, 1, { groups: G, bias: false });
    init.zeros_(this.adapter.weight);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [B, C, H, W] = x.shape;
      const shared = this.shared
        .forward(x.reshape([B * this.G, C / this.G, H, W]))
        .reshape([B, this.G * this.cout, H, W]);
      return shared.add(this.adapter.forward(x));
    });
  }
}

/** conv-BN-ReLU per group (the conv shared plus a per-group adapter with `shareConvs`). */
export class GConvBnRelu extends Module {
  conv: Conv2d | SharedAdaptedConv;
  bn: BatchNorm2d;
  constructor(G: number, cin: number, cout: number, shareConvs = false) {
    super();
    this.conv = shareConvs ? new SharedAdaptedConv(G, cin, cout) : groupedConv(G, cin, cout, 3, false);
    this.bn = new BatchNorm2d(G * cout);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => F.relu(this.bn.forward(this.conv.forward(x))));
  }
}

/** Concatenates two group-major tensors per group: [a_g, b_g] for every g. */
export function groupCat(a: Tensor, b: Tensor, G: number): Tensor {
  return tidy(() => {
    const [B, ca, H, W] = a.shape;
    const cb = b.shape[1];
    const av = a.reshape([B, G, ca / G, H, W]);
    const bv = b.reshape([B, G, cb / G, H, W]);
    return Tensor.cat([av, bv], 2).reshape([B, ca + cb, H, W]);
  });
}

class GUp extends Module {
  c1: GConvBnRelu;
  c2: GConvBnRelu;
  constructor(
    private readonly G: number,
    inC: number,
    outC: number,
    share: boolean,
  ) {
    super();
    const mid = Math.max(1, Math.floor(inC / 2));
    this.c1 = new GConvBnRelu(G, inC, mid, share);
    this.c2 = new GConvBnRelu(G, mid, outC, share);
  }
  forward(low: Tensor, skip: Tensor): Tensor {
    return tidy(() => {
      const [, , h, w] = skip.shape;
      const up = F.interpolate(low, { size: [h, w], mode: 'bilinear', alignCorners: true });
      return this.c2.forward(this.c1.forward(groupCat(skip, up, this.G)));
    });
  }
}

class GLevel extends Module {
  convs: ModuleList<GConvBnRelu>;
  constructor(G: number, cin: number, widths: number[], share: boolean) {
    super();
    this.convs = new ModuleList();
    let c = cin;
    for (const w of widths) {
      this.convs.append(new GConvBnRelu(G, c, w, share));
      c = w;
    }
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      let cur = x;
      for (const c of this.convs) cur = c.forward(cur);
      return cur;
    });
  }
}

export class GroupedUNet extends Module {
  encoder: ModuleList<GLevel>;
  decoder: ModuleList<GUp>;
  decoder_full: GUp;
  head: Conv2d;
  readonly config: Required<GroupedUNetConfig>;
  private readonly _pool = new MaxPool2d(2, { stride: 2 });

  constructor(config: GroupedUNetConfig) {
    super();
    const convs = config.convs ?? VGG19_BLOCKS.map((b) => b.length);
    const cfg: Required<GroupedUNetConfig> = { ...config, convs, shareConvs: config.shareConvs ?? false };
    if (!Number.isInteger(cfg.groups) || cfg.groups < 1)
      throw new Error(`GroupedUNet: groups must be >= 1, got ${cfg.groups}`);
    if (!Number.isInteger(cfg.levels) || cfg.levels < 2 || cfg.levels > 5)
      throw new Error(`GroupedUNet: levels must be an integer 2..5, got ${cfg.levels}`);
    if (convs.length < cfg.levels)
      throw new Error(`GroupedUNet: convs lists ${convs.length} levels, need ${cfg.levels}`);
    this.config = cfg;
    const G = cfg.groups;
    const share = cfg.shareConvs;
    this.encoder = new ModuleList();
    const e: number[] = [];
    let cin = cfg.inChannels;
    for (let l = 0; l < cfg.levels; l++) {
      const w = channels(VGG19_BLOCKS[l][0], cfg.width);
      this.encoder.append(new GLevel(G, cin, Array(convs[l]).fill(w), share));
      e.push(w);
      cin = w;
    }
    this.decoder = new ModuleList();
    let prev = e[cfg.levels - 1];
    for (let l = cfg.levels - 2; l >= 0; l--) {
      const out = e[Math.max(l - 1, 0)];
      this.decoder.append(new GUp(G, prev + e[l], out, share));
      prev = out;
    }
    this.decoder_full = new GUp(G, prev + e[0], e[0], share);
    this.head = groupedConv(G, e[0], cfg.outPerGroup, 1, true);
    init.normal_(this.head.weight, 0, 0.01);
  }

  get groups(): number {
    return this.config.groups;
  }

  /**
   * x: (B, inChannels, S, S), shared by every group (or (B, G*inChannels, S, S) already per group).
   * Returns (B, G*outPerGroup, S, S), group-major.
   */
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const G = this.config.groups;
      const cin = this.config.inChannels;
      const [B, C, H, W] = x.shape;
      let cur =
        C === G * cin
          ? x
          : x
              .reshape([B, 1, cin, H, W])
              .expand([B, G, cin, H, W])
              .reshape([B, G * cin, H, W]);
      // Level-0 features before pooling feed the stride-1 decoder step; the pooled outputs of
      // every level are the U-Net's skips (as in unetVgg.ts).
      let full0: Tensor | null = null;
      const pooled: Tensor[] = [];
      for (let l = 0; l < this.config.levels; l++) {
        const f = this.encoder.at(l).forward(cur);
        if (l === 0) full0 = f;
        cur = this._pool.forward(f);
        pooled.push(cur);
      }
      const L = this.config.levels;
      cur = pooled[L - 1];
      for (let k = 0; k < L - 1; k++) cur = this.decoder.at(k).forward(cur, pooled[L - 2 - k]);
      const full = this.decoder_full.forward(cur, full0!);
      return this.head.forward(full);
    });
  }
}

/**
 * Reorders a group-major output (B, G*3, S, S) into the CC2D stage-2 layout (B, 3G, S, S):
 * G heatmaps, then G x-offsets, then G y-offsets (so stage-2 loss and voting apply unchanged).
 */
export function toStage2Layout(out: Tensor, G: number): Tensor {
  return tidy(() => {
    const [B, , H, W] = out.shape;
    return out
      .reshape([B, G, 3, H, W])
      .transpose(1, 2)
      .reshape([B, 3 * G, H, W]);
  });
}

/**
 * The state of model g of a grouped network, as the state dict of a `groups: 1` network of the same
 * shape. New tensors; the caller disposes them.
 */
export function groupState(net: GroupedUNet, g: number): Map<string, Tensor> {
  const G = net.groups;
  if (g < 0 || g >= G) throw new Error(`groupState: group ${g} out of range 0..${G - 1}`);
  if (net.config.shareConvs)
    throw new Error('groupState: a network with shared convs has no separate models');
  const out = new Map<string, Tensor>();
  for (const [k, t] of net.stateDict()) {
    if (t.ndim === 0) out.set(k, t.clone());
    else {
      const n = t.shape[0] / G;
      out.set(
        k,
        tidy(() => t.narrow(0, g * n, n).clone()),
      );
    }
  }
  return out;
}

/** The inverse of groupState: G single-model state dicts stacked into one grouped state dict. */
export function stackGroupStates(states: Map<string, Tensor>[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const k of states[0].keys()) {
    const parts = states.map((s, i) => {
      const t = s.get(k);
      if (!t) throw new Error(`stackGroupStates: state ${i} lacks "${k}"`);
      return t;
    });
    // Scalars (BN's batch counters) are equal across groups trained together; keep the first.
    out.set(k, parts[0].ndim === 0 ? parts[0].clone() : Tensor.cat(parts, 0));
  }
  return out;
}
