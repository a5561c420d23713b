/**
 * Prediction with a dense per-landmark run (sla, atd, adapter): the final network(s) on each image
 * at the run's grid, voting per landmark, mapped back to original pixels through pixel centres,
 * with the heatmap confidence per landmark. A run trained in parts (N processes) is merged here.
 */
import type { Device } from '../../engine';
import * as fs from 'node:fs';
import { Tensor, noGrad, tidy } from '../../engine';
import type { AnnotationSet, ImageAnnotation, Point } from '../../data/types';
import { loadModelWeights } from '../../runs/checkpoint';
import { readRunConfig } from '../../runs/config';
import { loadSquare, type ImageRef, type SquareImage } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { BatchPrefetcher } from '../../runs/prefetch';
import { StageMeter, type ProgressStream } from '../../runs/progress';
import * as path from 'node:path';
import { fromGrid, toGrid } from '../shared/geometry';
import { Cc2dPredictor } from '../cc2d/predict';
import { voteLandmarks, type VotePrior } from '../shared/vote';
import { loadTemplate, type TemplateRecord } from '../cc2d/template';
import type { DenseConfig, DenseStageConfig } from './config';
import { buildDenseNet, type DenseLandmarkNet } from './nets';
import { denseStageOf } from './config';
import { FINAL_LABELS, partLandmarks, partStage, stage1RunOf } from './run';
import { predictCrops } from './crops';
import {
  checkShape,
  loadRunShapeModel,
  settleChecked,
  type CropAnswers,
  type RunShapeModel,
  type ShapeCheckConfig,
} from './shapeCheck';

/**
 * Stage 1's answers (original pixels) on `images`, from the CC2D stage 1 a dense run was trained
 * on (the run it reused, or its own cc2d/ folder): the centres of an optional vote prior.
 */
export async function stage1Answers(
  runDir: string,
  images: readonly ImageRef[],
  device: Device,
): Promise<(Point | null)[][]> {
  const dir = stage1RunOf(runDir);
  if (!fs.existsSync(path.join(dir, 'config.json')))
    throw new Error(
      `run ${runDir}: its CC2D stage 1 is not at ${dir} and config.json names no stage1Run; a stage-1 prior needs it`,
    );
  const s1 = Cc2dPredictor.load(dir, { device });
  try {
    const a = await s1.predict(images, { stage: 1 });
    return a.images.map((im) => im.landmarks.map((l) => l.point));
  } finally {
    s1.dispose();
  }
}

/** A vote prior on a dense grid of size S: only pixels within frac·S of stage 1's answer vote. */
export function priorOnGrid(
  answers: (Point | null)[][],
  squares: readonly SquareImage[],
  S: number,
  frac: number,
): VotePrior {
  return {
    points: squares.map((s, i) =>
      answers[i].map((p) => (p ? toGrid(p, s.width, s.height, S) : { x: S / 2, y: S / 2 })),
    ),
    radius: frac * S,
  };
}

export interface DensePrediction {
  /** Per image: grid points and confidences for all N landmarks, plus the square images used. */
  points: Point[][];
  confidence: number[][];
  squares: SquareImage[];
}

/** The stages holding final models: the whole-run stage, or every part of a parted run. */
function finishedParts(
  layout: RunLayout,
  method: string,
  n: number,
): { stage: string; landmarks: number[] }[] {
  if (layout.hasFinal(method)) return [{ stage: method, landmarks: partLandmarks(n) }];
  const dirs = fs.existsSync(layout.root) ? fs.readdirSync(layout.root) : [];
  const parts = dirs
    .map((d) => new RegExp(`^${method}-part-(\\d+)-of-(\\d+)$`).exec(d))
    .filter((m): m is RegExpExecArray => m !== null);
  if (!parts.length)
    throw new Error(
      `run ${layout.root}: no finished ${method} model (no ${layout.finalCheckpoint(method)}); resume training first`,
    );
  const count = Number(parts[0][2]);
  const out: { stage: string; landmarks: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    const stage = partStage(method, { index: i, count });
    if (!layout.hasFinal(stage))
      throw new Error(
        `run ${layout.root}: part ${i + 1} of ${count} has not finished (no ${layout.finalCheckpoint(stage)})`,
      );
    out.push({ stage, landmarks: partLandmarks(n, { index: i, count }) });
  }
  return out;
}

/** One image's landmarks in original pixels (the square image it was read as, for its size and id). */
export interface Located {
  square: SquareImage;
  points: Point[];
  confidence: number[];
}

export class DensePredictor {
  private readonly shapeModels = new Map<number, RunShapeModel | null>();

  private constructor(
    readonly runDir: string,
    readonly config: DenseConfig,
    readonly template: TemplateRecord,
    private readonly nets: { net: DenseLandmarkNet; landmarks: number[]; stage: string }[],
    readonly methodName: string,
  ) {}

  static load(
    runDir: string,
    opts: {
      device?: Device;
      methods?: string[];
      /** A later level of the run's cascade (C-F2's fine level): its stage folder and dense config. */
      level?: { stage: string; dense: DenseStageConfig };
    } = {},
  ): DensePredictor {
    const layout = new RunLayout(runDir);
    const run = readRunConfig<DenseConfig>(layout);
    const accepted = opts.methods ?? ['sla', 'atd', 'adapter'];
    if (!accepted.includes(run.method))
      throw new Error(`run ${runDir} is a "${run.method}" run, not one of ${accepted.join(', ')}`);
    const config: DenseConfig = {
      ...run.method_config,
      device: opts.device ?? run.method_config.device,
      ...(opts.level ? { dense: opts.level.dense } : {}),
    };
    const { rec, image } = loadTemplate(runDir);
    image.dispose();
    const n = rec.landmarks.length;
    // C-F2's coarse model is trained as an adapter stage inside the f2 run.
    const method = opts.level?.stage ?? denseStageOf(config.method);
    const nets = finishedParts(layout, method, n).map(({ stage, landmarks }) => {
      const net = buildDenseNet(config.dense.net, landmarks.length, config.device);
      return { net: loadModelWeights(net, layout.finalCheckpoint(stage), config.device), landmarks, stage };
    });
    return new DensePredictor(runDir, config, rec, nets, method);
  }

  /** Number of separately trained networks (parts), and the parameters of all of them. */
  get parameterCount(): number {
    return this.nets.reduce((a, b) => a + b.net.numParameters(), 0);
  }

  /**
   * Runs `part` for every trained network (part) on the batch as one (B, 1, S, S) tensor and
   * gathers each part's landmarks into one answer per image.
   */
  private byPart(
    squares: SquareImage[],
    S: number,
    part: (
      x: Tensor,
      net: DenseLandmarkNet,
      landmarks: number[],
    ) => { points: Point[][]; confidence: number[][] },
  ): { points: Point[][]; confidence: number[][] } {
    const n = this.template.landmarks.length;
    const all = new Float32Array(squares.length * S * S);
    squares.forEach((s, i) => all.set(s.data, i * S * S));
    const points: Point[][] = squares.map(() => Array<Point>(n));
    const confidence: number[][] = squares.map(() => Array<number>(n).fill(0));
    const x = tidy(() => {
      const t = Tensor.from(all, [squares.length, 1, S, S]);
      return this.config.device === 'cpu' ? t : t.to(this.config.device);
    });
    try {
      for (const { net, landmarks } of this.nets) {
        const v = part(x, net, landmarks);
        squares.forEach((_, b) =>
          landmarks.forEach((j, k) => {
            points[b][j] = v.points[b][k];
            confidence[b][j] = v.confidence[b][k];
          }),
        );
      }
    } finally {
      x.dispose();
    }
    return { points, confidence };
  }

  /** Grid-level predictions for a batch of square images (the whole-image form). */
  predictSquares(squares: SquareImage[], prior?: VotePrior): { points: Point[][]; confidence: number[][] } {
    const S = this.config.dense.size;
    return this.byPart(squares, S, (x, net, landmarks) => {
      const out = noGrad(() => tidy(() => net.forward(x)));
      const own = prior && { ...prior, points: prior.points.map((row) => landmarks.map((j) => row[j])) };
      try {
        return voteLandmarks(out, landmarks.length, this.config.dense.radiusFrac * S, own);
      } finally {
        out.dispose();
      }
    });
  }

  /**
   * Every landmark of every image in original pixels, with confidence. The cascade form (crops)
   * searches each landmark's crop around CC2D stage 1's answer; the whole-image form votes over
   * the whole grid, or within `stage1PriorFrac`·grid of stage 1's answer when it is > 0.
   */
  async locate(
    images: readonly ImageRef[],
    opts: {
      batch?: number;
      progress?: ProgressStream;
      stage1PriorFrac?: number;
      /** The previous stage's answers (original pixels) per image, instead of running stage 1. */
      coarse?: (Point | null)[][];
      /** Crop passes (crops.passes when absent). */
      passes?: number;
      /** The crop's search disk, a fraction of its side (crops.searchRadius when absent; null: none). */
      searchRadius?: number | null;
      /** The shape check (crops.shapeCheck when absent; null: none). */
      shapeCheck?: ShapeCheckConfig | null;
    } = {},
  ): Promise<Located[]> {
    const batch = opts.batch ?? 4;
    const crops = this.config.dense.crops;
    const S = crops?.fineSize ?? this.config.dense.size;
    const frac = opts.stage1PriorFrac ?? 0;
    // null asks for the whole crop even where the run's config has a disk.
    const searchRadius = opts.searchRadius === null ? undefined : (opts.searchRadius ?? crops?.searchRadius);
    const shapeCheck = opts.shapeCheck === null ? undefined : (opts.shapeCheck ?? crops?.shapeCheck);
    const shape = shapeCheck && this.shapeModel(shapeCheck.modes);
    if (crops && frac > 0)
      throw new Error(
        `run ${this.runDir} searches each landmark's crop around stage 1's answer (the cascade form): a stage-1 prior applies to whole-image runs only`,
      );
    if (opts.coarse && opts.coarse.length !== images.length)
      throw new Error(`coarse answers for ${opts.coarse.length} images, ${images.length} images given`);
    const answers =
      crops || frac > 0
        ? (opts.coarse ?? (await stage1Answers(this.runDir, images, this.config.device)))
        : null;
    const nBatches = Math.ceil(images.length / batch);
    const loader = new BatchPrefetcher(
      (k) => Promise.all(images.slice(k * batch, (k + 1) * batch).map((r) => loadSquare(r, S))),
      0,
      nBatches,
    );
    const meter = new StageMeter(opts.progress, 'predict', images.length);
    const out: Located[] = [];
    for (let k = 0; k < nBatches; k++) {
      const sq = (await loader.next())!;
      const mine = answers?.slice(k * batch, k * batch + sq.length);
      const r = crops
        ? this.predictCropped(
            sq,
            mine!,
            opts.passes ?? crops.passes ?? 1,
            searchRadius,
            shape ? { shape, flag: shapeCheck.flag } : undefined,
          )
        : this.predictSquares(sq, mine ? priorOnGrid(mine, sq, S, frac) : undefined);
      sq.forEach((s, i) =>
        out.push({
          square: s,
          points: r.points[i].map((p) => fromGrid(p, s.width, s.height, S)),
          confidence: r.confidence[i],
        }),
      );
      meter.tick(out.length);
    }
    return out;
  }

  /**
   * The run's shape model with `modes` modes (dense/shapeCheck.ts), built once; null when the run
   * has no final training labels (stopped early, or trained before they were saved).
   */
  private shapeModel(modes: number): RunShapeModel | null {
    if (!this.shapeModels.has(modes))
      this.shapeModels.set(
        modes,
        loadRunShapeModel(
          new RunLayout(this.runDir),
          this.nets.map((n) => n.stage),
          this.template.landmarks.length,
          modes,
        ),
      );
    return this.shapeModels.get(modes)!;
  }

  /**
   * Each landmark searched in its crop around stage 1's answer (points on the fine grid); each
   * later pass re-centres the crops on the previous pass's answers; then the shape check, if any.
   */
  private predictCropped(
    squares: SquareImage[],
    answers: (Point | null)[][],
    passes: number,
    searchRadius: number | undefined,
    shape?: { shape: RunShapeModel; flag: number },
  ): CropAnswers {
    const c = this.config.dense;
    const F = c.crops!.fineSize;
    const centers = squares.map((s, i) =>
      answers[i].map((p) => (p ? toGrid(p, s.width, s.height, F) : null)),
    );
    const search = (centres: (Point | null)[][]) =>
      this.byPart(squares, F, (x, net, landmarks) =>
        predictCrops(
          net,
          x,
          centres.map((row) => landmarks.map((j) => row[j])),
          c.size,
          c.radiusFrac * c.size,
          4,
          searchRadius,
        ),
      );
    let v = search(centers);
    for (let pass = 1; pass < passes; pass++) v = search(v.points);
    if (!shape) return v;
    const checks = v.points.map((row) => checkShape(shape.shape, row, shape.flag * c.size));
    if (!checks.some((k) => k.flagged.some(Boolean))) return v;
    // Every crop of the batch again, centred on the expected positions; only flagged answers change.
    const again = search(checks.map((k, i) => k.expected.map((e, j) => e ?? v.points[i][j])));
    return settleChecked(v, checks, again);
  }

  /** Predictions in original pixels with per-landmark confidence. */
  async predict(
    images: readonly ImageRef[],
    opts: {
      batch?: number;
      progress?: ProgressStream;
      source?: string;
      /** > 0, whole-image form only: only pixels within this fraction of the grid of stage 1's answer vote. */
      stage1PriorFrac?: number;
      /** The previous stage's answers (original pixels) per image, instead of running stage 1. */
      coarse?: (Point | null)[][];
    } = {},
  ): Promise<AnnotationSet> {
    const frac = opts.stage1PriorFrac ?? 0;
    const crops = this.config.dense.crops;
    const located = await this.locate(images, opts);
    const ids = this.template.landmarkSet.landmarks.map((l) => l.id);
    const missing = this.template.landmarks.map((p) => p === null);
    const out: ImageAnnotation[] = located.map(({ square: s, points, confidence }) => ({
      imageId: s.id,
      spacing: s.spacing,
      landmarks: points.map((p, j) => ({
        id: ids[j],
        point: missing[j] ? null : round3(p),
        confidence: missing[j] ? undefined : Math.round(confidence[j] * 1e4) / 1e4,
        source: opts.source ?? this.config.method,
      })),
    }));
    return {
      landmarkSet: this.template.landmarkSet,
      images: out,
      meta: {
        method: this.config.method,
        modelCount: this.modelCount,
        run: this.runDir,
        seed: this.config.seed,
        preset: this.config.preset,
        template: this.template.id,
        ...(crops
          ? {
              search: `each landmark's crop around stage 1's answer (${this.config.dense.size} px at ${crops.fineSize} px${
                crops.searchRadius === undefined
                  ? ''
                  : `, votes within ${crops.searchRadius} × crop of its centre`
              })`,
            }
          : {}),
        ...(crops?.shapeCheck
          ? {
              shapeCheck: this.shapeModel(crops.shapeCheck.modes)
                ? `answers over ${crops.shapeCheck.flag} × crop from a ${crops.shapeCheck.modes}-mode shape model of the run's training labels searched again there`
                : `none: the run has no final training labels (${FINAL_LABELS}) to build its shape model from`,
            }
          : {}),
        ...(frac > 0 ? { votesWithin: `${frac} × grid of stage 1's answer` } : {}),
        createdAt: new Date().toISOString(),
      },
    };
  }

  /** Models in the paper's sense: N for SLA/ATD (one per landmark), 1 for an adapter network (also
   * a grouped one whose convs all landmarks share). */
  get modelCount(): number {
    const net = this.config.dense.net;
    return net.kind === 'grouped' && !net.shareConvs ? this.template.landmarks.length : this.nets.length;
  }

  dispose(): void {
    for (const { net } of this.nets) net.dispose();
  }
}

export function round3(p: Point): Point {
  return { x: Math.round(p.x * 1000) / 1000, y: Math.round(p.y * 1000) / 1000 };
}
