/**
 * Stage-2 training (METHODS §2): a heatmap + offset network on pseudo-labelled training images
 * (stage-1 predictions) plus the template with its true labels in every batch. Images and labels
 * are augmented together (labels transformed exactly) on the device.
 */
import { Tensor, tidy } from '../../../engine';
import type { Point } from '../../../data/types';
import type { RunLayout } from '../../../runs/layout';
import { runStage, type StageResult } from '../../../runs/loop';
import type { ProgressStream } from '../../../runs/progress';
import { seedStep } from '../../../runs/seeding';
import type { Cc2dConfig } from '../config';
import { buildStage2Net, makeAdam, stepLr, type DenseNet } from '../nets';
import { drawIndices } from '../stage1/sampler';
import { stage2Loss } from './loss';
import { IDENTITY, applyAugment, augmentPoint, buildTargets, drawAugment } from './targets';

export const STAGE2 = 'stage2';

export interface Stage2TrainOptions {
  config: Cc2dConfig;
  /** (M, 1, S2, S2) training images at stage2.size, template included. */
  stack: Tensor;
  /** Per image, per landmark: grid position at stage2.size (pseudo-label, or truth for the template). */
  labels: (Point | null)[][];
  templateIndex: number;
  layout?: RunLayout;
  progress?: ProgressStream;
  signal?: AbortSignal;
  onLive?: (step: number, live: number) => void;
  stopAfter?: number;
  /**
   * Initial weights by name (e.g. stage 1's encoder and decoder when the shapes match); names the
   * stage-2 network lacks, or whose shapes differ, are skipped. A checkpoint of stage 2 wins.
   */
  init?: Map<string, Tensor>;
}

export function stage2Radius(cfg: Cc2dConfig): number {
  return cfg.stage2.radiusFrac * cfg.stage2.size;
}

export async function trainStage2(o: Stage2TrainOptions): Promise<{ net: DenseNet; result: StageResult }> {
  const c = o.config.stage2;
  const n = o.labels[0].length;
  // Weights are initialised from the run's seed: the same config gives the same network.
  seedStep(o.config.seed, `${STAGE2}-init`, 0);
  const net = buildStage2Net(o.config, n);
  if (o.init) initFrom(net.module, o.init);
  // A frozen encoder keeps its weights and BatchNorm statistics; only the rest is optimised.
  const frozen = c.freezeEncoder;
  const trainable = frozen
    ? net.module
        .namedParameters()
        .filter(([k, p]) => {
          const isEncoder = k.startsWith('encoder.');
          if (isEncoder) p.requiresGrad_(false);
          return !isEncoder;
        })
        .map(([, p]) => p)
    : net.parameters();
  const opt = makeAdam({ parameters: () => trainable }, c.lr, c.weightDecay);
  const R = stage2Radius(o.config);
  const M = o.stack.shape[0];
  const pseudo = Array.from({ length: M }, (_, i) => i).filter((i) => i !== o.templateIndex);
  const S = c.size;
  net.train(true);
  if (frozen) net.module.encoder.train(false);
  let result: StageResult;
  try {
    result = await runStage({
      stage: STAGE2,
      total: c.iterations,
      device: o.config.device,
      precision: o.config.precision ?? 'fp32',
      stopAfter: o.stopAfter,
      seed: o.config.seed,
      layout: o.layout,
      checkpointEvery: o.config.checkpointEvery,
      components: { model: net, optim: opt },
      progress: o.progress,
      signal: o.signal,
      onLive: o.onLive,
      meta: { method: 'cc2d', preset: o.config.preset, landmarks: n },
      step: (s) => {
        opt.setLr(stepLr(c.lr, c.lrGamma, c.lrStep, s));
        const chosen = pseudo.length ? drawIndices(pseudo.length, c.batchPseudo).map((k) => pseudo[k]) : [];
        const indices = [...chosen, ...Array(c.templateCopies).fill(o.templateIndex)];
        // With several template copies the first stays unaugmented: its exact view anchors the batch.
        const augs = indices.map((_, k) =>
          c.templateCopies > 1 && k === chosen.length ? IDENTITY : drawAugment(c.augment),
        );
        const points = indices.map((i, k) =>
          o.labels[i].map((p) => (p ? augmentPoint(augs[k], p, S) : null)),
        );
        return tidy(() => {
          const idx = Tensor.from(Int32Array.from(indices), [indices.length], {
            device: o.stack.device,
          }).long();
          const images = applyAugment(o.stack.indexSelect(0, idx), augs);
          const t = buildTargets(points, S, R, o.stack.device);
          const out = net.forward(images);
          const { total } = stage2Loss(out, t, c.heatmapWeight, c.focalGamma, c.heatmapNorm);
          opt.zeroGrad();
          total.backward();
          opt.step();
          return total.item();
        });
      },
    });
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    // The optimiser's state lives in the checkpoints; free it now rather than at GC.
    opt.dispose();
  }
  net.train(false);
  return { net, result };
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
