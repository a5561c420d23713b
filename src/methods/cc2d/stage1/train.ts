/**
 * Stage-1 training (METHODS §1): self-supervised cascade comparing on an in-memory stack of the
 * training images at the training resolution. Adam with a step schedule; checkpoints, resume and
 * progress come from the shared run loop.
 */
import { tidy, type Tensor } from '../../../engine';
import type { RunLayout } from '../../../runs/layout';
import { runStage, type StageResult } from '../../../runs/loop';
import type { ProgressStream } from '../../../runs/progress';
import { seedStep } from '../../../runs/seeding';
import type { Cc2dConfig } from '../config';
import { buildStage1Net, makeAdam, stepLr, type EmbeddingNet, type Optimizer } from '../nets';
import { cascadeLoss } from './loss';
import { drawIndices, sampleStage1Batch } from './sampler';

export const STAGE1 = 'stage1';

export interface Stage1TrainOptions {
  config: Cc2dConfig;
  /** (N, 1, S, S) training images at stage1.size, values in [0, 1], on the training device. */
  stack: Tensor;
  layout?: RunLayout;
  progress?: ProgressStream;
  signal?: AbortSignal;
  onLive?: (step: number, live: number) => void;
  /** Stop after this many steps in this call (tests simulate a kill); default: run to the end. */
  stopAfter?: number;
}

export interface Stage1Trained {
  net: EmbeddingNet;
  result: StageResult;
}

export async function trainStage1(o: Stage1TrainOptions): Promise<Stage1Trained> {
  const c = o.config.stage1;
  // Weights are initialised from the run's seed: the same config gives the same network.
  seedStep(o.config.seed, `${STAGE1}-init`, 0);
  const net = buildStage1Net(o.config);
  const opt: Optimizer = makeAdam(net, c.lr, c.weightDecay);
  const N = o.stack.shape[0];
  net.train(true);
  let result: StageResult;
  try {
    result = await runStage({
      stage: STAGE1,
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
      meta: { method: 'cc2d', preset: o.config.preset },
      step: (s) => {
        opt.setLr(stepLr(c.lr, c.lrGamma, c.lrStep, s));
        const idx = drawIndices(N, c.batch);
        return tidy(() => {
          const batch = sampleStage1Batch(o.stack, idx, c, c.pointsPerPatch);
          const imageMaps = net.embed(batch.images);
          const patchMaps = net.embed(batch.patches);
          const { total: loss } = cascadeLoss(
            imageMaps,
            patchMaps,
            net.strides,
            batch.patchPoints,
            batch.imagePoints,
            c.patch,
            c,
            c.pointsPerPatch,
          );
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss.item();
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
