/**
 * C-F2's fine stage in cascade form: one more level of the cascade the dense methods already are.
 * Stage 1 found each landmark on the whole image and the Adapter in a crop around stage 1's answer;
 * the fine level is the Adapter's network again, on crops cut at a finer grid around the Adapter's
 * answers. It trains as the Adapter did, one level down: the Adapter's answers on the unlabelled
 * images are its Infer-PL labels (saved in RUN/fine/coarse-answers.json, so resume reads them), the
 * template's truth and its augmented copies join every batch, and Train-PL refreshes the labels.
 * Only the template's labels enter.
 */
import * as fs from 'node:fs';
import type { Device } from '../../engine';
import type { Point } from '../../data/types';
import type { ImageRef } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { templateIndexOf } from '../../runs/oneShot';
import type { StageResult } from '../../runs/loop';
import type { ProgressStream, StageMeter } from '../../runs/progress';
import { loadPseudoLabelsIfWhole, savePseudoLabels, type PseudoLabels } from '../cc2d/pseudoLabels';
import { DensePredictor } from '../dense/predict';
import { partLandmarks, stage1RunOf } from '../dense/run';
import { stage1PseudoLabelsOf } from '../dense/stage1';
import { trainLevel, type DenseTrainInput } from '../dense/train';
import { FINE, type CascadeFineConfig, type F2Config } from './config';
import type { FineRefiner, Refined } from './refiner';

export const COARSE_ANSWERS = 'coarse-answers.json';

/** Trains the fine level of an f2 run whose coarse Adapter has finished. */
export async function trainCascadeFine(
  input: DenseTrainInput,
  config: F2Config,
  fine: CascadeFineConfig,
  progress: ProgressStream,
): Promise<StageResult> {
  const layout = new RunLayout(input.runDir);
  layout.ensureStage(FINE);
  const file = layout.artefact(FINE, COARSE_ANSWERS);
  let pseudo = fs.existsSync(file) ? loadPseudoLabelsIfWhole(file) : null;
  if (!pseudo) {
    pseudo = await coarseAnswers(input, config, progress);
    savePseudoLabels(file, pseudo);
  }
  const level = await trainLevel({
    input,
    config: { ...config, dense: fine.dense },
    layout,
    stage: FINE,
    pseudo,
    landmarks: partLandmarks(input.landmarkSet.landmarks.length),
    templateIndex: templateIndexOf(input),
    progress,
    saveTemplate: false,
  });
  return level.result;
}

/** The Adapter's answers on the training images, each searched around stage 1's (its Infer-PL labels). */
async function coarseAnswers(
  input: DenseTrainInput,
  config: F2Config,
  progress: ProgressStream,
): Promise<PseudoLabels> {
  const s1 = await stage1PseudoLabelsOf(stage1RunOf(input.runDir), input, {
    device: config.device,
    progress,
  });
  const rowOf = new Map(s1.ids.map((id, i) => [id, i]));
  const stage1 = input.images.map((r) => {
    const row = rowOf.get(r.id);
    if (row === undefined) throw new Error(`stage-1 pseudo-labels lack image ${r.id}`);
    return s1.points[row];
  });
  const adapter = DensePredictor.load(input.runDir, { device: config.device, methods: ['f2'] });
  try {
    const located = await adapter.locate(input.images, { coarse: stage1, progress });
    const known = (j: number) => input.templateLandmarks[j] !== null;
    return {
      ids: input.images.map((r) => r.id),
      points: located.map((l) => l.points.map((p, j) => (known(j) ? p : null))),
      confidence: located.map((l) => l.confidence.map((c, j) => (known(j) ? c : null))),
      templateId: input.templateId,
    };
  } finally {
    adapter.dispose();
  }
}

/** The fine level at prediction: each landmark searched in its crop around the Adapter's answer. */
export class CascadeRefiner implements FineRefiner {
  private constructor(
    private readonly level: DensePredictor,
    /** The run's fine config: bench checks change `blend` on it between predictions. */
    readonly fine: CascadeFineConfig,
  ) {}

  static load(runDir: string, fine: CascadeFineConfig, device: Device): CascadeRefiner {
    const level = DensePredictor.load(runDir, {
      device,
      methods: ['f2'],
      level: { stage: FINE, dense: fine.dense },
    });
    return new CascadeRefiner(level, fine);
  }

  async refineAll(
    images: readonly ImageRef[],
    coarse: (Point | null)[][],
    meter?: StageMeter,
  ): Promise<Refined[]> {
    // A landmark the template lacks has no coarse answer; its crop is centred anywhere and dropped.
    const located = await this.level.locate(images, { coarse });
    meter?.tick(images.length);
    const w = this.fine.blend;
    return located.map((l, i) => ({
      points: l.points.map((f, j) => {
        const c = coarse[i][j];
        return c ? { x: c.x + w * (f.x - c.x), y: c.y + w * (f.y - c.y) } : null;
      }),
      confidence: l.confidence.map((v, j) => (coarse[i][j] ? v : null)),
    }));
  }

  dispose(): void {
    this.level.dispose();
  }
}
