import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, tidy } from '../../../src/engine';
import { presetConfig } from '../../../src/methods/cc2d/config';
import { trainCc2d } from '../../../src/methods/cc2d/train';
import { DensePredictor } from '../../../src/methods/dense/predict';
import { f2Preset, type CascadeFineConfig, type MatchFineConfig } from '../../../src/methods/f2/config';
import { COARSE_ANSWERS } from '../../../src/methods/f2/cascade';
import { cutCrops, fromCrop, toCrop } from '../../../src/methods/f2/crops';
import { F2Predictor, chooseFine } from '../../../src/methods/f2/predict';
import { trainF2 } from '../../../src/methods/f2/train';
import { LANDMARK_SET, denseInputFor, fixture, meanError, tmpDir } from '../sla/helpers';
import { testSeed } from '../../support/seeds';

const fx = fixture({ size: 96 });
const dirs: string[] = [fx.stage1Run];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A real (short) CC2D stage 1 on the fixture's images: the fine stage's encoder. */
async function trainStage1Run(): Promise<string> {
  const cfg = presetConfig('tiny');
  cfg.stage2.enabled = false;
  // The fine stage reads this encoder's features: at 60 steps they were close to noise and the
  // fine stage came out worse than the coarse points on 3 of 12 seed × kernel-path runs.
  cfg.stage1 = { ...cfg.stage1, size: 96, patch: 48, iterations: 300 };
  const dir = tmpDir('f2-stage1');
  dirs.push(dir);
  await trainCc2d({
    config: cfg,
    images: fx.refs,
    templateId: fx.set.ids[0],
    templateLandmarks: fx.set.landmarks[0],
    landmarkSet: LANDMARK_SET,
    runDir: dir,
    source: { images: 'synthetic', landmarks: 'synthetic' },
  });
  return dir;
}

describe('C-F2 crops', () => {
  it('cut crops show the original pixel that toCrop/fromCrop say', () => {
    const W = 40;
    const H = 30;
    const img = new Float32Array(W * H).map((_, i) => (i % W) + 100 * Math.floor(i / W)); // value = x + 100 y
    const spec = { center: { x: 17.3, y: 12.6 }, scale: 1.5, angle: 0.3 };
    const P = 8;
    const c = tidy(() => cutCrops(Tensor.from(img, [1, 1, H, W]), [spec], P).toFloat32Array());
    for (const [u, v] of [
      [2, 3],
      [5, 5],
      [0, 7],
    ]) {
      const q = fromCrop(spec, { x: u, y: v }, P);
      expect(c[v * P + u]).toBeCloseTo(q.x + 100 * q.y, 2);
      const back = toCrop(spec, q, P);
      expect(back.x).toBeCloseTo(u, 9);
      expect(back.y).toBeCloseTo(v, 9);
    }
  });

  it('the fine choice never leaves maxMove of the coarse point and falls back when the back-match fails', () => {
    const P = 16;
    const sim = new Float32Array(P * P);
    sim[1 * P + 15] = 0.9; // a strong peak far from the coarse point (7.5, 7.5)
    sim[8 * P + 9] = 0.5;
    const opts = { topK: 3, matchTolerance: 1, maxMove: 3 };
    const ok = chooseFine(sim, P, { x: 7.5, y: 7.5 }, { x: 7.5, y: 7.5 }, () => ({ x: 7, y: 8 }), opts);
    expect(Math.abs(ok.point.x - 7.5)).toBeLessThanOrEqual(3);
    expect(Math.abs(ok.point.y - 7.5)).toBeLessThanOrEqual(3);
    expect(ok.similarity).toBeCloseTo(0.9, 6);
    const none = chooseFine(sim, P, { x: 7.5, y: 7.5 }, { x: 7.5, y: 7.5 }, () => ({ x: 0, y: 0 }), opts);
    expect(none).toEqual({ point: { x: 7.5, y: 7.5 }, similarity: null });
  });

  it('blend moves the answer that fraction of the way from the coarse point to the fine one', () => {
    const P = 16;
    const sim = new Float32Array(P * P);
    sim[9 * P + 9] = 0.8; // the fine peak at (9, 9), 1.5 px from the coarse point on each axis
    const base = { topK: 3, matchTolerance: 1, maxMove: 3 };
    const at = (blend?: number) =>
      chooseFine(sim, P, { x: 7.5, y: 7.5 }, { x: 7.5, y: 7.5 }, () => ({ x: 7, y: 8 }), { ...base, blend })
        .point;
    expect(at()).toEqual({ x: 9, y: 9 });
    expect(at(1)).toEqual({ x: 9, y: 9 });
    expect(at(0.5)).toEqual({ x: 8.25, y: 8.25 });
    expect(at(0)).toEqual({ x: 7.5, y: 7.5 });
  });
});

describe('C-F2', () => {
  it('refines the coarse points on synthetic images (stage-1 encoder), never beyond the crop limit', async () => {
    const stage1Run = await trainStage1Run();
    const cfg = f2Preset('tiny', { seed: testSeed(1) });
    cfg.dense.size = 64;
    // The coarse stage is C-Adapter's network: below 200 steps it is unstable (see adapter/train.test.ts).
    cfg.dense.iterations = 200;
    const fine = cfg.fine as MatchFineConfig;
    fine.iterations = 100;
    const inp = denseInputFor(fx, cfg, dirs, { stage1Run });
    const r = await trainF2({ ...inp, config: cfg });
    expect(r.fine?.ran).toBe(fine.iterations);
    expect(fs.existsSync(path.join(inp.runDir, 'f2.json'))).toBe(true);
    const coarse = DensePredictor.load(inp.runDir, { methods: ['f2'] });
    const cPred = await coarse.predict(fx.refs);
    coarse.dispose();
    const p = F2Predictor.load(inp.runDir);
    const pred = await p.predict(fx.refs);
    p.dispose();
    expect(pred.meta?.modelCount).toBe(3);
    const lim = fine.maxMove * fine.scale + 1e-6;
    pred.images.forEach((im, i) =>
      im.landmarks.forEach((l, j) => {
        const c = cPred.images[i].landmarks[j].point!;
        expect(Math.abs(l.point!.x - c.x)).toBeLessThanOrEqual(lim + 0.01);
        expect(Math.abs(l.point!.y - c.y)).toBeLessThanOrEqual(lim + 0.01);
      }),
    );
    const eFine = meanError(pred.images, fx.set);
    const eCoarse = meanError(cPred.images, fx.set);
    const fineShare = pred.images.flatMap((im) => im.landmarks).filter((l) => l.source === 'f2-fine').length;
    console.log(
      `f2 tiny: coarse ${eCoarse.toFixed(2)} px, fine ${eFine.toFixed(2)} px, fine accepted ${fineShare}/${pred.images.length * 3}`,
    );
    // The fine stage is used (not a fallback everywhere) and does not undo the coarse points. At
    // this scale it does not reliably beat them: when the coarse points are already about 1 px
    // off, the fine stage's own noise is of that size (spread over seeds 1-3 × native/avx512/
    // default/avx2 kernels: fine − coarse from −0.6 to +0.4 px, fine 0.7-2.0 px; docs/testing.md).
    expect(fineShare).toBeGreaterThan(pred.images.length * 3 * 0.5);
    expect(eFine).toBeLessThan(eCoarse + 0.75);
    expect(eFine).toBeLessThan(3);
  }, 180_000);

  it('cascade form: a finer level of the Adapter network, trained on its answers, searched around them', async () => {
    const cfg = f2Preset('tiny', { seed: testSeed(1) });
    cfg.dense.size = 64;
    cfg.dense.iterations = 200;
    const fine: CascadeFineConfig = {
      kind: 'cascade',
      // 32-px crops of the image at 192 px (twice the 96-px originals): 16 original pixels wide.
      dense: { ...cfg.dense, size: 32, crops: { fineSize: 192, jitter: 0.3 }, iterations: 150 },
      blend: 1,
    };
    fine.dense.net = { kind: 'grouped', width: 1 / 16, levels: 3, convs: [1, 1, 2], shareConvs: true };
    cfg.fine = fine;
    const inp = denseInputFor(fx, cfg, dirs);
    const r = await trainF2({ ...inp, config: cfg });
    expect(r.fine?.ran).toBe(150);
    // Its labels are the coarse model's answers, saved for resume; the template's row stays its truth.
    const answers = JSON.parse(fs.readFileSync(path.join(inp.runDir, 'fine', COARSE_ANSWERS), 'utf8')) as {
      ids: string[];
    };
    expect(answers.ids).toEqual(fx.set.ids);
    const coarse = DensePredictor.load(inp.runDir, { methods: ['f2'] });
    const cPred = await coarse.predict(fx.refs);
    coarse.dispose();
    const p = F2Predictor.load(inp.runDir);
    try {
      const pred = await p.predict(fx.refs);
      expect(pred.meta?.modelCount).toBe(2);
      // The fine level searches its crop around the coarse answer: half a crop side, 8 original px.
      const half = (fine.dense.size / 2) * (96 / 192);
      pred.images.forEach((im, i) =>
        im.landmarks.forEach((l, j) => {
          const c = cPred.images[i].landmarks[j].point!;
          expect(Math.abs(l.point!.x - c.x)).toBeLessThanOrEqual(half);
          expect(Math.abs(l.point!.y - c.y)).toBeLessThanOrEqual(half);
          expect(l.source).toBe('f2-fine');
        }),
      );
      const eFine = meanError(pred.images, fx.set);
      const eCoarse = meanError(cPred.images, fx.set);
      console.log(`f2 tiny cascade: coarse ${eCoarse.toFixed(2)} px, fine ${eFine.toFixed(2)} px`);
      // The fine level learned to find the landmarks in its crop (an untrained one lands anywhere in
      // the 16-px window: ~6 px). At this size and budget it does not beat the coarse answers it was
      // trained on (seeds 1-3 × default/avx2 kernels: coarse 1.1-2.7 px, fine 1.3-3.3, fine − coarse
      // +0.1 to +1.2 px; `scripts/numeric-capabilities.sh`); its gain is measured on ISBI (docs/methods.md).
      expect(eFine).toBeLessThan(4.5);
      expect(eFine).toBeLessThan(eCoarse + 2);
      // blend 0 keeps the coarse answers exactly.
      (p.config.fine as CascadeFineConfig).blend = 0;
      const kept = await p.predict(fx.refs);
      kept.images.forEach((im, i) =>
        im.landmarks.forEach((l, j) => expect(l.point).toEqual(cPred.images[i].landmarks[j].point)),
      );
    } finally {
      p.dispose();
    }
  }, 420_000);
});
