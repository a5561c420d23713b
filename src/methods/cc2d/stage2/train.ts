/**
 * Stage-2 training (METHODS §2): a heatmap + offset network on pseudo-labelled training images
 * (stage-1 predictions) plus the template with its true labels in every batch. Images and labels
 * are augmented together (labels transformed exactly) on the device.
 */
import { Tensor } from '../../../engine';
import type { Point } from '../../../data/types';
import type { StageResult } from '../../../runs/loop';
import { trainStage } from '../../../runs/trainStage';
import { cc2dStageRun, type Cc2dStageInput } from '../stageRun';
import type { Cc2dConfig } from '../config';
import { buildStage2Net, type DenseNet } from '../nets';
import { stage2Loss } from '../../shared/heatmapLoss';
import { IDENTITY, applyAugment, augmentPoint, drawAugment, type Augment } from '../../shared/augment';
import { buildTargets } from '../../shared/targets';
import { makeAdam, stepLr } from '../../shared/optimizer';
import { drawIndices } from '../../shared/sampling';

export const STAGE2 = 'stage2';

export interface Stage2TrainOptions extends Cc2dStageInput {
  /** (M, 1, S2, S2) training images at stage2.size, template included. */
  stack: Tensor;
  /** Per image, per landmark: grid position at stage2.size (pseudo-label, or truth for the template). */
  labels: (Point | null)[][];
  templateIndex: number;
  /**
   * Initial weights by name (e.g. stage 1's encoder and decoder when the shapes match); names the
   * stage-2 network lacks, or whose shapes differ, are skipped. A checkpoint of stage 2 wins.
   */
  init?: Map<string, Tensor>;
}

export function stage2Radius(cfg: Cc2dConfig): number {
  return cfg.stage2.radiusFrac * cfg.stage2.size;
}

interface Stage2Batch {
  indices: number[];
  augs: Augment[];
  points: (Point | null)[][];
}

export async function trainStage2(o: Stage2TrainOptions): Promise<{ net: DenseNet; result: StageResult }> {
  const c = o.config.stage2;
  const landmarkCount = o.labels[0].length;
  const radius = stage2Radius(o.config);
  const imageCount = o.stack.shape[0];
  const pseudo = Array.from({ length: imageCount }, (_, i) => i).filter((i) => i !== o.templateIndex);
  const size = c.size;
  return trainStage({
    ...cc2dStageRun(o, STAGE2, c.iterations, { landmarks: landmarkCount }),
    build: () => {
      const net = buildStage2Net(o.config, landmarkCount);
      if (o.init) initFrom(net.module, o.init);
      const trainable = c.freezeEncoder ? freezeEncoder(net) : net.parameters();
      return { net, optimizer: makeAdam({ parameters: () => trainable }, c.lr, c.weightDecay) };
    },
    // A frozen encoder keeps its BatchNorm statistics too.
    trainMode: (net) => {
      net.train(true);
      if (c.freezeEncoder) net.module.encoder.train(false);
    },
    schedule: (step) => stepLr(c.lr, c.lrGamma, c.lrStep, step),
    batch: (): Stage2Batch => {
      const chosen = pseudo.length ? drawIndices(pseudo.length, c.batchPseudo).map((k) => pseudo[k]) : [];
      const indices = [...chosen, ...Array<number>(c.templateCopies).fill(o.templateIndex)];
      // With several template copies the first stays unaugmented: its exact view anchors the batch.
      const augs = indices.map((_, k) =>
        c.templateCopies > 1 && k === chosen.length ? IDENTITY : drawAugment(c.augment),
      );
      const points = indices.map((i, k) =>
        o.labels[i].map((p) => (p ? augmentPoint(augs[k], p, size) : null)),
      );
      return { indices, augs, points };
    },
    loss: (net, b) => {
      const idx = Tensor.from(Int32Array.from(b.indices), [b.indices.length], {
        device: o.stack.device,
      }).long();
      const images = applyAugment(o.stack.indexSelect(0, idx), b.augs);
      const targets = buildTargets(b.points, size, radius, o.stack.device);
      return stage2Loss(net.forward(images), targets, c.heatmapWeight, c.focalGamma, c.heatmapNorm).total;
    },
  });
}

/** Stops gradients into the encoder; returns the parameters left to optimise. */
function freezeEncoder(net: DenseNet): Tensor[] {
  return net.module
    .namedParameters()
    .filter(([k, p]) => {
      const isEncoder = k.startsWith('encoder.');
      if (isEncoder) p.requiresGrad_(false);
      return !isEncoder;
    })
    .map(([, p]) => p);
}

/** Copies the tensors of `init` whose names and shapes match into `m`; returns how many. */
export function initFrom(
  m: {
    stateDict(): Map<string, Tensor>;
    loadStateDict(sd: Map<string, Tensor>, o: { strict: boolean }): unknown;
  },
  init: Map<string, Tensor>,
): number {
  const own = m.stateDict();
  const take = new Map<string, Tensor>();
  for (const [k, t] of init) {
    const mine = own.get(k);
    if (mine && mine.shape.length === t.shape.length && mine.shape.every((d, i) => d === t.shape[i]))
      take.set(k, t);
  }
  m.loadStateDict(take, { strict: false });
  return take.size;
}
