/**
 * The two CC2D networks on the shared U-Net (src/models/unetVgg.ts) and their optimiser, wrapped
 * as the run loop's Checkpointable components. Everything that touches nn/optim APIs is here.
 */
import { Tensor, noGrad, tidy } from '../../engine';
import { Adam, stepLR, type Optimizer as EngineOptimizer, type ParamState } from '../../engine/optim';
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

export interface Optimizer extends Checkpointable {
  setLr(lr: number): void;
  zeroGrad(): void;
  step(): void;
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

/**
 * The optimiser's state as flat named tensors "{param index}.{key}", plus its numbers
 * ("{param index}.{key}", e.g. Adam's step count, and "lr") for the checkpoint's metadata.
 */
function optimizerState(opt: EngineOptimizer): Checkpointable {
  return {
    state: () => {
      const sd = opt.stateDict();
      const tensors: Record<string, Tensor> = {};
      const numbers: Record<string, number> = { lr: opt.paramGroups[0].lr };
      for (const [i, s] of sd.state) {
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof Tensor) tensors[`${i}.${k}`] = v;
          else numbers[`${i}.${k}`] = v;
        }
      }
      return { tensors, numbers };
    },
    loadState: ({ tensors, numbers = {} }) => {
      const state = new Map<number, ParamState>();
      const put = (name: string, v: Tensor | number) => {
        const m = /^(\d+)\.(.+)$/.exec(name);
        if (!m) return;
        const i = Number(m[1]);
        const s = state.get(i) ?? {};
        s[m[2]] = v;
        state.set(i, s);
      };
      for (const [name, t] of Object.entries(tensors)) put(name, t);
      for (const [name, v] of Object.entries(numbers)) put(name, v);
      const sd = opt.stateDict();
      opt.loadStateDict({ state, paramGroups: sd.paramGroups });
      if (numbers.lr !== undefined) for (const g of opt.paramGroups) g.lr = numbers.lr;
    },
  };
}

export function makeAdam(net: { parameters(): Tensor[] }, lr: number, weightDecay: number): Optimizer {
  const opt = new Adam(net.parameters(), { lr, weightDecay });
  const st = optimizerState(opt);
  return {
    setLr: (v) => {
      for (const g of opt.paramGroups) g.lr = v;
    },
    zeroGrad: () => opt.zeroGrad(),
    step: () => noGrad(() => opt.step()),
    dispose: () => opt.dispose(),
    ...st,
  };
}

/** lr at step s of a step schedule (closed form: resume needs no scheduler state). */
export function stepLr(base: number, gamma: number, every: number, s: number): number {
  return stepLR(Math.max(1, every), gamma)(s, base);
}
