/**
 * The engine ViT against a plain-JavaScript float64 reference written here from the DINO/timm
 * definitions (patch conv, pre-norm blocks, softmax attention, exact-erf GELU), on random weights.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../src/engine';
import { VisionTransformer, type VitConfig } from '../../src/models/vit';

type W = Map<string, { d: Float64Array; s: number[] }>;

function weights(m: VisionTransformer): W {
  const out: W = new Map();
  for (const [k, t] of m.stateDict()) out.set(k, { d: Float64Array.from(t.toFloat32Array()), s: t.shape });
  return out;
}

/** erf to ~1e-15 (series for small |x|, continued fraction tail otherwise). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| >= 3
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const linear = (x: number[], w: { d: Float64Array; s: number[] }, b: { d: Float64Array }) => {
  const [o, i] = w.s;
  return Array.from({ length: o }, (_, r) => {
    let s = b.d[r];
    for (let c = 0; c < i; c++) s += w.d[r * i + c] * x[c];
    return s;
  });
};
const layerNorm = (x: number[], w: { d: Float64Array }, b: { d: Float64Array }, eps: number) => {
  const m = x.reduce((a, v) => a + v, 0) / x.length;
  const v = x.reduce((a, u) => a + (u - m) ** 2, 0) / x.length;
  return x.map((u, i) => ((u - m) / Math.sqrt(v + eps)) * w.d[i] + b.d[i]);
};

/** Returns [final tokens, keys of block `layer`] for one image (C,H,W row-major). */
function reference(
  c: VitConfig,
  W: W,
  img: Float64Array,
  H: number,
  Wd: number,
  layer: number,
): { out: number[][]; keys: number[][] } {
  const g = (k: string) => W.get(k)!;
  const D = c.dim;
  const h = Math.floor((H - c.patch) / c.stride) + 1;
  const w = Math.floor((Wd - c.patch) / c.stride) + 1;
  const pw = g('patch_embed.proj.weight');
  const pb = g('patch_embed.proj.bias');
  const pos = g('pos_embed').d;
  const cls = g('cls_token').d;
  let tokens: number[][] = [Array.from({ length: D }, (_, d) => cls[d] + pos[d])];
  for (let r = 0; r < h; r++)
    for (let q = 0; q < w; q++) {
      const t = Array.from({ length: D }, (_, d) => {
        let s = pb.d[d];
        for (let ci = 0; ci < c.inChannels; ci++)
          for (let a = 0; a < c.patch; a++)
            for (let b = 0; b < c.patch; b++)
              s +=
                pw.d[((d * c.inChannels + ci) * c.patch + a) * c.patch + b] *
                img[(ci * H + r * c.stride + a) * Wd + q * c.stride + b];
        return s + pos[(1 + r * w + q) * D + d];
      });
      tokens.push(t);
    }
  const dh = D / c.heads;
  let keys: number[][] = [];
  for (let i = 0; i < c.depth; i++) {
    const p = `blocks.${i}.`;
    const n1 = tokens.map((t) => layerNorm(t, g(p + 'norm1.weight'), g(p + 'norm1.bias'), c.eps));
    const qkv = n1.map((t) => linear(t, g(p + 'attn.qkv.weight'), g(p + 'attn.qkv.bias')));
    if (i === layer) keys = qkv.slice(1).map((v) => v.slice(D, 2 * D));
    const att = tokens.map((_, a) => {
      const o = Array(D).fill(0);
      for (let hd = 0; hd < c.heads; hd++) {
        const logits = tokens.map((__, b) => {
          let s = 0;
          for (let e = 0; e < dh; e++) s += qkv[a][hd * dh + e] * qkv[b][D + hd * dh + e];
          return s / Math.sqrt(dh);
        });
        const mx = Math.max(...logits);
        const ex = logits.map((l) => Math.exp(l - mx));
        const z = ex.reduce((u, v) => u + v, 0);
        ex.forEach((e, b) => {
          for (let f = 0; f < dh; f++) o[hd * dh + f] += (e / z) * qkv[b][2 * D + hd * dh + f];
        });
      }
      return linear(o, g(p + 'attn.proj.weight'), g(p + 'attn.proj.bias'));
    });
    tokens = tokens.map((t, a) => t.map((v, d) => v + att[a][d]));
    tokens = tokens.map((t) => {
      const n2 = layerNorm(t, g(p + 'norm2.weight'), g(p + 'norm2.bias'), c.eps);
      const hid = linear(n2, g(p + 'mlp.fc1.weight'), g(p + 'mlp.fc1.bias')).map(
        (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      );
      const y = linear(hid, g(p + 'mlp.fc2.weight'), g(p + 'mlp.fc2.bias'));
      return t.map((v, d) => v + y[d]);
    });
  }
  return { out: tokens.map((t) => layerNorm(t, g('norm.weight'), g('norm.bias'), c.eps)), keys };
}

function check(cfg: Partial<VitConfig>, H: number, Wd: number, constantPos: boolean): void {
  const m = new VisionTransformer(cfg);
  // Random LayerNorm affine parameters and embeddings, so every weight matters.
  noGrad(() => {
    for (const [k, t] of m.stateDict())
      if (k.includes('norm') || k.includes('pos') || k.includes('cls')) t.normal_(0.5, 0.5);
    // Bicubic interpolation keeps a constant field constant: the reference can then skip it.
    if (constantPos)
      tidy(
        () =>
          void m.pos_embed
            .narrow(1, 1, m.config.posGrid ** 2)
            .copy_(m.pos_embed.narrow(1, 1, 1).expand([1, m.config.posGrid ** 2, m.config.dim])),
      );
  });
  const [h, w] = m.grid(H, Wd);
  const D = m.config.dim;
  const x = Tensor.rand([1, m.config.inChannels, H, Wd]);
  const out = noGrad(() => tidy(() => m.forward(x).toFloat32Array()));
  const keys = noGrad(() => tidy(() => m.keyFeatures(x, 1)));
  expect(keys.shape).toEqual([1, D, h, w]);
  const kf = keys.toFloat32Array();
  keys.dispose();
  const W0 = weights(m);
  if (constantPos) {
    // Give the reference a position table of the token grid's size, every entry the constant.
    const pos = W0.get('pos_embed')!;
    const d = new Float64Array((1 + h * w) * D);
    for (let t = 0; t <= h * w; t++)
      for (let e = 0; e < D; e++) d[t * D + e] = pos.d[(t === 0 ? 0 : 1) * D + e];
    W0.set('pos_embed', { d, s: [1, 1 + h * w, D] });
  }
  const ref = reference(m.config, W0, Float64Array.from(x.toFloat32Array()), H, Wd, 1);
  let worst = 0;
  ref.out.forEach((t, a) => t.forEach((v, d) => (worst = Math.max(worst, Math.abs(v - out[a * D + d])))));
  ref.keys.forEach((t, a) => t.forEach((v, d) => (worst = Math.max(worst, Math.abs(v - kf[d * h * w + a])))));
  expect(worst).toBeLessThan(1e-4);
  x.dispose();
  m.dispose();
}

describe('VisionTransformer (DINO layout, C-F2 encoder)', () => {
  const base: Partial<VitConfig> = {
    inChannels: 2,
    patch: 4,
    dim: 8,
    depth: 2,
    heads: 2,
    mlpRatio: 2,
    eps: 1e-6,
  };
  it('matches a float64 reference on random weights (patch 4, stride 4)', () => {
    seed(21);
    check({ ...base, stride: 4, posGrid: 3 }, 12, 12, false);
  });
  it('matches with overlapping patches (stride 2, as FM-OSD lowers 8 to 4)', () => {
    seed(22);
    check({ ...base, stride: 2, posGrid: 5 }, 12, 12, false);
  });
  it('interpolates position embeddings to another token grid (3x3 table, 3x4 tokens)', () => {
    seed(23);
    check({ ...base, stride: 4, posGrid: 3 }, 12, 16, true);
  });
});
