/**
 * Training of the dense per-landmark methods (CC2D-SLA, C-ATD, C-Adapter; C-F2's coarse stage):
 *   1. CC2D stage 1 + its pseudo-labels on the training images (Infer-PL), run in RUN/cc2d by
 *      CC2D's own trainer, or reused from an existing CC2D run (`stage1Run`);
 *   2. one network with an output triple per landmark (grouped = N independent models, or shared
 *      backbone + adapters), trained on the pseudo-labelled images plus the template's true labels
 *      (C-ATD: plus augmented template copies), with the pseudo-labels refreshed from the network's
 *      own predictions (Train-PL; the refreshed labels are checkpointed, so resume is exact).
 *
 * Only the template's labels enter: images arrive as label-free ImageRefs and every other label is
 * a prediction. `part` trains a subset of the landmarks (landmark j belongs to part j mod count):
 * N processes, one landmark each, for several GPUs or machines; predict merges the parts.
 */
import * as fs from 'node:fs';
import { Tensor, tidy } from '../../engine';
import type { Point } from '../../data/types';
import { writeFileAtomicSync } from '../../runs/atomicFile';
import { logEvents } from '../../runs/eventsLog';
import { buildStack, type ImageStack } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { templateIndexOf } from '../../runs/oneShot';
import type { StageResult } from '../../runs/loop';
import { ProgressStream, StageMeter } from '../../runs/progress';
import { runOptionsOf, trainStage } from '../../runs/trainStage';
import type { PseudoLabels } from '../cc2d/pseudoLabels';
import { saveTemplate } from '../cc2d/template';
import { toGrid } from '../shared/geometry';
import { makeAdam, stepLr } from '../shared/optimizer';
import { buildTargets } from '../shared/targets';
import { validateDense, type DenseConfig } from './config';
import { TrainingLabels } from './labels';
import { perLandmarkLoss } from './loss';
import { buildDenseNet } from './nets';
import { refreshDue, type RefreshStats } from './refresh';
import {
  FINAL_LABELS,
  INFER_PL,
  openDenseRun,
  partLandmarks,
  stage1PseudoLabels,
  stageName,
  type DenseLabelsFile,
  type DenseTrainInput,
} from './run';
import { landmarkCrops, wholeImages, type SampleSource } from './samples';

export {
  CC2D_SUBDIR,
  FINAL_LABELS,
  INFER_PL,
  partLandmarks,
  partStage,
  prepareDenseRun,
  stage1RunOf,
  stageName,
  trainDenseStage1,
  type DenseTrainInput,
} from './run';
export type { Part } from '../shared/entry';
export { predictStack } from './labels';

type GridLabels = (Point | null)[][];

export interface DenseTrainResult {
  config: DenseConfig;
  stage: string;
  result: StageResult | null;
  /** Landmarks (0-based) this run trained. */
  landmarks: number[];
  /** Labels in use at the end (grid pixels at dense.size), per image per trained landmark. */
  labels: GridLabels;
  refreshes: RefreshStats[];
  numParameters: number;
  stopped: boolean;
  trainSeconds: number;
  /** The CC2D run whose stage 1 was reused (absolute), or undefined for the run's own RUN/cc2d. */
  stage1Run?: string;
}

export async function trainDense(input: DenseTrainInput): Promise<DenseTrainResult> {
  const startedAt = performance.now();
  const seconds = () => (performance.now() - startedAt) / 1000;
  const layout = new RunLayout(input.runDir);
  const stage = stageName(input.config.method, input.part);
  const { config, stage1Run } = openDenseRun(input, layout, stage);
  validateDense(config);
  const progress = input.progress ?? new ProgressStream();
  const stopLog = logEvents(progress, layout.events);
  const landmarks = partLandmarks(input.landmarkSet.landmarks.length, input.part);
  const templateIndex = templateIndexOf(input);
  try {
    const pseudo = await stage1PseudoLabels({ ...input, stage1Run }, config);
    if (!pseudo) {
      const nothing = { result: null, labels: [], refreshes: [], numParameters: 0 };
      return { config, stage, landmarks, ...nothing, stopped: true, trainSeconds: seconds(), stage1Run };
    }
    const trained = await trainLevel({
      input,
      config,
      layout,
      stage,
      pseudo,
      landmarks,
      templateIndex,
      progress,
      saveTemplate: true,
    });
    return {
      config,
      stage,
      landmarks,
      ...trained,
      stopped: trained.result.aborted,
      trainSeconds: seconds(),
      stage1Run,
    };
  } finally {
    stopLog();
  }
}

export interface LevelInput {
  input: DenseTrainInput;
  /** Its `dense` is the level's stage (C-F2's fine level: fine.dense). */
  config: DenseConfig;
  layout: RunLayout;
  stage: string;
  /** The previous level's answers on the training images (original pixels): the level's Infer-PL labels. */
  pseudo: PseudoLabels;
  landmarks: number[];
  templateIndex: number;
  progress: ProgressStream;
  /** Write RUN/template.* (the run's first level only: later levels' grids differ). */
  saveTemplate: boolean;
}

/**
 * One level of a dense cascade: the images cached at the level's grid, the previous level's answers
 * as labels (the template's row is its truth), then the network trained on them with Train-PL.
 */
export async function trainLevel(o: LevelInput): Promise<TrainedLevel> {
  const { input, config } = o;
  // The cascade form cuts its crops from a finer grid than the network's.
  const size = config.dense.crops?.fineSize ?? config.dense.size;
  const meter = new StageMeter(o.progress, `cache ${size}px`, input.images.length);
  const stack = await buildStack(input.images, size, {
    device: config.device,
    onProgress: (d) => meter.tick(d),
  });
  try {
    const anchor = gridLabels(input, stack, o.pseudo, o.landmarks, o.templateIndex, size);
    return await trainOnStack({ ...o, stack, anchor });
  } finally {
    stack.tensor.dispose();
  }
}

/** Grid labels per training image for the trained landmarks; the template's row is its truth. */
function gridLabels(
  input: DenseTrainInput,
  stack: ImageStack,
  pseudo: PseudoLabels,
  landmarks: number[],
  templateIndex: number,
  size: number,
): GridLabels {
  const rowOf = new Map(pseudo.ids.map((id, i) => [id, i]));
  return stack.ids.map((id, i) => {
    const { width, height } = stack.sizes[i];
    const onGrid = (p: Point | null) => (p ? toGrid(p, width, height, size) : null);
    if (i === templateIndex) return landmarks.map((j) => onGrid(input.templateLandmarks[j]));
    const row = rowOf.get(id);
    if (row === undefined) throw new Error(`stage-1 pseudo-labels lack image ${id}`);
    return landmarks.map((j) => onGrid(pseudo.points[row][j]));
  });
}

interface StackTraining extends Omit<LevelInput, 'pseudo'> {
  stack: ImageStack;
  /** Infer-PL labels (and the template's truth): what refreshed labels stay anchored to. */
  anchor: GridLabels;
}

export interface TrainedLevel {
  result: StageResult;
  /** Labels in use at the end (grid pixels at the level's grid). */
  labels: GridLabels;
  refreshes: RefreshStats[];
  numParameters: number;
}

async function trainOnStack(o: StackTraining): Promise<TrainedLevel> {
  const { config, stage, stack, landmarks, templateIndex } = o;
  const c = config.dense;
  const templateImage = tidy(() => stack.tensor.narrow(0, templateIndex, 1).contiguous());
  try {
    await saveRunTemplate(o, templateImage);
    const labels = new TrainingLabels(
      o.anchor,
      stack.ids.map((_, i) => i === templateIndex),
    );
    const radius = c.radiusFrac * c.size;
    const context = { config, stack: stack.tensor, templateIndex, anchor: o.anchor, radius };
    const source: SampleSource<unknown> = c.crops
      ? landmarkCrops(context)
      : wholeImages(context, templateImage);
    const stageProgress = new ProgressStream();
    // Per-landmark detail: a part run reports its (first) landmark on every event.
    const stopForwarding = stageProgress.on((e) =>
      o.progress.emit(landmarks.length === 1 ? { ...e, landmark: landmarks[0] + 1 } : e),
    );
    try {
      const { net, result } = await trainStage({
        stage,
        total: c.iterations,
        ...runOptionsOf(config),
        layout: o.layout,
        progress: stageProgress,
        signal: o.input.signal,
        stopAfter: o.input.stopAfter?.dense,
        meta: { method: config.method, preset: config.preset, landmarks: landmarks.map((j) => j + 1) },
        build: () => {
          const net = buildDenseNet(c.net, landmarks.length, config.device);
          return { net, optimizer: makeAdam(net, c.lr, c.weightDecay) };
        },
        extraState: { labels: labels.state() },
        beforeStep: (net, step) => {
          if (!c.refresh || !refreshDue(c.refresh, step, c.iterations)) return;
          const message = labels.refresh(net, source.predict, radius, c.refresh);
          stageProgress.emit({ stage, step, total: c.iterations, itPerSec: 0, etaSec: 0, message });
        },
        schedule: (step) => stepLr(c.lr, c.lrGamma, c.lrStep, step),
        batch: () => source.draw(labels.current),
        loss: (net, b) => {
          const { images, points } = source.inputs(b);
          const targets = buildTargets(points, c.size, radius, stack.tensor.device);
          return perLandmarkLoss(net.forward(images), targets, c.heatmapWeight, c.focalGamma);
        },
        report: (loss) => loss / landmarks.length,
      });
      const numParameters = net.numParameters();
      net.dispose();
      const { current, refreshes } = labels;
      if (!result.aborted) writeLabels(o, FINAL_LABELS, { points: current, refreshes });
      return { result, labels: current, refreshes, numParameters };
    } finally {
      stopForwarding();
    }
  } finally {
    templateImage.dispose();
  }
}

/** RUN/template.safetensors (first level only) and the stage's Infer-PL labels (written once: resume reads them). */
async function saveRunTemplate(o: StackTraining, templateImage: Tensor): Promise<void> {
  const size = o.stack.sizes[o.templateIndex];
  if (o.saveTemplate)
    await saveTemplate(
      o.layout.root,
      {
        id: o.input.templateId,
        width: size.width,
        height: size.height,
        landmarkSet: o.input.landmarkSet,
        landmarks: o.input.templateLandmarks,
      },
      templateImage,
    );
  o.layout.ensureStage(o.stage);
  if (!fs.existsSync(o.layout.artefact(o.stage, INFER_PL))) writeLabels(o, INFER_PL, { points: o.anchor });
}

function writeLabels(
  o: StackTraining,
  file: string,
  fields: { points: GridLabels; refreshes?: RefreshStats[] },
): void {
  const record: DenseLabelsFile & { refreshes?: RefreshStats[] } = {
    ids: o.stack.ids,
    size: o.config.dense.crops?.fineSize ?? o.config.dense.size,
    landmarks: o.landmarks,
    ...fields,
  };
  writeFileAtomicSync(o.layout.artefact(o.stage, file), JSON.stringify(record) + '\n');
}
