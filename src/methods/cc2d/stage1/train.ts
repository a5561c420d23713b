/**
 * Stage-1 training (METHODS §1): self-supervised cascade comparing on an in-memory stack of the
 * training images at the training resolution. Adam with a step schedule; checkpoints, resume and
 * progress come from the shared run loop.
 */
import type { Tensor } from '../../../engine';
import type { StageResult } from '../../../runs/loop';
import { trainStage } from '../../../runs/trainStage';
import { cc2dStageRun, type Cc2dStageInput } from '../stageRun';
import { buildStage1Net, type EmbeddingNet } from '../nets';
import { cascadeLoss } from './loss';
import { sampleStage1Batch } from './sampler';
import { makeAdam, stepLr } from '../../shared/optimizer';
import { drawIndices } from '../../shared/sampling';

export const STAGE1 = 'stage1';

export interface Stage1TrainOptions extends Cc2dStageInput {
  /** (N, 1, S, S) training images at stage1.size, values in [0, 1], on the training device. */
  stack: Tensor;
}

export interface Stage1Trained {
  net: EmbeddingNet;
  result: StageResult;
}

export async function trainStage1(o: Stage1TrainOptions): Promise<Stage1Trained> {
  const c = o.config.stage1;
  const imageCount = o.stack.shape[0];
  return trainStage({
    ...cc2dStageRun(o, STAGE1, c.iterations),
    build: () => {
      const net = buildStage1Net(o.config);
      return { net, optimizer: makeAdam(net, c.lr, c.weightDecay) };
    },
    schedule: (step) => stepLr(c.lr, c.lrGamma, c.lrStep, step),
    batch: () => drawIndices(imageCount, c.batch),
    loss: (net, indices) => {
      const batch = sampleStage1Batch(o.stack, indices, c, c.pointsPerPatch);
      const imageMaps = net.embed(batch.images);
      const patchMaps = net.embed(batch.patches);
      return cascadeLoss(
        imageMaps,
        patchMaps,
        net.strides,
        batch.patchPoints,
        batch.imagePoints,
        c.patch,
        c,
        c.pointsPerPatch,
      ).total;
    },
  });
}
