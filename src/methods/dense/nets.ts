/**
 * The dense per-landmark networks behind one interface: input (B, 1, S, S), output (B, 3N, S, S)
 * in CC2D's stage-2 layout (N heatmaps, N x-offsets, N y-offsets), so loss and voting are shared.
 */
import type { Device } from '../../engine';
import { noGrad, tidy, type Tensor } from '../../engine';
import type { Module } from '../../engine/nn';
import { AdapterNet } from '../../models/adapterNet';
import { GroupedUNet, toStage2Layout } from '../../models/groupedUnet';
import type { Checkpointable } from '../../runs/loop';
import type { AdapterNetConfig, GroupedNetConfig } from './config';

export interface DenseLandmarkNet extends Checkpointable {
  readonly module: Module;
  readonly landmarks: number;
  forward(x: Tensor): Tensor;
  train(on: boolean): void;
  parameters(): Tensor[];
  /** Parameter count as a figure to report ("model count" is reported separately). */
  numParameters(): number;
  dispose(): void;
}

/** Heatmap logits start at a 1% prior (as CC2D's stage-2 head). */
function priorBias(bias: Tensor | null, groupMajor: boolean, n: number): void {
  if (!bias) return;
  const v = -Math.log((1 - 0.01) / 0.01);
  noGrad(() =>
    tidy(() => {
      if (groupMajor) bias.reshape([n, 3]).select(1, 0).fill_(v);
      else bias.narrow(0, 0, n).fill_(v);
    }),
  );
}

export function buildDenseNet(
  net: GroupedNetConfig | AdapterNetConfig,
  landmarks: number,
  device: Device,
): DenseLandmarkNet {
  let module: GroupedUNet | AdapterNet;
  if (net.kind === 'grouped') {
    module = new GroupedUNet({
      groups: landmarks,
      inChannels: 1,
      width: net.width,
      levels: net.levels,
      convs: net.convs,
      outPerGroup: 3,
      shareConvs: net.shareConvs ?? false,
    });
  } else {
    module = new AdapterNet({
      landmarks,
      width: net.width,
      levels: net.levels,
      features: net.features,
      blocks: net.blocks,
      stride: net.stride,
      landmarkNorms: net.landmarkNorms ?? false,
    });
  }
  priorBias(module.head.bias, true, landmarks);
  if (device !== 'cpu') module.to(device);
  const m = module;
  return {
    module: m,
    landmarks,
    forward: (x) => tidy(() => toStage2Layout(m.forward(x), landmarks)),
    train: (on) => void m.train(on),
    parameters: () => m.parameters(),
    numParameters: () => m.numParameters(),
    dispose: () => m.dispose(),
    state: () => ({ tensors: Object.fromEntries(m.stateDict()) }),
    loadState: (s) => void m.loadStateDict(s.tensors, { strict: true }),
  };
}
