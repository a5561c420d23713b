/**
 * `onemark train --method sla|atd|adapter|f2 --stage1-run RUN` and `onemark predict --run` on a
 * folder of synthetic PNGs: every method through the CLI, each checked against the synthetic truth.
 *
 * One CC2D stage-1 run is trained through the CLI first and shared. Its pseudo-labels are then
 * replaced by the truth plus seeded noise (±2 px), as the method tests do (test/methods/sla/
 * helpers.ts), so each method's own stage learns in a few dozen steps: the accuracy bounds below
 * are the method's, not those of a 150-step stage 1. Stage 1 proper inside a run (no
 * --stage1-run) is covered by train-resume.test.ts and test/app/engine-job.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLandmarks } from '../../src/data/formats';
import type { AnnotationSet } from '../../src/data/types';
import { mulberry32 } from '../../src/data/synthetic';
import {
  meanRadialError,
  runInProcess,
  tempDir,
  tinyTrainArgs,
  writeSyntheticFolder,
  type SyntheticFolder,
} from './helpers';
import { testSeed } from '../support/seeds';

/** The methods' seed (shifted by scripts/numeric-capabilities.sh to measure the spread). */
const SEED = testSeed(7);

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;
let stage1Run: string;

beforeAll(async () => {
  tmp = await tempDir('onemark-cli-methods-');
  // Shifts of ±15 % of the side: copying the template's points is off by about 8.6 px.
  data = await writeSyntheticFolder(tmp.dir, { n: 8, size: 64, seed: 2, maxShift: 0.15 });
  stage1Run = path.join(tmp.dir, 'cc2d');
  const r = await runInProcess([
    'train',
    '--method',
    'cc2d',
    ...common(),
    '--out',
    stage1Run,
    '--no-stage2',
    '--stage1-iterations',
    '150',
    '--quiet',
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^train: cc2d tiny \(stage 1\) on 8 images, template s000, seed 1/);
  // Stand-in Infer-PL: the truth plus seeded noise, where CC2D keeps its pseudo-labels.
  const rnd = mulberry32(5);
  const points = data.set.landmarks.map((row, i) =>
    row.map((p) => (i === 0 ? p : { x: p.x + 4 * (rnd() - 0.5), y: p.y + 4 * (rnd() - 0.5) })),
  );
  fs.writeFileSync(
    path.join(stage1Run, 'stage1', 'pseudo-labels.json'),
    JSON.stringify({
      ids: data.set.ids,
      points,
      confidence: points.map((r) => r.map(() => 1)),
      templateId: 's000',
    }),
  );
}, 180_000);

afterAll(() => tmp?.cleanup());

function common(): string[] {
  return tinyTrainArgs(data);
}

/** Trains `method` on the shared stage 1 with seed 7, predicts every image; returns the CSV read back. */
async function trainAndPredict(
  method: string,
  extra: string[],
): Promise<{ runDir: string; train: { out: string; err: string }; pred: AnnotationSet; csv: string }> {
  const runDir = path.join(tmp.dir, method);
  const t = await runInProcess([
    'train',
    '--method',
    method,
    ...common(),
    '--seed',
    String(SEED),
    '--out',
    runDir,
    '--stage1-run',
    stage1Run,
    ...extra,
  ]);
  expect(t.code, t.err).toBe(0);
  expect(t.out).toContain(`train: ${method} tiny (`);
  expect(t.out).toContain(`seed ${SEED}, 1 thread(s), stage 1 of ${stage1Run}`);
  // Progress bars name each stage (stderr is not a terminal here: one line per 10 %).
  expect(t.err).toMatch(new RegExp(`^${method === 'f2' ? 'adapter' : method} \\[`, 'm'));

  const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
  expect(cfg).toMatchObject({ method, preset: 'tiny', seed: SEED, stage1Run, data: { templateId: 's000' } });
  expect(cfg.method_config.seed).toBe(SEED);
  // The stage 1 was reused, not trained again inside the run.
  expect(fs.existsSync(path.join(runDir, 'cc2d'))).toBe(false);

  const csv = path.join(tmp.dir, `${method}.csv`);
  const p = await runInProcess([
    'predict',
    '--run',
    runDir,
    '--images',
    data.images,
    '--out',
    csv,
    '--threads',
    '1',
    '--quiet',
  ]);
  expect(p.err).toBe('');
  expect(p.code).toBe(0);
  expect(p.out).toMatch(new RegExp(`^predict: ${method}, 8 image\\(s\\) -> `));
  return { runDir, train: t, pred: await readLandmarks(csv), csv: fs.readFileSync(csv, 'utf8') };
}

/** Every image and landmark predicted, with a confidence in [0, 1], and the run's seed in the meta. */
function checkPrediction(method: string, pred: AnnotationSet, csv: string): void {
  expect(pred.images.map((i) => i.imageId).sort()).toEqual(data.set.ids);
  for (const im of pred.images) {
    expect(im.landmarks.map((l) => l.id)).toEqual([1, 2, 3]);
    for (const l of im.landmarks) {
      expect(l.point).not.toBeNull();
      expect(Number.isFinite(l.confidence)).toBe(true);
      expect(l.confidence!).toBeGreaterThanOrEqual(0);
      expect(l.confidence!).toBeLessThanOrEqual(1);
    }
  }
  expect(pred.meta).toMatchObject({ seed: SEED, preset: 'tiny', runMethod: method, stage1Run });
  expect(csv).toMatch(new RegExp(`^# meta: \\{.*"seed":${SEED}`, 'm'));
}

describe('onemark train / predict with every method on a shared CC2D stage 1', () => {
  it('sla: one model per landmark', async () => {
    const { pred, csv, runDir } = await trainAndPredict('sla', ['--stage2-iterations', '150']);
    checkPrediction('sla', pred, csv);
    // --resume needs neither --method nor --stage1-run: the run recorded both.
    const again = await runInProcess(['train', ...common(), '--out', runDir, '--resume', '--quiet']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`train: sla tiny (`);
    expect(again.out).toContain(`stage 1 of ${stage1Run}`);
    expect(fs.existsSync(path.join(runDir, 'cc2d'))).toBe(false);
    expect(pred.meta?.modelCount).toBe(3);
    const e = meanRadialError(pred.images, data.set);
    console.log(
      `cli sla: MRE ${e.mean.toFixed(2)} px (template copy ${data.templateCopy.mean.toFixed(2)} px)`,
    );
    // Half of template copy's error (4.3 px). Spread over seeds 7-9 × native/default/avx2/avx512
    // kernels (scripts/numeric-capabilities.sh): 1.4-2.5 px; at 60 steps it reached 5.3 px on AVX-512.
    expect(e.mean).toBeLessThan(0.5 * data.templateCopy.mean);
  }, 120_000);

  it('atd: sla + template augmentation', async () => {
    const { pred, csv, runDir } = await trainAndPredict('atd', ['--stage2-iterations', '60']);
    checkPrediction('atd', pred, csv);
    const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(cfg.method_config.templateAug.copies).toBeGreaterThan(0);
    expect(cfg.method_config.dense.iterations).toBe(60);
    const e = meanRadialError(pred.images, data.set);
    console.log(`cli atd: MRE ${e.mean.toFixed(2)} px`);
    // Spread 1.1-2.2 px (seeds × kernel paths, as for sla).
    expect(e.mean).toBeLessThan(0.5 * data.templateCopy.mean);
  }, 120_000);

  it('adapter: one shared network', async () => {
    const { pred, csv } = await trainAndPredict('adapter', ['--stage2-iterations', '200']);
    checkPrediction('adapter', pred, csv);
    expect(pred.meta?.modelCount).toBe(1);
    const e = meanRadialError(pred.images, data.set);
    console.log(`cli adapter: MRE ${e.mean.toFixed(2)} px`);
    // Spread 1.2-2.8 px (seeds × kernel paths); the old bound of 3 px sat 0.2 px above it.
    expect(e.mean).toBeLessThan(0.5 * data.templateCopy.mean);

    // --stage1-prior: every landmark lands within frac·grid of CC2D stage 1's answer.
    const predictTo = async (args: string[], out: string) => {
      const r = await runInProcess([
        'predict',
        ...args,
        '--images',
        data.images,
        '--out',
        out,
        '--threads',
        '1',
        '--quiet',
      ]);
      expect(r.code, r.err).toBe(0);
      return readLandmarks(out);
    };
    const s1 = await predictTo(['--run', stage1Run, '--stage', '1'], path.join(tmp.dir, 's1.csv'));
    const guarded = await predictTo(
      ['--run', path.join(tmp.dir, 'adapter'), '--stage1-prior', '0.1'],
      path.join(tmp.dir, 'adapter-prior.csv'),
    );
    expect(guarded.meta).toMatchObject({ votesWithin: "0.1 × grid of stage 1's answer" });
    for (const im of guarded.images) {
      const ref = s1.images.find((i) => i.imageId === im.imageId)!;
      const w = data.set.images[data.set.ids.indexOf(im.imageId)].width;
      im.landmarks.forEach((l, j) => {
        const q = ref.landmarks[j].point!;
        // Only pixels inside the prior disk vote, but each vote moves by its offset, up to the
        // heatmap radius (radiusFrac 0.08 of the grid in tiny): that is the guarantee. The old
        // bound (+1 px) failed at 10.09 > 10.05 px with seed 9 on AVX2 kernels.
        const voteRadius = 0.08 * w;
        expect(Math.hypot(l.point!.x - q.x, l.point!.y - q.y)).toBeLessThanOrEqual(
          (0.1 * w + voteRadius) * Math.SQRT2 + 1,
        );
      });
    }
    const bad = await runInProcess([
      'predict',
      '--run',
      stage1Run,
      '--stage1-prior',
      '0.1',
      '--images',
      data.images,
      '--out',
      path.join(tmp.dir, 'x.csv'),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--stage1-prior does not apply to method cc2d/);
  }, 180_000);

  it('f2: coarse adapter + fine stage on the stage-1 encoder', async () => {
    const { pred, csv, runDir } = await trainAndPredict('f2', [
      '--stage2-iterations',
      '200',
      '--fine-iterations',
      '60',
    ]);
    checkPrediction('f2', pred, csv);
    const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(cfg.method_config.fine.iterations).toBe(60);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'f2.json'), 'utf8'))).toEqual({ stage1Run });
    expect(pred.meta?.modelCount).toBe(3);
    const sources = new Set(pred.images.flatMap((i) => i.landmarks.map((l) => l.source)));
    expect([...sources].every((s) => s === 'f2-fine' || s === 'f2-coarse')).toBe(true);
    const e = meanRadialError(pred.images, data.set);
    console.log(`cli f2: MRE ${e.mean.toFixed(2)} px, max ${e.max.toFixed(2)} px`);
    // Looser than the others: at this size the fine stage's 150-step encoder moves good coarse
    // points (about 1.5 px) by up to its maxMove of 6 px. Spread over seeds 7-9 × kernel paths:
    // 1.4-4.2 px (4.24 with native AVX-512 convs, over the old bound of 4); template copy 8.6.
    expect(e.mean).toBeLessThan(0.65 * data.templateCopy.mean);
  }, 120_000);

  it('sla --part 1/3: trains landmark 1 alone and its progress bar names the landmark', async () => {
    const runDir = path.join(tmp.dir, 'sla-parts');
    const t = await runInProcess([
      'train',
      '--method',
      'sla',
      ...common(),
      '--out',
      runDir,
      '--stage1-run',
      stage1Run,
      '--stage2-iterations',
      '20',
      '--part',
      '1/3',
    ]);
    expect(t.code, t.err).toBe(0);
    expect(t.err).toMatch(/^sla-part-1-of-3 landmark 1 \(L1\) \[/m);
    expect(fs.existsSync(path.join(runDir, 'sla-part-1-of-3', 'final.safetensors'))).toBe(true);
    // Predicting needs every part.
    const p = await runInProcess([
      'predict',
      '--run',
      runDir,
      '--images',
      data.images,
      '--out',
      `${runDir}.csv`,
    ]);
    expect(p.code).not.toBe(0);
    expect(p.err).toMatch(/part 2 of 3 has not finished/);
  }, 120_000);
});
