/**
 * Prediction with a finished (or partly finished) CC2D run: stage 1's cascade, and stage 2's
 * voting when the run has a final stage-2 model. Results are in original pixels with a
 * per-landmark confidence, as an AnnotationSet ready for a landmark file or `onemark evaluate`.
 */
import type { Device } from '../../engine';
import * as fs from 'node:fs';
import { Tensor, tidy } from '../../engine';
import type { AnnotationSet, ImageAnnotation, Point } from '../../data/types';
import { loadModelWeights, resumePoint } from '../../runs/checkpoint';
import { loadSquare, type ImageRef, type SquareImage } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { BatchPrefetcher } from '../../runs/prefetch';
import { StageMeter, type ProgressStream } from '../../runs/progress';
import type { Cc2dConfig } from './config';
import { fromGrid, toGrid } from '../shared/geometry';
import { buildStage2Net, type DenseNet, type EmbeddingNet } from './nets';
import { cascadeInfer, templateEmbeddings } from './stage1/infer';
import { loadStage1Net } from './stage1/load';
import { STAGE1 } from './stage1/train';
import { voteLandmarks, type VotePrior } from '../shared/vote';
import { STAGE2, stage2Radius } from './stage2/train';
import { loadTemplate, type TemplateRecord } from './template';

export type PredictStage = 1 | 2;

export interface PredictOptions {
  /** Which stage's answer to return; default: 2 when the run has a stage-2 model, else 1. */
  stage?: PredictStage;
  batch?: number;
  progress?: ProgressStream;
}

export class Cc2dPredictor {
  private constructor(
    readonly runDir: string,
    readonly config: Cc2dConfig,
    readonly template: TemplateRecord,
    private readonly net1: EmbeddingNet,
    private readonly templ: Tensor[],
    private readonly net2: DenseNet | null,
  ) {}

  /**
   * Loads a run; `device` overrides the device the run trained on. `unfinished`: use the newest
   * stage-1 checkpoint when stage 1 has not finished (to look at a run while it trains).
   */
  static load(runDir: string, opts: { device?: Device; unfinished?: boolean } = {}): Cc2dPredictor {
    const layout = new RunLayout(runDir);
    const stage1File = opts.unfinished ? resumePoint(layout, STAGE1) : layout.finalCheckpoint(STAGE1);
    if (!stage1File || !fs.existsSync(stage1File)) {
      throw new Error(
        `run ${runDir}: stage 1 has not finished (no ${layout.finalCheckpoint(STAGE1)}); resume training first`,
      );
    }
    const { config, net: net1 } = loadStage1Net(runDir, { device: opts.device, file: stage1File });
    const { rec, image } = loadTemplate(runDir);
    const S1 = config.stage1.size;
    const pts = rec.landmarks.map((p) => (p ? toGrid(p, rec.width, rec.height, S1) : { x: 0, y: 0 }));
    const img = config.device === 'cpu' ? image : image.to(config.device);
    const templ = templateEmbeddings((x) => net1.embed(x), img, pts);
    if (img !== image) img.dispose();
    image.dispose();
    const net2 = layout.hasFinal(STAGE2)
      ? loadModelWeights(buildStage2Net(config, rec.landmarks.length), layout.finalCheckpoint(STAGE2))
      : null;
    return new Cc2dPredictor(runDir, config, rec, net1, templ, net2);
  }

  get hasStage2(): boolean {
    return this.net2 !== null;
  }

  /** Predicts landmarks on `images`; loads the next batch while the current one runs. */
  async predict(images: readonly ImageRef[], opts: PredictOptions = {}): Promise<AnnotationSet> {
    const stage: PredictStage = opts.stage ?? (this.net2 ? 2 : 1);
    if (stage === 2 && !this.net2)
      throw new Error(`run ${this.runDir}: stage 2 has not finished; predict with stage 1`);
    const batch = opts.batch ?? 4;
    const S1 = this.config.stage1.size;
    const S2 = this.config.stage2.size;
    const nBatches = Math.ceil(images.length / batch);
    const loader = new BatchPrefetcher(
      async (k) => {
        const refs = images.slice(k * batch, (k + 1) * batch);
        const s1 = await Promise.all(refs.map((r) => loadSquare(r, S1)));
        const s2 =
          stage === 2 ? (S2 === S1 ? s1 : await Promise.all(refs.map((r) => loadSquare(r, S2)))) : null;
        // s1 is also needed for stage 2 when it votes near stage 1's answers.
        return { s1, s2 };
      },
      0,
      nBatches,
    );
    const meter = new StageMeter(opts.progress, 'predict', images.length);
    const out: ImageAnnotation[] = [];
    const missing = this.template.landmarks.map((p) => p === null);
    const ids = this.template.landmarkSet.landmarks.map((l) => l.id);
    for (let k = 0; k < nBatches; k++) {
      const b = (await loader.next())!;
      let pts: Point[][];
      let conf: number[][];
      let used: SquareImage[];
      if (stage === 1) {
        const x = this.stackOf(b.s1, S1);
        const r = cascadeInfer((t) => this.net1.embed(t), this.templ, x);
        x.dispose();
        ({ points: pts, confidence: conf } = r);
        used = b.s1;
      } else {
        const prior = this.stage1Prior(b.s1, b.s2!);
        const x = this.stackOf(b.s2!, S2);
        const r = tidy(() => this.net2!.forward(x));
        x.dispose();
        const v = voteLandmarks(r, this.template.landmarks.length, stage2Radius(this.config), prior);
        r.dispose();
        ({ points: pts, confidence: conf } = v);
        used = b.s2!;
      }
      const size = stage === 1 ? S1 : S2;
      used.forEach((sq, i) => {
        out.push({
          imageId: sq.id,
          spacing: sq.spacing,
          landmarks: pts[i].map((p, j) => ({
            id: ids[j],
            point: missing[j] ? null : round3(fromGrid(p, sq.width, sq.height, size)),
            confidence: missing[j] ? undefined : Math.round(conf[i][j] * 1e4) / 1e4,
            source: stage === 1 ? 'cc2d-stage1' : 'cc2d-stage2',
          })),
        });
      });
      meter.tick(out.length);
    }
    return {
      landmarkSet: this.template.landmarkSet,
      images: out,
      meta: {
        method: stage === 1 ? 'CC2D stage 1' : 'CC2D stage 2',
        modelCount: 1,
        run: this.runDir,
        seed: this.config.seed,
        preset: this.config.preset,
        template: this.template.id,
        stage,
        ...(stage === 2 && this.config.stage2.priorRadiusFrac > 0
          ? { stage2VotesWithin: `${this.config.stage2.priorRadiusFrac} × grid of stage 1's answer` }
          : {}),
        init: 'see run config.json',
        createdAt: new Date().toISOString(),
      },
    };
  }

  /** Stage 1's answers on the stage-2 grid, when the config asks stage 2 to vote near them. */
  private stage1Prior(s1: SquareImage[], s2: SquareImage[]): VotePrior | undefined {
    const frac = this.config.stage2.priorRadiusFrac ?? 0;
    if (!(frac > 0)) return undefined;
    const S1 = this.config.stage1.size;
    const S2 = this.config.stage2.size;
    const x = this.stackOf(s1, S1);
    const r = cascadeInfer((t) => this.net1.embed(t), this.templ, x);
    x.dispose();
    const points = r.points.map((row, i) =>
      row.map((p) => toGrid(fromGrid(p, s1[i].width, s1[i].height, S1), s2[i].width, s2[i].height, S2)),
    );
    return { points, radius: frac * S2 };
  }

  private stackOf(sq: SquareImage[], size: number): Tensor {
    const all = new Float32Array(sq.length * size * size);
    sq.forEach((s, i) => all.set(s.data, i * size * size));
    const t = Tensor.from(all, [sq.length, 1, size, size]);
    if (this.config.device === 'cpu') return t;
    const moved = t.to(this.config.device);
    t.dispose();
    return moved;
  }

  dispose(): void {
    this.net1.dispose();
    this.net2?.dispose();
    for (const t of this.templ) t.dispose();
  }
}

function round3(p: Point): Point {
  return { x: Math.round(p.x * 1000) / 1000, y: Math.round(p.y * 1000) / 1000 };
}

export function runExists(dir: string): boolean {
  return fs.existsSync(new RunLayout(dir).config);
}
