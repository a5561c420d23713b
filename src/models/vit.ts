/**
 * A DINO-style Vision Transformer on the engine (ViT-S/8 by default: width 384, 12 blocks, 6 heads,
 * patch 8), for C-F2's optional encoder (METHODS §6). Parameter names are DINO's / timm's, so a
 * user's `dino_vits8` state dict saved as safetensors loads by name:
 *   cls_token (1,1,D), pos_embed (1,1+g²,D), patch_embed.proj.{weight,bias},
 *   blocks.{i}.norm1, blocks.{i}.attn.qkv (3D×D), blocks.{i}.attn.proj, blocks.{i}.norm2,
 *   blocks.{i}.mlp.fc1 (4D×D), blocks.{i}.mlp.fc2, norm.
 * FM-OSD runs it with the patch stride lowered to 4 (overlapping patches, twice the token grid)
 * and reads the attention KEYS of one block as dense features; `keyFeatures` does that. Position
 * embeddings are interpolated bicubically when the token grid differs from the trained one, as DINO does.
 */
import { F, Tensor, tidy } from '../engine';
import { Conv2d, init, LayerNorm, Linear, Module, ModuleList, Parameter } from '../engine/nn';

export interface VitConfig {
  inChannels: number;
  patch: number;
  /** Patch stride: = patch in the trained model; 4 gives FM-OSD's denser grid. */
  stride: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Side of the position-embedding grid the weights were trained with (224/8 = 28 for DINO). */
  posGrid: number;
  eps: number;
}

export const DINO_VITS8: VitConfig = {
  inChannels: 3,
  patch: 8,
  stride: 8,
  dim: 384,
  depth: 12,
  heads: 6,
  mlpRatio: 4,
  posGrid: 28,
  eps: 1e-6,
};

class PatchEmbed extends Module {
  proj: Conv2d;
  constructor(c: VitConfig) {
    super();
    this.proj = new Conv2d(c.inChannels, c.dim, c.patch, { stride: c.stride });
  }
  forward(x: Tensor): Tensor {
    return this.proj.forward(x);
  }
}

class Attention extends Module {
  qkv: Linear;
  proj: Linear;
  constructor(private readonly c: VitConfig) {
    super();
    this.qkv = new Linear(c.dim, 3 * c.dim);
    this.proj = new Linear(c.dim, c.dim);
  }
  /** (B, T, 3, heads, dh) split into q, k, v of shape (B, heads, T, dh). */
  qkvSplit(x: Tensor): [Tensor, Tensor, Tensor] {
    const [B, T, D] = x.shape;
    const h = this.c.heads;
    const t = this.qkv
      .forward(x)
      .reshape([B, T, 3, h, D / h])
      .permute([2, 0, 3, 1, 4]);
    return [t.select(0, 0), t.select(0, 1), t.select(0, 2)];
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [B, T, D] = x.shape;
      const [q, k, v] = this.qkvSplit(x);
      const scale = (D / this.c.heads) ** -0.5;
      const attn = F.softmax(q.matmul(k.transpose(-2, -1)).mul(scale), -1);
      return this.proj.forward(attn.matmul(v).transpose(1, 2).reshape([B, T, D]));
    });
  }
}

class Mlp extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(c: VitConfig) {
    super();
    this.fc1 = new Linear(c.dim, Math.round(c.dim * c.mlpRatio));
    this.fc2 = new Linear(Math.round(c.dim * c.mlpRatio), c.dim);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.forward(F.gelu(this.fc1.forward(x))));
  }
}

class Block extends Module {
  norm1: LayerNorm;
  attn: Attention;
  norm2: LayerNorm;
  mlp: Mlp;
  constructor(c: VitConfig) {
    super();
    this.norm1 = new LayerNorm([c.dim], { eps: c.eps });
    this.attn = new Attention(c);
    this.norm2 = new LayerNorm([c.dim], { eps: c.eps });
    this.mlp = new Mlp(c);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = x.add(this.attn.forward(this.norm1.forward(x)));
      return y.add(this.mlp.forward(this.norm2.forward(y)));
    });
  }
}

export class VisionTransformer extends Module {
  cls_token: Tensor;
  pos_embed: Tensor;
  patch_embed: PatchEmbed;
  blocks: ModuleList<Block>;
  norm: LayerNorm;
  readonly config: VitConfig;

  constructor(config: Partial<VitConfig> = {}) {
    super();
    const c: VitConfig = { ...DINO_VITS8, ...config };
    if (c.dim % c.heads !== 0)
      throw new Error(`VisionTransformer: dim ${c.dim} is not divisible by heads ${c.heads}`);
    this.config = c;
    this.cls_token = Parameter(Tensor.zeros([1, 1, c.dim]));
    this.pos_embed = Parameter(Tensor.zeros([1, 1 + c.posGrid * c.posGrid, c.dim]));
    init.normal_(this.cls_token, 0, 0.02);
    init.normal_(this.pos_embed, 0, 0.02);
    this.patch_embed = new PatchEmbed(c);
    this.blocks = new ModuleList(Array.from({ length: c.depth }, () => new Block(c)));
    this.norm = new LayerNorm([c.dim], { eps: c.eps });
  }

  /** Token grid (rows, cols) for an input of H×W. */
  grid(H: number, W: number): [number, number] {
    const { patch, stride } = this.config;
    return [Math.floor((H - patch) / stride) + 1, Math.floor((W - patch) / stride) + 1];
  }

  /** Tokens after the patch embedding: (B, 1 + h·w, D), position embeddings added. */
  embed(x: Tensor): Tensor {
    return tidy(() => {
      const B = x.shape[0];
      const D = this.config.dim;
      const p = this.patch_embed.forward(x); // (B, D, h, w)
      const [, , h, w] = p.shape;
      const tokens = p.flatten(2).transpose(1, 2);
      const g = this.config.posGrid;
      let pos = this.pos_embed.narrow(1, 1, g * g);
      if (h !== g || w !== g) {
        const grid = pos.reshape([1, g, g, D]).permute([0, 3, 1, 2]);
        pos = F.interpolate(grid, { size: [h, w], mode: 'bicubic', alignCorners: false })
          .permute([0, 2, 3, 1])
          .reshape([1, h * w, D]);
      }
      const cls = this.cls_token.add(this.pos_embed.narrow(1, 0, 1)).expand([B, 1, D]);
      return Tensor.cat([cls, tokens.add(pos)], 1);
    });
  }

  /** Final normalised tokens (B, 1 + h·w, D). */
  forward(x: Tensor): Tensor {
    return tidy(() => {
      let t = this.embed(x);
      for (const b of this.blocks) t = b.forward(t);
      return this.norm.forward(t);
    });
  }

  /**
   * Dense features: the attention keys of block `layer` (0-based), heads concatenated, as a map
   * (B, D, h, w) without the class token (FM-OSD reads block 9 of 12, i.e. layer 8).
   */
  keyFeatures(x: Tensor, layer: number): Tensor {
    if (!(layer >= 0 && layer < this.config.depth))
      throw new Error(`keyFeatures: layer ${layer} out of range 0..${this.config.depth - 1}`);
    return tidy(() => {
      const [, , H, W] = x.shape;
      const [h, w] = this.grid(H, W);
      let t = this.embed(x);
      for (let i = 0; i < layer; i++) t = this.blocks.at(i).forward(t);
      const blk = this.blocks.at(layer);
      const [, k] = blk.attn.qkvSplit(blk.norm1.forward(t)); // (B, heads, T, dh)
      const [B, heads, T, dh] = k.shape;
      return k
        .permute([0, 1, 3, 2])
        .reshape([B, heads * dh, T])
        .narrow(2, 1, T - 1)
        .reshape([B, heads * dh, h, w]);
    });
  }
}
