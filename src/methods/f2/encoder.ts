/**
 * The fine stage's frozen dense encoders. Both map crops (B, 1, P, P) in [0, 1] to features
 * (B, C, P/r, P/r) at a fixed stride r; the decoder upsamples back to the crop grid.
 *  - 'stage1': CC2D's stage-1 network on the crop (its two finest embedding scales, strides 4 and
 *    2, concatenated at stride 2). Trained without labels; here it sees higher-resolution input.
 *  - 'vit': DINO ViT-S/8 keys of one block at patch stride 4 (FM-OSD), log-binned (logBin.ts), gray
 *    replicated to RGB with ImageNet normalisation, weights from the user's safetensors.
 */
import type { Device } from '../../engine';
import { F, Tensor, noGrad, tidy } from '../../engine';
import { loadSafetensors } from '../../engine/io/safetensors';
import { VisionTransformer, DINO_VITS8 } from '../../models/vit';
import type { EmbeddingNet } from '../cc2d/nets';
import { logBin, logBinChannels } from './logBin';

export interface FineEncoder {
  readonly channels: number;
  readonly stride: number;
  encode(crops: Tensor): Tensor;
  dispose(): void;
}

export function stage1Encoder(net: EmbeddingNet, embedDim: number): FineEncoder {
  const strides = net.strides;
  const iFine = strides.length - 1; // stride 2
  return {
    channels: 2 * embedDim,
    stride: strides[iFine],
    encode: (crops) =>
      noGrad(() =>
        tidy(() => {
          const maps = net.embed(crops);
          const fine = maps[iFine];
          const [, , h, w] = fine.shape;
          const mid = F.interpolate(maps[iFine - 1], { size: [h, w], mode: 'bilinear', alignCorners: false });
          return Tensor.cat([F.normalize(fine, { dim: 1 }), F.normalize(mid, { dim: 1 })], 1);
        }),
      ),
    dispose: () => undefined,
  };
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** `logBinHierarchy` > 0: log-binned keys (FM-OSD: 2, 384 → 6528 channels); 0: the raw keys. */
export function vitEncoder(
  weightsFile: string,
  layer: number,
  stride: number,
  device: Device,
  logBinHierarchy = 0,
): FineEncoder {
  const { tensors } = loadSafetensors(weightsFile);
  const pos = tensors.get('pos_embed');
  const proj = tensors.get('patch_embed.proj.weight');
  if (!pos || !proj)
    throw new Error(`${weightsFile}: not a DINO ViT state dict (no pos_embed / patch_embed.proj.weight)`);
  const dim = proj.shape[0];
  const fc1 = tensors.get('blocks.0.mlp.fc1.weight');
  const depth = new Set([...tensors.keys()].map((k) => /^blocks\.(\d+)\./.exec(k)?.[1]).filter(Boolean)).size;
  const vit = new VisionTransformer({
    ...DINO_VITS8,
    dim,
    depth,
    // ViT-S/B/L all use 64-d heads.
    heads: Math.max(1, Math.round(dim / 64)),
    mlpRatio: fc1 ? fc1.shape[0] / dim : DINO_VITS8.mlpRatio,
    patch: proj.shape[2],
    stride,
    inChannels: proj.shape[1],
    posGrid: Math.round(Math.sqrt(pos.shape[1] - 1)),
  });
  // Extra keys (a classifier head) are ignored; a missing one means the file is not this model.
  const { missingKeys } = vit.loadStateDict(tensors, { strict: false });
  if (missingKeys.length)
    throw new Error(
      `${weightsFile}: ViT weights lack ${missingKeys.slice(0, 5).join(', ')}${missingKeys.length > 5 ? ', …' : ''}`,
    );
  for (const t of tensors.values()) t.dispose();
  if (device !== 'cpu') vit.to(device);
  vit.train(false);
  const mean = Tensor.from(MEAN, [1, 3, 1, 1], { device });
  const std = Tensor.from(STD, [1, 3, 1, 1], { device });
  return {
    channels: logBinHierarchy > 0 ? logBinChannels(dim, logBinHierarchy) : dim,
    stride,
    encode: (crops) =>
      noGrad(() =>
        tidy(() => {
          const [B, , P] = crops.shape;
          // Pad so the last patch ends on the crop border, then read keys at stride `stride`.
          const rgb = crops.expand([B, 3, P, P]).sub(mean).div(std);
          const padded = F.pad(rgb, [0, vit.config.patch - stride, 0, vit.config.patch - stride], {
            mode: 'replicate',
          });
          const keys = vit.keyFeatures(padded, layer);
          return F.normalize(logBinHierarchy > 0 ? logBin(keys, logBinHierarchy) : keys, { dim: 1 });
        }),
      ),
    dispose: () => {
      vit.dispose();
      mean.dispose();
      std.dispose();
    },
  };
}
