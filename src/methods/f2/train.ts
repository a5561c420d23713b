/**
 * C-F2 training: the coarse C-Adapter (dense/train.ts, with CC2D stage 1 under it), then the fine
 * stage: in cascade form a finer level of the Adapter's network (f2/cascade.ts); in match form the
 * decoder on template crops at (near) original resolution, which only the template's image and
 * labels reach. Everything resumes: the dense stage and the fine stage have their own checkpoints
 * in RUN/adapter and RUN/fine.
 */
import type { Device } from '../../engine';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, Tensor, noGrad, random, tidy } from '../../engine';
import { saveSafetensors } from '../../engine/io/safetensors';
import type { Point } from '../../data/types';
import { RunLayout } from '../../runs/layout';
import type { StageResult } from '../../runs/loop';
import { ProgressStream } from '../../runs/progress';
import { runOptionsOf, trainStage, type TrainableNet } from '../../runs/trainStage';
import { loadStage1Net } from '../cc2d/stage1/load';
import { stage1RunOf, trainDense, type DenseTrainInput, type DenseTrainResult } from '../dense/train';
import { FINE, isCascade, validateFine, type F2Config, type MatchFineConfig } from './config';
import { trainCascadeFine } from './cascade';
import { cutCrops, loadOriginal, toCrop, type CropSpec } from './crops';
import { FineDecoder } from './decoder';
import { stage1Encoder, vitEncoder, type FineEncoder } from './encoder';
import { writeFileAtomicSync } from '../../runs/atomicFile';
import { makeAdam } from '../shared/optimizer';

export { FINE };
/** Provenance beside the run: which CC2D stage 1 it reused (config.json's stage1Run is what is read back). */
export const F2_SOURCES = 'f2.json';
export const TEMPLATE_CROPS = 'template-crops.safetensors';

export interface F2TrainResult {
  dense: DenseTrainResult;
  fine: StageResult | null;
  stopped: boolean;
  trainSeconds: number;
}

/** The frozen fine encoder of a run. */
export function buildFineEncoder(
  runDir: string,
  fine: MatchFineConfig,
  device: Device,
): { encoder: FineEncoder; dispose(): void } {
  if (fine.encoder === 'vit') {
    const enc = vitEncoder(fine.vit.weights!, fine.vit.layer, fine.vit.stride, device, fine.vit.logBin ?? 0);
    return { encoder: enc, dispose: () => enc.dispose() };
  }
  const { config: cfg, net } = loadStage1Net(stage1RunOf(runDir), { device });
  return { encoder: stage1Encoder(net, cfg.stage1.embedDim), dispose: () => net.dispose() };
}

/** Features of crops: frozen encoder, then the decoder. */
export function fineFeatures(enc: FineEncoder, dec: FineDecoder, crops: Tensor): Tensor {
  return tidy(() => dec.forward(enc.encode(crops)));
}

/** Bilinear read of features (B, D, P, P) at one crop position per item -> (B, D). */
export function featuresAt(feat: Tensor, pts: Point[]): Tensor {
  return tidy(() => {
    const [B, D, P] = feat.shape;
    const g = new Float32Array(B * 2);
    pts.forEach((p, i) => {
      g[2 * i] = (2 * p.x + 1) / P - 1;
      g[2 * i + 1] = (2 * p.y + 1) / P - 1;
    });
    const grid = Tensor.from(g, [B, 1, 1, 2], { device: feat.device });
    return F.gridSample(feat, grid, { mode: 'bilinear', paddingMode: 'border', alignCorners: false }).reshape(
      [B, D],
    );
  });
}

/** Template crops centred on each landmark (angle 0), the fine stage's references. */
export function templateCropSpecs(landmarks: (Point | null)[], scale: number): CropSpec[] {
  return landmarks.map((p) => ({ center: p ?? { x: 0, y: 0 }, scale, angle: 0 }));
}

export async function trainF2(input: DenseTrainInput & { config: F2Config }): Promise<F2TrainResult> {
  const t0 = performance.now();
  validateFine(input.config.fine, input.config);
  const dense = await trainDense(input);
  if (dense.stopped)
    return { dense, fine: null, stopped: true, trainSeconds: (performance.now() - t0) / 1000 };
  if (dense.stage1Run)
    writeFileAtomicSync(
      path.join(input.runDir, F2_SOURCES),
      JSON.stringify({ stage1Run: dense.stage1Run }) + '\n',
    );
  // The saved config wins on resume.
  const config = dense.config as F2Config;
  const progress = input.progress ?? new ProgressStream();
  const fc = config.fine;
  const result = isCascade(fc)
    ? await trainCascadeFine(input, config, fc, progress)
    : await trainMatcher(input, config, fc, progress);
  return { dense, fine: result, stopped: result.aborted, trainSeconds: (performance.now() - t0) / 1000 };
}

/** FM-OSD's fine stage: the decoder on the template's crops only, over the frozen encoder. */
async function trainMatcher(
  input: DenseTrainInput,
  config: F2Config,
  fc: MatchFineConfig,
  progress: ProgressStream,
): Promise<StageResult> {
  const layout = new RunLayout(input.runDir);
  const tIndex = input.images.findIndex((r) => r.id === input.templateId);
  const tmpl = await loadOriginal(input.images[tIndex], config.device);
  const lms = input.templateLandmarks
    .map((p, j) => ({ p, j }))
    .filter((e): e is { p: Point; j: number } => e.p !== null);
  const enc = buildFineEncoder(input.runDir, fc, config.device);
  // The reference crops are saved once: prediction matches against exactly these pixels.
  try {
    await saveTemplateCrops(layout, input.templateId, input.templateLandmarks, fc, tmpl.tensor);
  } catch (e) {
    tmpl.tensor.dispose();
    enc.dispose();
    throw e;
  }
  const { net, result } = await trainStage({
    stage: FINE,
    total: fc.iterations,
    ...runOptionsOf(config),
    layout,
    progress,
    signal: input.signal,
    meta: { method: 'f2', preset: config.preset },
    build: () => {
      const decoder = new FineDecoder(enc.encoder.channels, enc.encoder.stride, fc.features);
      if (config.device !== 'cpu') decoder.to(config.device);
      return { net: decoderNet(decoder), optimizer: makeAdam(decoder, fc.lr, 0) };
    },
    batch: () => drawFineBatch(lms, fc),
    loss: (net, b) => fineBatchLoss(tmpl.tensor, enc.encoder, net.decoder, b, fc),
    owned: [tmpl.tensor, enc],
  });
  net.dispose();
  return result;
}

/** The fine decoder as the harness drives it: its weights are the stage's `model` state. */
function decoderNet(decoder: FineDecoder): TrainableNet & { decoder: FineDecoder } {
  return {
    decoder,
    state: () => ({ tensors: Object.fromEntries(decoder.stateDict()) }),
    loadState: (s) => void decoder.loadStateDict(s.tensors, { strict: true }),
    train: (on) => void decoder.train(on),
    dispose: () => decoder.dispose(),
  };
}

async function saveTemplateCrops(
  layout: RunLayout,
  templateId: string,
  templateLandmarks: (Point | null)[],
  fc: MatchFineConfig,
  template: Tensor,
): Promise<void> {
  const refFile = layout.artefact(FINE, TEMPLATE_CROPS);
  layout.ensureStage(FINE);
  if (fs.existsSync(refFile)) return;
  const crops = cutCrops(template, templateCropSpecs(templateLandmarks, fc.scale), fc.crop);
  await saveSafetensors(
    refFile,
    { crops },
    { template: templateId, crop: String(fc.crop), scale: String(fc.scale) },
  );
  crops.dispose();
}

/** One step's draws: landmarks, each crop's shift, rotation and contrast, on the host. */
interface FineBatch {
  ref: CropSpec[];
  shifted: CropSpec[];
  gains: number[][];
  refPos: Point[];
  trainPos: Point[];
}

function drawFineBatch(lms: { p: Point; j: number }[], fc: MatchFineConfig): FineBatch {
  const picks = Array.from({ length: fc.batch }, () => lms[Math.floor(random() * lms.length) % lms.length]);
  const u = (r: number) => (2 * random() - 1) * r;
  const ref: CropSpec[] = picks.map((e) => ({ center: e.p, scale: fc.scale, angle: 0 }));
  const shifted: CropSpec[] = picks.map((e) => ({
    center: { x: e.p.x + u(fc.maxShift) * fc.scale, y: e.p.y + u(fc.maxShift) * fc.scale },
    scale: fc.scale,
    angle: (u(fc.rotationDeg) * Math.PI) / 180,
  }));
  const gains = picks.map(() => [1 + u(fc.contrast), u(fc.brightness)]);
  const refPos = ref.map((s, i) => toCrop(s, picks[i].p, fc.crop));
  const trainPos = shifted.map((s, i) => toCrop(s, picks[i].p, fc.crop));
  return { ref, shifted, gains, refPos, trainPos };
}

/** Similarity of each shifted crop's features to its reference point's, against a Gaussian. */
function fineBatchLoss(
  template: Tensor,
  encoder: FineEncoder,
  decoder: FineDecoder,
  b: FineBatch,
  fc: MatchFineConfig,
): Tensor {
  const P = fc.crop;
  const B = b.ref.length;
  const refCrops = cutCrops(template, b.ref, P);
  const column = (k: number) =>
    Tensor.from(
      b.gains.map((g) => g[k]),
      [B, 1, 1, 1],
      { device: refCrops.device },
    );
  const trainCrops = cutCrops(template, b.shifted, P).mul(column(0)).add(column(1)).clamp(0, 1);
  const feats = fineFeatures(encoder, decoder, Tensor.cat([refCrops, trainCrops], 0));
  const refFeatures = featuresAt(feats.narrow(0, 0, B), b.refPos); // (B, D)
  const sim = feats
    .narrow(0, B, B)
    .mul(refFeatures.reshape([B, -1, 1, 1]))
    .sum([1]); // (B, P, P)
  return fineLoss(sim, gaussianMaps(b.trainPos, P, fc.sigma, refCrops.device), fc);
}

/**
 * FM-OSD's loss is the MSE between the similarity map and the Gaussian ('mse'). With few steps it
 * collapses to features orthogonal everywhere (sim ≈ 0 is already a low MSE, the Gaussian covers ~1%
 * of the crop), so the default is a softmax cross-entropy over the crop towards the normalised
 * Gaussian ('ce', temperature 10, as CC2D's stage-1 loss), which cannot be met by a flat map.
 */
export function fineLoss(sim: Tensor, target: Tensor, fc: Pick<MatchFineConfig, 'loss'>): Tensor {
  if (fc.loss === 'mse') return F.mseLoss(sim, target);
  const B = sim.shape[0];
  const logp = F.logSoftmax(sim.reshape([B, -1]).mul(10), 1);
  const t = target.reshape([B, -1]);
  return t
    .div(t.sum([1], true))
    .mul(logp)
    .sum([1])
    .mean()
    .neg();
}

/** Gaussians (B, P, P) with peak 1 at the given crop positions. */
export function gaussianMaps(pts: Point[], P: number, sigma: number, device: Device): Tensor {
  return noGrad(() =>
    tidy(() => {
      const B = pts.length;
      const X = Tensor.arange(0, P, 1, { device }).float().reshape([1, 1, P]);
      const Y = Tensor.arange(0, P, 1, { device }).float().reshape([1, P, 1]);
      const px = Tensor.from(
        pts.map((p) => p.x),
        [B, 1, 1],
        { device },
      );
      const py = Tensor.from(
        pts.map((p) => p.y),
        [B, 1, 1],
        { device },
      );
      const d2 = X.sub(px).square().add(Y.sub(py).square());
      return d2.div(-2 * sigma * sigma).exp();
    }),
  );
}
