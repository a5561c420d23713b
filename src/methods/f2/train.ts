/**
 * C-F2 training: the coarse C-Adapter (common/train.ts, with CC2D stage 1 under it), then the fine
 * decoder on template crops at (near) original resolution. Only the template's image and labels
 * reach the fine stage. Everything resumes: the dense stage and the fine stage have their own
 * checkpoints in RUN/adapter and RUN/fine.
 */
import type { Device } from '../../engine';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, Tensor, noGrad, random, tidy } from '../../engine';
import { saveSafetensors } from '../../engine/io/safetensors';
import type { Point } from '../../data/types';
import { RunLayout } from '../../runs/layout';
import { runStage, type StageResult } from '../../runs/loop';
import { ProgressStream } from '../../runs/progress';
import { seedStep } from '../../runs/seeding';
import { makeAdam } from '../cc2d/nets';
import { loadStage1Net } from '../cc2d/stage1/load';
import { stage1RunOf, trainDense, type DenseTrainInput, type DenseTrainResult } from '../common/train';
import { validateFine, type F2Config, type FineConfig } from './config';
import { cutCrops, loadOriginal, toCrop, type CropSpec } from './crops';
import { FineDecoder } from './decoder';
import { stage1Encoder, vitEncoder, type FineEncoder } from './encoder';
import { writeFileAtomicSync } from '../../runs/atomicFile';

export const FINE = 'fine';
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
  fine: FineConfig,
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
  validateFine(input.config.fine);
  const dense = await trainDense(input);
  if (dense.stopped)
    return { dense, fine: null, stopped: true, trainSeconds: (performance.now() - t0) / 1000 };
  const layout = new RunLayout(input.runDir);
  if (dense.stage1Run)
    writeFileAtomicSync(
      path.join(input.runDir, F2_SOURCES),
      JSON.stringify({ stage1Run: dense.stage1Run }) + '\n',
    );
  // The saved config wins on resume.
  const config = dense.config as F2Config;
  const fc = config.fine;
  const P = fc.crop;
  const tIndex = input.images.findIndex((r) => r.id === input.templateId);
  const tmpl = await loadOriginal(input.images[tIndex], config.device);
  const lms = input.templateLandmarks
    .map((p, j) => ({ p, j }))
    .filter((e): e is { p: Point; j: number } => e.p !== null);
  const enc = buildFineEncoder(input.runDir, fc, config.device);
  const progress = input.progress ?? new ProgressStream();
  seedStep(config.seed, `${FINE}-init`, 0);
  const dec = new FineDecoder(enc.encoder.channels, enc.encoder.stride, fc.features);
  if (config.device !== 'cpu') dec.to(config.device);
  const opt = makeAdam(dec, fc.lr, 0);
  const model = {
    state: () => ({ tensors: Object.fromEntries(dec.stateDict()) }),
    loadState: (s: { tensors: Record<string, Tensor> }) =>
      void dec.loadStateDict(s.tensors, { strict: true }),
  };
  let result: StageResult;
  try {
    // The reference crops are saved once: prediction matches against exactly these pixels.
    const refFile = layout.artefact(FINE, TEMPLATE_CROPS);
    layout.ensureStage(FINE);
    if (!fs.existsSync(refFile)) {
      const crops = cutCrops(tmpl.tensor, templateCropSpecs(input.templateLandmarks, fc.scale), P);
      await saveSafetensors(
        refFile,
        { crops },
        { template: input.templateId, crop: String(P), scale: String(fc.scale) },
      );
      crops.dispose();
    }
    dec.train(true);
    result = await runStage({
      stage: FINE,
      total: fc.iterations,
      device: config.device,
      precision: config.precision ?? 'fp32',
      seed: config.seed,
      layout,
      checkpointEvery: config.checkpointEvery,
      components: { model, optim: opt },
      progress,
      signal: input.signal,
      meta: { method: 'f2', preset: config.preset },
      step: () => {
        const picks = Array.from(
          { length: fc.batch },
          () => lms[Math.floor(random() * lms.length) % lms.length],
        );
        const u = (r: number) => (2 * random() - 1) * r;
        const ref: CropSpec[] = picks.map((e) => ({ center: e.p, scale: fc.scale, angle: 0 }));
        const shifted: CropSpec[] = picks.map((e) => ({
          center: { x: e.p.x + u(fc.maxShift) * fc.scale, y: e.p.y + u(fc.maxShift) * fc.scale },
          scale: fc.scale,
          angle: (u(fc.rotationDeg) * Math.PI) / 180,
        }));
        const gains = picks.map(() => [1 + u(fc.contrast), u(fc.brightness)]);
        const refPos = ref.map((s, i) => toCrop(s, picks[i].p, P));
        const trainPos = shifted.map((s, i) => toCrop(s, picks[i].p, P));
        return tidy(() => {
          const B = picks.length;
          const a = cutCrops(tmpl.tensor, ref, P);
          const gain = Tensor.from(
            gains.map((g) => g[0]),
            [B, 1, 1, 1],
            { device: a.device },
          );
          const bias = Tensor.from(
            gains.map((g) => g[1]),
            [B, 1, 1, 1],
            { device: a.device },
          );
          const b = cutCrops(tmpl.tensor, shifted, P).mul(gain).add(bias).clamp(0, 1);
          const feats = fineFeatures(enc.encoder, dec, Tensor.cat([a, b], 0));
          const fRef = featuresAt(feats.narrow(0, 0, B), refPos); // (B, D)
          const fb = feats.narrow(0, B, B);
          const sim = fb.mul(fRef.reshape([B, -1, 1, 1])).sum([1]); // (B, P, P)
          const target = gaussianMaps(trainPos, P, fc.sigma, a.device);
          const loss = fineLoss(sim, target, fc);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss.item();
        });
      },
    });
  } finally {
    opt.dispose();
    tmpl.tensor.dispose();
    enc.dispose();
    dec.dispose();
  }
  return { dense, fine: result, stopped: result.aborted, trainSeconds: (performance.now() - t0) / 1000 };
}

/**
 * FM-OSD's loss is the MSE between the similarity map and the Gaussian ('mse'). With few steps it
 * collapses to features orthogonal everywhere (sim ≈ 0 is already a low MSE, the Gaussian covers ~1%
 * of the crop), so the default is a softmax cross-entropy over the crop towards the normalised
 * Gaussian ('ce', temperature 10, as CC2D's stage-1 loss), which cannot be met by a flat map.
 */
export function fineLoss(sim: Tensor, target: Tensor, fc: Pick<FineConfig, 'loss'>): Tensor {
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
