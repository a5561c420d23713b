/**
 * C-F2 prediction: C-Adapter's coarse point per landmark, then the fine stage on a crop around it.
 * The cascade form (f2/cascade.ts) runs its fine level there. The match form (FM-OSD's) compares
 * the fine decoder's features on the crop (original resolution × fine.scale) with the template
 * landmark's feature: the top-k peaks of that similarity are candidates; a candidate is accepted
 * when its own feature's best match in the template's crop falls within matchTolerance of the
 * template landmark (FM-OSD's two-way check); else the coarse point stays. The fine point is clamped
 * to maxMove crop pixels from the coarse point on each axis, so it can never leave its crop.
 */
import type { Device } from '../../engine';
import { Tensor, noGrad, tidy } from '../../engine';
import { loadSafetensors } from '../../engine/io/safetensors';
import type { AnnotationSet, ImageAnnotation, Point } from '../../data/types';
import { disposeGroups, loadCheckpoint } from '../../runs/checkpoint';
import type { ImageRef } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { StageMeter, type ProgressStream } from '../../runs/progress';
import { DensePredictor, round3, type Located } from '../dense/predict';
import type { TemplateRecord } from '../cc2d/template';
import { FINE, f2ModelCount, isCascade, type F2Config, type MatchFineConfig } from './config';
import { CascadeRefiner } from './cascade';
import type { FineRefiner, Refined } from './refiner';
import { cutCrops, fromCrop, loadOriginal, toCrop, type CropSpec } from './crops';
import { FineDecoder } from './decoder';
import { TEMPLATE_CROPS, buildFineEncoder, featuresAt, fineFeatures } from './train';
import type { FineEncoder } from './encoder';

export interface FineChoice {
  point: Point;
  /** Similarity of the accepted candidate, or null when the coarse point was kept. */
  similarity: number | null;
}

/**
 * The fine decision for one crop: `sim` is the (P×P) similarity map, row-major; `backMatch(k)`
 * returns the template-crop position that candidate pixel k matches best. Pure, for tests.
 */
export function chooseFine(
  sim: Float32Array,
  P: number,
  coarseInCrop: Point,
  templatePos: Point,
  backMatch: (index: number) => Point,
  opts: { topK: number; matchTolerance: number; maxMove: number; blend?: number },
): FineChoice {
  const w = opts.blend ?? 1;
  // Local maxima (3x3) sorted by value.
  const peaks: number[] = [];
  for (let y = 0; y < P; y++)
    for (let x = 0; x < P; x++) {
      const v = sim[y * P + x];
      let isMax = true;
      for (let dy = -1; dy <= 1 && isMax; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if ((dx || dy) && xx >= 0 && yy >= 0 && xx < P && yy < P && sim[yy * P + xx] > v) {
            isMax = false;
            break;
          }
        }
      if (isMax) peaks.push(y * P + x);
    }
  peaks.sort((a, b) => sim[b] - sim[a]);
  const clamp = (c: number, v: number) => Math.max(c - opts.maxMove, Math.min(c + opts.maxMove, v));
  const clampTo = (p: Point): Point => ({
    x: coarseInCrop.x + w * (clamp(coarseInCrop.x, p.x) - coarseInCrop.x),
    y: coarseInCrop.y + w * (clamp(coarseInCrop.y, p.y) - coarseInCrop.y),
  });
  for (const k of peaks.slice(0, opts.topK)) {
    const r = backMatch(k);
    if (Math.hypot(r.x - templatePos.x, r.y - templatePos.y) <= opts.matchTolerance) {
      return { point: clampTo({ x: k % P, y: Math.floor(k / P) }), similarity: sim[k] };
    }
  }
  return { point: { ...coarseInCrop }, similarity: null };
}

/** FM-OSD's fine stage: template matching with the frozen encoder and the trained decoder. */
export class MatchRefiner implements FineRefiner {
  private constructor(
    /** The run's fine config: bench checks change maxMove and blend on it between predictions. */
    readonly fine: MatchFineConfig,
    private readonly device: Device,
    private readonly enc: { encoder: FineEncoder; dispose(): void },
    private readonly dec: FineDecoder,
    /** Template crop features (N, D, P, P) and each landmark's feature (N, D). */
    private readonly tFeat: Tensor,
    private readonly tRef: Tensor,
    private readonly tPos: Point[],
  ) {}

  static load(runDir: string, fc: MatchFineConfig, template: TemplateRecord, device: Device): MatchRefiner {
    const layout = new RunLayout(runDir);
    const enc = buildFineEncoder(runDir, fc, device);
    const dec = new FineDecoder(enc.encoder.channels, enc.encoder.stride, fc.features);
    if (device !== 'cpu') dec.to(device);
    const ck = loadCheckpoint(layout.finalCheckpoint(FINE), device);
    try {
      dec.loadStateDict(ck.groups.model ?? {}, { strict: true });
    } finally {
      disposeGroups(ck.groups);
    }
    dec.train(false);
    const { tensors } = loadSafetensors(layout.artefact(FINE, TEMPLATE_CROPS), { device });
    const crops = tensors.get('crops');
    if (!crops) throw new Error(`${layout.artefact(FINE, TEMPLATE_CROPS)}: no "crops" tensor`);
    const P = fc.crop;
    const tPos = template.landmarks.map((p) =>
      p ? toCrop({ center: p, scale: fc.scale, angle: 0 }, p, P) : { x: 0, y: 0 },
    );
    const tFeat = noGrad(() => fineFeatures(enc.encoder, dec, crops));
    const tRef = featuresAt(tFeat, tPos);
    crops.dispose();
    return new MatchRefiner(fc, device, enc, dec, tFeat, tRef, tPos);
  }

  async refineAll(
    images: readonly ImageRef[],
    coarse: (Point | null)[][],
    meter?: StageMeter,
  ): Promise<Refined[]> {
    const out: Refined[] = [];
    for (const [i, ref] of images.entries()) {
      const full = await loadOriginal(ref, this.device);
      try {
        const r = this.refine(full.tensor, coarse[i]);
        out.push({ points: r.points, confidence: r.similarity });
      } finally {
        full.tensor.dispose();
      }
      meter?.tick(out.length);
    }
    return out;
  }

  /** Fine points (original pixels) for one image given its coarse points. */
  refine(
    image: Tensor,
    coarsePts: (Point | null)[],
  ): { points: (Point | null)[]; similarity: (number | null)[] } {
    const fc = this.fine;
    const P = fc.crop;
    const idx = coarsePts.map((p, j) => (p ? j : -1)).filter((j) => j >= 0);
    const points: (Point | null)[] = coarsePts.map((p) => (p ? { ...p } : null));
    const similarity: (number | null)[] = coarsePts.map(() => null);
    if (!idx.length) return { points, similarity };
    const specs: CropSpec[] = idx.map((j) => ({ center: coarsePts[j]!, scale: fc.scale, angle: 0 }));
    const { sims, feats } = noGrad(() =>
      tidy(() => {
        const f = fineFeatures(this.enc.encoder, this.dec, cutCrops(image, specs, P)); // (n, D, P, P)
        const sel = Tensor.from(Int32Array.from(idx), [idx.length], { device: f.device }).long();
        const refs = this.tRef.indexSelect(0, sel);
        const s = f.mul(refs.reshape([idx.length, -1, 1, 1])).sum([1]);
        return { sims: s, feats: f };
      }),
    );
    const simArr = sims.toFloat32Array();
    sims.dispose();
    try {
      idx.forEach((j, k) => {
        const coarseInCrop = toCrop(specs[k], coarsePts[j]!, P);
        const backMatch = (pix: number): Point =>
          noGrad(() =>
            tidy(() => {
              const g = feats
                .select(0, k)
                .reshape([feats.shape[1], P * P])
                .select(1, pix); // (D)
              const m = this.tFeat
                .select(0, j)
                .mul(g.reshape([-1, 1, 1]))
                .sum([0])
                .reshape([P * P]);
              const a = m.argmax().item();
              return { x: a % P, y: Math.floor(a / P) };
            }),
          );
        const c = chooseFine(
          simArr.subarray(k * P * P, (k + 1) * P * P),
          P,
          coarseInCrop,
          this.tPos[j],
          backMatch,
          {
            topK: fc.topK,
            matchTolerance: fc.matchTolerance,
            maxMove: fc.maxMove,
            blend: fc.blend,
          },
        );
        points[j] = fromCrop(specs[k], c.point, P);
        similarity[j] = c.similarity;
      });
    } finally {
      feats.dispose();
    }
    return { points, similarity };
  }

  dispose(): void {
    this.enc.dispose();
    this.dec.dispose();
    this.tFeat.dispose();
    this.tRef.dispose();
  }
}

export class F2Predictor {
  private constructor(
    readonly runDir: string,
    readonly config: F2Config,
    private readonly coarse: DensePredictor,
    /** The fine stage: FM-OSD's matcher or the cascade's fine level (by config.fine.kind). */
    readonly fine: FineRefiner,
  ) {}

  static load(runDir: string, opts: { device?: Device } = {}): F2Predictor {
    const coarse = DensePredictor.load(runDir, { device: opts.device, methods: ['f2'] });
    try {
      const config = coarse.config as F2Config;
      const layout = new RunLayout(runDir);
      if (!layout.hasFinal(FINE))
        throw new Error(
          `run ${runDir}: the fine stage has not finished (no ${layout.finalCheckpoint(FINE)}); resume training first`,
        );
      const fc = config.fine;
      const fine = isCascade(fc)
        ? CascadeRefiner.load(runDir, fc, config.device)
        : MatchRefiner.load(runDir, fc, coarse.template, config.device);
      return new F2Predictor(runDir, config, coarse, fine);
    } catch (e) {
      coarse.dispose();
      throw e;
    }
  }

  get modelCount(): number {
    return f2ModelCount(this.config.fine);
  }

  /** The coarse model's (C-Adapter's) answers, before the fine stage. */
  locateCoarse(images: readonly ImageRef[], opts: { stage1PriorFrac?: number } = {}): Promise<Located[]> {
    return this.coarse.locate(images, opts);
  }

  async predict(
    images: readonly ImageRef[],
    opts: { progress?: ProgressStream; stage1PriorFrac?: number } = {},
  ): Promise<AnnotationSet> {
    const frac = opts.stage1PriorFrac ?? 0;
    const rec = this.coarse.template;
    const ids = rec.landmarkSet.landmarks.map((l) => l.id);
    // The coarse model's answers for every image first: it reads stage 1's once for all of them.
    const coarse = await this.locateCoarse(images, { stage1PriorFrac: frac });
    const coarsePts = coarse.map((c) => c.points.map((p, j) => (rec.landmarks[j] ? p : null)));
    const meter = new StageMeter(opts.progress, 'predict', images.length);
    const refined = await this.fine.refineAll(images, coarsePts, meter);
    const out: ImageAnnotation[] = coarse.map(({ square: sq, confidence }, i) => ({
      imageId: sq.id,
      spacing: sq.spacing,
      landmarks: refined[i].points.map((p, j) => {
        const fineConf = refined[i].confidence[j];
        return {
          id: ids[j],
          point: p ? round3(p) : null,
          confidence: p
            ? Math.round(Math.max(0, Math.min(1, fineConf ?? confidence[j])) * 1e4) / 1e4
            : undefined,
          source: fineConf === null ? 'f2-coarse' : 'f2-fine',
        };
      }),
    }));
    const fc = this.config.fine;
    return {
      landmarkSet: rec.landmarkSet,
      images: out,
      meta: {
        method: 'f2',
        modelCount: this.modelCount,
        run: this.runDir,
        seed: this.config.seed,
        preset: this.config.preset,
        template: rec.id,
        ...(isCascade(fc)
          ? { fine: `cascade level at ${fc.dense.crops?.fineSize ?? fc.dense.size} px, blend ${fc.blend}` }
          : { encoder: fc.encoder }),
        ...(frac > 0 ? { coarseVotesWithin: `${frac} × grid of stage 1's answer` } : {}),
        createdAt: new Date().toISOString(),
      },
    };
  }

  dispose(): void {
    this.coarse.dispose();
    this.fine.dispose();
  }
}
