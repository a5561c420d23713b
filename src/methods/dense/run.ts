/**
 * A dense run's folder: its stage names (parts of one stage for several processes), its config,
 * and the CC2D stage 1 it trains its pseudo-labels from (its own in RUN/cc2d, or a reused run).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Point } from '../../data/types';
import { readRunConfig } from '../../runs/config';
import type { OneShotRunInput } from '../../runs/oneShot';
import { RunLayout } from '../../runs/layout';
import { openRun } from '../../runs/openRun';
import type { PseudoLabels } from '../cc2d/pseudoLabels';
import { STAGE1 } from '../cc2d/stage1/train';
import { PSEUDO_LABELS, trainCc2d } from '../cc2d/train';
import type { Part } from '../shared/entry';
import { denseStageOf, type DenseConfig } from './config';
import { stage1PseudoLabelsOf } from './stage1';

export const CC2D_SUBDIR = 'cc2d';
export const INFER_PL = 'pseudo-labels.json';
export const FINAL_LABELS = 'labels-final.json';

/** A dense stage's labels file (INFER_PL, FINAL_LABELS): grid points per image per trained landmark. */
export interface DenseLabelsFile {
  ids: string[];
  /** The grid the points are on (the crops' fine grid in the cascade form). */
  size: number;
  /** Landmarks (0-based) of this stage or part, in the order of each row of `points`. */
  landmarks: number[];
  points: (Point | null)[][];
}

/** Where a dense or f2 run's CC2D stage 1 lives: the run it reused (config.json's stage1Run), else its own cc2d/. */
export function stage1RunOf(runDir: string): string {
  return readRunConfig(new RunLayout(runDir)).stage1Run ?? path.join(runDir, CC2D_SUBDIR);
}

export interface DenseTrainInput extends OneShotRunInput {
  config: DenseConfig;
  stopAfter?: { stage1?: number; dense?: number };
  /** A CC2D run directory whose stage 1 and pseudo-labels to reuse (same images and template). */
  stage1Run?: string;
  part?: Part;
}

/** The dense stage's folder: the method's dense stage (C-F2's coarse stage is its C-Adapter, 'adapter'). */
export function stageName(method: DenseConfig['method'], part?: Part): string {
  return partStage(denseStageOf(method), part);
}

/** The folder of `part` of stage `base` (the stage itself for a whole run). */
export function partStage(base: string, part?: Part): string {
  return part && part.count > 1 ? `${base}-part-${part.index + 1}-of-${part.count}` : base;
}

export function partLandmarks(n: number, part?: Part): number[] {
  const all = Array.from({ length: n }, (_, j) => j);
  if (!part || part.count <= 1) return all;
  if (!(part.index >= 0 && part.index < part.count))
    throw new Error(`part ${part.index + 1} of ${part.count}: out of range`);
  return all.filter((j) => j % part.count === part.index);
}

/** The run's config and the stage-1 run it reuses (the saved ones when the run exists). */
export function openDenseRun(
  input: DenseTrainInput,
  layout: RunLayout,
  stage: string,
): { config: DenseConfig; stage1Run?: string } {
  const given = input.stage1Run ? path.resolve(input.stage1Run) : undefined;
  const existed = fs.existsSync(layout.config);
  // Parts of one run start from separate processes: the first creates the config, the rest join.
  const run = openRun(input, layout, {
    method: input.config.method,
    config: input.config,
    joinStage: stage,
    stage1Run: given,
  });
  if (!existed) return { config: run.method_config, stage1Run: given };
  // A resumed run keeps the stage 1 it started with (runs from before this field: as given).
  if (run.stage1Run && given && given !== run.stage1Run)
    throw new Error(`run ${layout.root} reuses the stage 1 of ${run.stage1Run}, not ${given}`);
  if (!run.stage1Run && given && fs.existsSync(path.join(layout.root, CC2D_SUBDIR)))
    throw new Error(
      `run ${layout.root} trains its own stage 1 (in ${CC2D_SUBDIR}/); resume it without a stage-1 run`,
    );
  return { config: run.method_config, stage1Run: run.stage1Run ?? given };
}

/** Stage 1 + Infer-PL pseudo-labels (original pixels), from CC2D's trainer or a finished CC2D run. */
export async function stage1PseudoLabels(
  input: DenseTrainInput,
  cfg: DenseConfig,
): Promise<PseudoLabels | null> {
  const opts = { device: cfg.device, progress: input.progress };
  if (input.stage1Run) return stage1PseudoLabelsOf(input.stage1Run, input, opts);
  // Parts run as separate processes: only the first trains the shared stage 1, the others would race it.
  const own = path.join(input.runDir, CC2D_SUBDIR, STAGE1, PSEUDO_LABELS);
  if (input.part && input.part.count > 1 && input.part.index > 0 && !fs.existsSync(own)) {
    throw new Error(
      `part ${input.part.index + 1} of ${input.part.count}: stage 1 of ${input.runDir} has not finished (no ${own}); ` +
        'train part 1 first (it trains the shared stage 1), or give a finished CC2D run as stage1Run',
    );
  }
  const r = await trainCc2d({
    config: cfg.cc2d,
    images: input.images,
    templateId: input.templateId,
    templateLandmarks: input.templateLandmarks,
    landmarkSet: input.landmarkSet,
    runDir: path.join(input.runDir, CC2D_SUBDIR),
    source: input.source,
    resume: true,
    progress: input.progress,
    signal: input.signal,
    stopAfter: { stage1: input.stopAfter?.stage1 },
  });
  if (r.stopped) return null;
  return r.pseudo.ids.length
    ? r.pseudo
    : stage1PseudoLabelsOf(path.join(input.runDir, CC2D_SUBDIR), input, opts);
}

/**
 * Writes the run's config.json (or checks the one there) without training: a cluster submission
 * fixes the config, device included, before its jobs start on other machines.
 */
export function prepareDenseRun(input: DenseTrainInput): DenseConfig {
  return openDenseRun(input, new RunLayout(input.runDir), stageName(input.config.method, input.part)).config;
}

/**
 * The shared CC2D stage 1 and its pseudo-labels alone, into the run (config.json, RUN/cc2d): a
 * cluster's first job, so that the parts started after it in parallel only read them (they would
 * race to write them otherwise). Returns false when stopped (abort signal) before the end.
 */
export async function trainDenseStage1(input: DenseTrainInput): Promise<boolean> {
  const layout = new RunLayout(input.runDir);
  const prepared = openDenseRun(
    { ...input, resume: true },
    layout,
    stageName(input.config.method, input.part),
  );
  const pseudo = await stage1PseudoLabels(
    { ...input, stage1Run: prepared.stage1Run, part: undefined },
    prepared.config,
  );
  return pseudo !== null;
}
