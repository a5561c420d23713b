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
import * as path from 'node:path';
import { Tensor, noGrad, tidy } from '../../engine';
import type { Point } from '../../data/types';
import { makeRunConfig, readRunConfig, writeRunConfig } from '../../runs/config';
import { buildStack, type ImageStack } from '../../runs/imageStack';
import type { OneShotRunInput } from '../../runs/oneShot';
import { RunLayout } from '../../runs/layout';
import { runStage, type Checkpointable, type StageResult } from '../../runs/loop';
import { ProgressStream, StageMeter } from '../../runs/progress';
import { seedStep } from '../../runs/seeding';
import { toGrid } from '../cc2d/geometry';
import { makeAdam, stepLr } from '../cc2d/nets';
import type { PseudoLabels } from '../cc2d/pseudoLabels';
import { drawIndices } from '../cc2d/stage1/sampler';
import { STAGE1 } from '../cc2d/stage1/train';
import { voteLandmarks } from '../cc2d/stage2/infer';
import { IDENTITY, applyAugment, augmentPoint, buildTargets, drawAugment } from '../cc2d/stage2/targets';
import { PSEUDO_LABELS, trainCc2d } from '../cc2d/train';
import { saveTemplate } from '../cc2d/template';
import { augmentTemplate, drawWarp } from '../atd/augment';
import { validateDense, type DenseConfig } from './config';
import { stage1PseudoLabelsOf } from './stage1';
import { perLandmarkLoss } from './loss';
import { buildDenseNet, type DenseLandmarkNet } from './nets';
import { refreshDue, refreshLabels, type RefreshStats } from './refresh';
import { removeStaleTemps, writeFileAtomicSync } from '../../runs/atomicFile';

export const CC2D_SUBDIR = 'cc2d';

/** Where a dense or f2 run's CC2D stage 1 lives: the run it reused (config.json's stage1Run), else its own cc2d/. */
export function stage1RunOf(runDir: string): string {
  return readRunConfig(new RunLayout(runDir)).stage1Run ?? path.join(runDir, CC2D_SUBDIR);
}
export const INFER_PL = 'pseudo-labels.json';
export const FINAL_LABELS = 'labels-final.json';

export interface Part {
  /** 0-based. */
  index: number;
  count: number;
}

export interface DenseTrainInput extends OneShotRunInput {
  config: DenseConfig;
  stopAfter?: { stage1?: number; dense?: number };
  /** A CC2D run directory whose stage 1 and pseudo-labels to reuse (same images and template). */
  stage1Run?: string;
  part?: Part;
}

export interface DenseTrainResult {
  config: DenseConfig;
  stage: string;
  result: StageResult | null;
  /** Landmarks (0-based) this run trained. */
  landmarks: number[];
  /** Labels in use at the end (grid pixels at dense.size), per image per trained landmark. */
  labels: (Point | null)[][];
  refreshes: RefreshStats[];
  numParameters: number;
  stopped: boolean;
  trainSeconds: number;
  /** The CC2D run whose stage 1 was reused (absolute), or undefined for the run's own RUN/cc2d. */
  stage1Run?: string;
}

/** The dense stage's folder: the method's name (C-F2's coarse stage is its C-Adapter, 'adapter'). */
export function stageName(method: string, part?: Part): string {
  const base = denseStageOf(method);
  return part && part.count > 1 ? `${base}-part-${part.index + 1}-of-${part.count}` : base;
}

export function denseStageOf(method: string): string {
  return method === 'f2' ? 'adapter' : method;
}

export function partLandmarks(n: number, part?: Part): number[] {
  const all = Array.from({ length: n }, (_, j) => j);
  if (!part || part.count <= 1) return all;
  if (!(part.index >= 0 && part.index < part.count))
    throw new Error(`part ${part.index + 1} of ${part.count}: out of range`);
  return all.filter((j) => j % part.count === part.index);
}

/** The run's config and the stage-1 run it reuses (the saved ones when the run exists). */
function prepareRun(
  input: DenseTrainInput,
  layout: RunLayout,
  stage: string,
): { config: DenseConfig; stage1Run?: string } {
  const given = input.stage1Run ? path.resolve(input.stage1Run) : undefined;
  const m = input.config.method;
  if (fs.existsSync(layout.config)) {
    removeStaleTemps(layout.root);
    const saved = readRunConfig<DenseConfig>(layout);
    if (saved.method !== m) throw new Error(`run ${layout.root} is a "${saved.method}" run, not ${m}`);
    if (saved.data.templateId !== input.templateId)
      throw new Error(
        `run ${layout.root} was trained with template ${saved.data.templateId}, not ${input.templateId}`,
      );
    // Parts of one run start from separate processes: the first creates the config, the rest join.
    if (!input.resume && (layout.hasFinal(stage) || layout.stepCheckpoints(stage).length))
      throw new Error(
        `run ${layout.root} already has ${stage} checkpoints; pass --resume to continue it or choose another --out`,
      );
    // A resumed run keeps the stage 1 it started with (runs from before this field: as given).
    if (saved.stage1Run && given && given !== saved.stage1Run)
      throw new Error(`run ${layout.root} reuses the stage 1 of ${saved.stage1Run}, not ${given}`);
    if (!saved.stage1Run && given && fs.existsSync(path.join(layout.root, CC2D_SUBDIR)))
      throw new Error(
        `run ${layout.root} trains its own stage 1 (in ${CC2D_SUBDIR}/); resume it without a stage-1 run`,
      );
    return { config: saved.method_config, stage1Run: saved.stage1Run ?? given };
  }
  if (fs.existsSync(layout.root) && fs.readdirSync(layout.root).length > 0)
    throw new Error(`run directory ${layout.root} is not empty and holds no run; choose another --out`);
  writeRunConfig(
    layout,
    makeRunConfig({
      method: m,
      preset: input.config.preset,
      seed: input.config.seed,
      device: input.config.device,
      init: input.source.init ?? 'scratch',
      data: {
        images: input.source.images,
        templateId: input.templateId,
        landmarks: input.source.landmarks,
        landmarkSet: input.landmarkSet,
        imageIds: input.images.map((r) => r.id),
      },
      ...(given ? { stage1Run: given } : {}),
      method_config: input.config,
    }),
  );
  return { config: input.config, stage1Run: given };
}

/** Stage 1 + Infer-PL pseudo-labels (original pixels), from CC2D's trainer or a finished CC2D run. */
async function stage1PseudoLabels(input: DenseTrainInput, cfg: DenseConfig): Promise<PseudoLabels | null> {
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
  return prepareRun(input, new RunLayout(input.runDir), stageName(input.config.method, input.part)).config;
}

/**
 * The shared CC2D stage 1 and its pseudo-labels alone, into the run (config.json, RUN/cc2d): a
 * cluster's first job, so that the parts started after it in parallel only read them (they would
 * race to write them otherwise). Returns false when stopped (abort signal) before the end.
 */
export async function trainDenseStage1(input: DenseTrainInput): Promise<boolean> {
  const layout = new RunLayout(input.runDir);
  const prepared = prepareRun({ ...input, resume: true }, layout, stageName(input.config.method, input.part));
  const pseudo = await stage1PseudoLabels(
    { ...input, stage1Run: prepared.stage1Run, part: undefined },
    prepared.config,
  );
  return pseudo !== null;
}

/** The labels as a checkpoint component: (M, n, 2) float64, NaN = missing. */
function labelState(get: () => (Point | null)[][], set: (l: (Point | null)[][]) => void): Checkpointable {
  return {
    state: () => {
      const l = get();
      const M = l.length;
      const n = l[0]?.length ?? 0;
      const a = new Float64Array(M * n * 2);
      l.forEach((row, i) =>
        row.forEach((p, j) => {
          a[(i * n + j) * 2] = p ? p.x : NaN;
          a[(i * n + j) * 2 + 1] = p ? p.y : NaN;
        }),
      );
      return { tensors: { points: Tensor.from(a, [M, n, 2]) } };
    },
    loadState: (s) => {
      const t = s.tensors.points;
      if (!t) throw new Error('checkpoint has no label state ("labels.points")');
      const [M, n] = t.shape;
      const a = t.dtype === 'float64' ? (t.toArray() as Float64Array) : Float64Array.from(t.toFloat32Array());
      const out: (Point | null)[][] = [];
      for (let i = 0; i < M; i++) {
        const row: (Point | null)[] = [];
        for (let j = 0; j < n; j++) {
          const x = a[(i * n + j) * 2];
          const y = a[(i * n + j) * 2 + 1];
          row.push(Number.isNaN(x) ? null : { x, y });
        }
        out.push(row);
      }
      set(out);
    },
  };
}

/** Predicts every image of the stack with the current network (eval mode), in grid pixels. */
export function predictStack(
  net: DenseLandmarkNet,
  stack: Tensor,
  radius: number,
  batch = 4,
): { points: Point[][]; confidence: number[][] } {
  const points: Point[][] = [];
  const confidence: number[][] = [];
  const M = stack.shape[0];
  for (let s = 0; s < M; s += batch) {
    const out = noGrad(() => tidy(() => net.forward(stack.narrow(0, s, Math.min(batch, M - s)))));
    const v = voteLandmarks(out, net.landmarks, radius);
    out.dispose();
    points.push(...v.points);
    confidence.push(...v.confidence);
  }
  return { points, confidence };
}

export async function trainDense(input: DenseTrainInput): Promise<DenseTrainResult> {
  const t0 = performance.now();
  const layout = new RunLayout(input.runDir);
  const stage = stageName(input.config.method, input.part);
  const prepared = prepareRun(input, layout, stage);
  const config = prepared.config;
  const stage1Run = prepared.stage1Run;
  validateDense(config);
  const progress = input.progress ?? new ProgressStream();
  const off = progress.on((e) => {
    if (e.message || e.step % 10 === 0 || e.step === e.total)
      fs.appendFileSync(layout.events, JSON.stringify({ t: new Date().toISOString(), ...e }) + '\n');
  });
  const N = input.landmarkSet.landmarks.length;
  const lms = partLandmarks(N, input.part);
  const empty = (stopped: boolean): DenseTrainResult => ({
    config,
    stage,
    result: null,
    landmarks: lms,
    labels: [],
    refreshes: [],
    numParameters: 0,
    stopped,
    trainSeconds: (performance.now() - t0) / 1000,
    stage1Run,
  });
  if (input.templateLandmarks.length !== N)
    throw new Error(`template has ${input.templateLandmarks.length} landmarks, the landmark set ${N}`);
  const tIndex = input.images.findIndex((r) => r.id === input.templateId);
  if (tIndex < 0)
    throw new Error(`template ${input.templateId} is not among the ${input.images.length} training images`);

  let stack: ImageStack | null = null;
  try {
    const pseudo = await stage1PseudoLabels({ ...input, stage1Run }, config);
    if (!pseudo) return empty(true);
    const c = config.dense;
    const S = c.size;
    const meter = new StageMeter(progress, `cache ${S}px`, input.images.length);
    stack = await buildStack(input.images, S, {
      device: config.device,
      onProgress: (d) => meter.tick(d),
    });
    const st = stack;
    const byId = new Map(pseudo.ids.map((id, i) => [id, i]));
    // Grid labels per training image for the trained landmarks; the template row is its truth.
    const anchor: (Point | null)[][] = st.ids.map((id, i) => {
      const { width, height } = st.sizes[i];
      if (i === tIndex)
        return lms.map((j) =>
          input.templateLandmarks[j] ? toGrid(input.templateLandmarks[j]!, width, height, S) : null,
        );
      const k = byId.get(id);
      if (k === undefined) throw new Error(`stage-1 pseudo-labels lack image ${id}`);
      return lms.map((j) => {
        const p = pseudo.points[k][j];
        return p ? toGrid(p, width, height, S) : null;
      });
    });
    const templateGrid = anchor[tIndex];
    const templateImage = tidy(() => st.tensor.narrow(0, tIndex, 1).contiguous());
    try {
      const tSize = st.sizes[tIndex];
      await saveTemplate(
        layout.root,
        {
          id: input.templateId,
          width: tSize.width,
          height: tSize.height,
          landmarkSet: input.landmarkSet,
          landmarks: input.templateLandmarks,
        },
        templateImage,
      );
      layout.ensureStage(stage);
      const plFile = layout.artefact(stage, INFER_PL);
      if (!fs.existsSync(plFile))
        writeFileAtomicSync(
          plFile,
          JSON.stringify({ ids: st.ids, size: S, landmarks: lms, points: anchor }) + '\n',
        );

      let labels = anchor.map((row) => row.map((p) => (p ? { ...p } : null)));
      const refreshes: RefreshStats[] = [];
      seedStep(config.seed, `${stage}-init`, 0);
      const net = buildDenseNet(c.net, lms.length, config.device);
      const opt = makeAdam(net, c.lr, c.weightDecay);
      const R = c.radiusFrac * S;
      const pseudoIdx = st.ids.map((_, i) => i).filter((i) => i !== tIndex);
      const fixed = st.ids.map((_, i) => i === tIndex);
      const aug = config.templateAug;
      const lmProgress = new ProgressStream();
      // Per-landmark detail: a part run reports its (first) landmark on every event.
      const offFwd = lmProgress.on((e) =>
        progress.emit(lms.length === 1 ? { ...e, landmark: lms[0] + 1 } : e),
      );
      let result: StageResult;
      net.train(true);
      try {
        result = await runStage({
          stage,
          total: c.iterations,
          device: config.device,
          precision: config.precision ?? 'fp32',
          seed: config.seed,
          layout,
          checkpointEvery: config.checkpointEvery,
          components: {
            model: net,
            optim: opt,
            labels: labelState(
              () => labels,
              (l) => (labels = l),
            ),
          },
          progress: lmProgress,
          signal: input.signal,
          stopAfter: input.stopAfter?.dense,
          meta: { method: config.method, preset: config.preset, landmarks: lms.map((j) => j + 1) },
          step: (s) => {
            if (refreshDue(c.refresh, s, c.iterations)) {
              net.train(false);
              const p = predictStack(net, st.tensor, R);
              net.train(true);
              const r = refreshLabels(c.refresh!, R, anchor, labels, p.points, p.confidence, fixed);
              labels = r.labels;
              refreshes.push(r.stats);
              lmProgress.emit({
                stage,
                step: s,
                total: c.iterations,
                itPerSec: 0,
                etaSec: 0,
                message: `pseudo-labels refreshed: ${r.stats.replaced.reduce((a, b) => a + b, 0)} replaced, ${r.stats.lowConfidence} low-confidence, ${r.stats.tooFar} too far`,
              });
            }
            opt.setLr(stepLr(c.lr, c.lrGamma, c.lrStep, s));
            const chosen = pseudoIdx.length
              ? drawIndices(pseudoIdx.length, c.batchPseudo).map((k) => pseudoIdx[k])
              : [];
            const indices = [...chosen, ...Array(c.templateCopies).fill(tIndex)];
            const augs = indices.map((i) => (i === tIndex ? IDENTITY : drawAugment(c.augment)));
            const points = indices.map((i, k) =>
              labels[i].map((p) => (p ? augmentPoint(augs[k], p, S) : null)),
            );
            const warps = aug ? Array.from({ length: aug.copies }, () => drawWarp(aug)) : [];
            return tidy(() => {
              const parts: Tensor[] = [];
              if (indices.length) {
                const idx = Tensor.from(Int32Array.from(indices), [indices.length], {
                  device: st.tensor.device,
                }).long();
                parts.push(applyAugment(st.tensor.indexSelect(0, idx), augs));
              }
              if (warps.length) {
                const a = augmentTemplate(templateImage, templateGrid, warps);
                parts.push(a.images);
                points.push(...a.points);
              }
              const images = parts.length === 1 ? parts[0] : Tensor.cat(parts, 0);
              const t = buildTargets(points, S, R, st.tensor.device);
              const loss = perLandmarkLoss(net.forward(images), t, c.heatmapWeight, c.focalGamma);
              opt.zeroGrad();
              loss.backward();
              opt.step();
              return loss.item() / lms.length;
            });
          },
        });
      } catch (e) {
        net.dispose();
        throw e;
      } finally {
        opt.dispose();
        offFwd();
      }
      net.train(false);
      const numParameters = net.numParameters();
      net.dispose();
      if (!result.aborted) {
        writeFileAtomicSync(
          layout.artefact(stage, FINAL_LABELS),
          JSON.stringify({ ids: st.ids, size: S, landmarks: lms, points: labels, refreshes }) + '\n',
        );
      }
      return {
        config,
        stage,
        result,
        landmarks: lms,
        labels,
        refreshes,
        numParameters,
        stopped: result.aborted,
        trainSeconds: (performance.now() - t0) / 1000,
        stage1Run,
      };
    } finally {
      templateImage.dispose();
    }
  } finally {
    stack?.tensor.dispose();
    off();
  }
}
