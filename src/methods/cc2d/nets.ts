/**
 * The two CC2D networks on the shared U-Net (src/models/unetVgg.ts) and their optimiser, wrapped
 * as the run loop's Checkpointable components (the optimiser is shared: ../shared/optimizer.ts).
 */
import { Tensor, noGrad, tidy } from '../../engine';
import { UNetVgg, fromTorchvisionVgg19Bn } from '../../models/unetVgg';
import { loadSafetensors } from '../../engine/io/safetensors';
import type { Checkpointable } from '../../runs/loop';
import type { Cc2dConfig, NetConfig } from './config';

export interface EmbeddingNet extends Checkpointable {
  /** Embedding maps, coarsest first. */
  embed(x: Tensor): Tensor[];
  readonly strides: number[];
  train(on: boolean): void;
  parameters(): Tensor[];
  readonly module: UNetVgg;
  dispose(): void;
}

export interface DenseNet extends Checkpointable {
  /** (B, channels, S, S) at the input's resolution. */
  forward(x: Tensor): Tensor;
  train(on: boolean): void;
  parameters(): Tensor[];
  readonly module: UNetVgg;
  dispose(): void;
}

function moduleState(m: UNetVgg): Checkpointable {
  return {
    state: () => ({ tensors: Object.fromEntries(m.stateDict()) }),
    loadState: (s) => {
      m.loadStateDict(s.tensors, { strict: true });
    },
  };
}

function unet(cfg: Cc2dConfig, net: NetConfig, extra: ConstructorParameters<typeof UNetVgg>[0]): UNetVgg {
  const m = new UNetVgg({
    inChannels: 1,
    width: net.width,
    levels: net.levels,
    dilated: net.dilated,
    ...extra,
  });
  if (cfg.backboneWeights) loadBackbone(m, cfg.backboneWeights);
  if (cfg.device !== 'cpu') m.to(cfg.device);
  return m;
}

/**
 * Initialises the encoder from a torchvision vgg19_bn state dict saved as safetensors (mapping in
 * src/models/unetVgg.ts). Decoder and heads stay randomly initialised. A resumed run overwrites
 * all of it from its checkpoint anyway.
 */
export function loadBackbone(m: UNetVgg, file: string): { loaded: number } {
  const { tensors } = loadSafetensors(file);
  try {
    const { mapped } = fromTorchvisionVgg19Bn(tensors, m.config);
    try {
      if (mapped.size === 0)
        throw new Error(`backbone ${file}: no torchvision vgg19_bn "features.*" tensors found`);
      try {
        m.loadStateDict(mapped, { strict: false });
      } catch (e) {
        throw new Error(`backbone ${file}: ${(e as Error).message} (torchvision weights fit width 1 only)`);
      }
      return { loaded: mapped.size };
    } finally {
      for (const t of mapped.values()) t.dispose();
    }
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

export function buildStage1Net(cfg: Cc2dConfig): EmbeddingNet {
  const m = unet(cfg, cfg.stage1.net, {
    embedDim: cfg.stage1.embedDim,
    outputs: { embeddings: true, dense: null },
  });
  const st = moduleState(m);
  return {
    module: m,
    strides: m.strides,
    embed: (x) => m.forward(x).embeddings,
    train: (on) => void m.train(on),
    parameters: () => m.parameters(),
    dispose: () => m.dispose(),
    ...st,
  };
}

/** Stage-2 network: a dense stride-1 head with 3 maps per landmark (heatmap, x and y offsets). */
export function buildStage2Net(cfg: Cc2dConfig, landmarks: number): DenseNet {
  const m = unet(cfg, cfg.stage2.net, {
    embedDim: 1,
    outputs: { embeddings: false, dense: { channels: 3 * landmarks, stride: 1 } },
  });
  // Heatmap logits start at the prior of a pixel being inside a disk (≈1%), as focal-loss
  // detectors do: the first steps then refine disks instead of unlearning a 0.5 everywhere.
  const head = m.dense_head;
  if (head?.bias) {
    noGrad(() =>
      tidy(() => {
        head.bias!.narrow(0, 0, landmarks).fill_(-Math.log((1 - 0.01) / 0.01));
      }),
    );
  }
  const st = moduleState(m);
  return {
    module: m,
    forward: (x) => {
      const out = m.forward(x);
      return out.dense as Tensor;
    },
    train: (on) => void m.train(on),
    parameters: () => m.parameters(),
    dispose: () => m.dispose(),
    ...st,
  };
}
