/**
 * Predict-time checks on finished runs, scored on the ISBI 2015 development set (the labels of
 * training images 10, 20, …, 100, read for scoring only). They decided the test-time rows of
 * docs/methods.md; none retrains anything.
 *
 *   npm run bench:devchecks -- --check CHECK --run DIR [--values LIST] [--data DIR] [--threads N]
 *
 *   passes    (dense run) crops re-centred on the previous pass's answer; --values passes (1,2,3)
 *   search    (dense run) votes only within r × crop of the crop's centre (crops.searchRadius), and
 *             over the whole crop; --values r (0.35,0.4,0.45,0.5)
 *   centre    (dense run) crops centred on CC2D stage 1's answer, then on its stage 2's
 *   shape     (dense run) the shape check (crops.shapeCheck): answers further than f × crop from
 *             where the run's shape model puts them searched again; --values f (0.15,0.2,0.25),
 *             --modes the model's modes (3)
 *   shift     (dense run) crop-shift averaging: the crop centre moved by 0 and ±r crop on each
 *             axis, per-axis median and mean of the five answers; --values r (0.15)
 *   f2move    (f2 run) the fine stage's move limit, crop pixels; --values limits (0,3,6,10,20)
 *   f2blend   (f2 run) how far the answer goes from the coarse point to the fine one (fine.blend);
 *             --values fractions (0,0.25,0.5,0.75,1), at the run's move limit
 *   f2offset  (f2 run) the fine stage's median move per landmark over the unlabelled training images,
 *             applied to the coarse answers as a correction of their systematic offset; --values
 *             the move limit while collecting (20)
 */
import '../src/runs/ompEnv'; // before the engine loads: see the file
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isbi2015DevItems, openIsbi2015, ISBI2015_TEMPLATE_ID } from '../src/data/datasets/isbi2015';
import type { AnnotationSet, Point } from '../src/data/types';
import { setNumThreads } from '../src/engine';
import { evaluate } from '../src/evaluation/evaluate';
import { mean, median } from '../src/evaluation/metrics';
import { Cc2dPredictor } from '../src/methods/cc2d/predict';
import { DensePredictor, type Located } from '../src/methods/dense/predict';
import { stage1RunOf } from '../src/methods/dense/run';
import { loadOriginal } from '../src/methods/f2/crops';
import { isCascade } from '../src/methods/f2/config';
import { F2Predictor, MatchRefiner } from '../src/methods/f2/predict';
import type { ImageRef } from '../src/runs/imageStack';
import { datasetRef } from '../src/runs/oneShot';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKS = ['passes', 'search', 'centre', 'shape', 'shift', 'f2move', 'f2blend', 'f2offset'] as const;
type Check = (typeof CHECKS)[number];
const { values: a } = parseArgs({
  options: {
    check: { type: 'string' },
    run: { type: 'string' },
    values: { type: 'string' },
    data: { type: 'string', default: path.resolve(repo, '..', 'shared', 'isbi2015') },
    threads: { type: 'string' },
    modes: { type: 'string', default: '3' },
  },
});
function fail(msg: string): never {
  process.stderr.write(`bench:devchecks: ${msg}\n`);
  process.exit(1);
}
if (!a.check || !(CHECKS as readonly string[]).includes(a.check))
  fail(`--check ${a.check ?? '(missing)'}: expected one of ${CHECKS.join(', ')}`);
if (!a.run) fail('--run DIR: the finished run to check');
const check = a.check as Check;
const runDir = path.resolve(a.run);
const values = (fallback: string) => (a.values ?? fallback).split(',').map(Number);
setNumThreads(a.threads ? Number(a.threads) : os.availableParallelism());

const ds = await openIsbi2015(a.data!);
const dev = isbi2015DevItems(ds);
const devRefs = dev.map((it) => datasetRef(ds, it));
const devIds = new Set(dev.map((d) => d.id));
const gtAll = ds.groundTruth('train');
const gt = { ...gtAll, images: gtAll.images.filter((i) => devIds.has(i.imageId)) };
const spacing = new Map(gt.images.map((i) => [i.imageId, i.spacing]));
const known = ds.items.map((i) => i.id);

/** Answers (original pixels) per dev image, as an annotation set. */
function asSet(refs: readonly ImageRef[], pts: (Point | null)[][]): AnnotationSet {
  return {
    landmarkSet: gt.landmarkSet,
    images: refs.map((r, i) => ({
      imageId: r.id,
      spacing: spacing.get(r.id),
      landmarks: pts[i].map((p, j) => ({ id: gt.landmarkSet.landmarks[j].id, point: p })),
    })),
  };
}
function show(name: string, pts: (Point | null)[][]): void {
  const o = evaluate(asSet(devRefs, pts), gt, { method: name, knownImageIds: known }).metrics.overall;
  const sdr = (mm: number) => (100 * (o.sdr.find((s) => s.radius === mm)?.rate ?? NaN)).toFixed(1);
  console.log(
    `${name}: MRE ${o.mean.toFixed(2)} ± ${o.std.toFixed(2)} mm, SDR 2 mm ${sdr(2)} %, SDR 4 mm ${sdr(4)} %, p99 ${o.p99.toFixed(2)} mm`,
  );
}
const pointsOf = (l: Located[]) => l.map((x) => x.points);

async function cc2dAnswers(stage: 1 | 2): Promise<(Point | null)[][]> {
  const cc = Cc2dPredictor.load(stage1RunOf(runDir));
  try {
    const r = await cc.predict(devRefs, { stage });
    return r.images.map((im) => im.landmarks.map((l) => l.point));
  } finally {
    cc.dispose();
  }
}

console.log(`${check} on ${runDir}, development set ${dev.map((d) => d.id).join(', ')}`);
if (
  check === 'passes' ||
  check === 'search' ||
  check === 'centre' ||
  check === 'shape' ||
  check === 'shift'
) {
  const p = DensePredictor.load(runDir, { methods: ['sla', 'atd', 'adapter', 'f2'] });
  const crops = p.config.dense.crops;
  if (!crops) fail(`${runDir} is a whole-image run: the ${check} check is about crops`);
  try {
    if (check === 'passes') {
      for (const passes of values('1,2,3'))
        show(`passes ${passes}`, pointsOf(await p.locate(devRefs, { passes })));
    } else if (check === 'search') {
      show('the whole crop', pointsOf(await p.locate(devRefs, { searchRadius: null })));
      for (const r of values('0.35,0.4,0.45,0.5'))
        show(
          `votes within ${r} × crop of its centre`,
          pointsOf(await p.locate(devRefs, { searchRadius: r })),
        );
    } else if (check === 'shape') {
      const modes = Number(a.modes);
      show('no shape check', pointsOf(await p.locate(devRefs, { shapeCheck: null })));
      for (const flag of values('0.15,0.2,0.25'))
        show(
          `shape check, ${modes} modes, flag ${flag} × crop`,
          pointsOf(await p.locate(devRefs, { shapeCheck: { modes, flag } })),
        );
    } else if (check === 'centre') {
      for (const stage of [1, 2] as const)
        show(
          `crops centred on CC2D stage ${stage}`,
          pointsOf(await p.locate(devRefs, { coarse: await cc2dAnswers(stage) })),
        );
    } else {
      const base = await cc2dAnswers(1);
      for (const r of values('0.15')) {
        const offsets: [number, number][] = [
          [0, 0],
          [r, 0],
          [-r, 0],
          [0, r],
          [0, -r],
        ];
        const runs: (Point | null)[][][] = [];
        // The unmoved crops first: their squares give each image's original size.
        const first = await p.locate(devRefs, { coarse: base });
        // The crop's side in original pixels: `size` of the fine grid's `fineSize`, on the long side.
        const side = first.map(
          (l) => (p.config.dense.size / crops.fineSize) * Math.max(l.square.width, l.square.height),
        );
        for (const [fx, fy] of offsets) {
          const located =
            fx === 0 && fy === 0
              ? first
              : await p.locate(devRefs, {
                  coarse: base.map((row, i) =>
                    row.map((q) => (q ? { x: q.x + fx * side[i], y: q.y + fy * side[i] } : null)),
                  ),
                });
          runs.push(pointsOf(located));
          show(`centre moved by (${fx}, ${fy}) crop`, runs[runs.length - 1]);
        }
        const combine = (f: (v: number[]) => number) =>
          runs[0].map((row, i) =>
            row.map((q, j) =>
              q ? { x: f(runs.map((r2) => r2[i][j]!.x)), y: f(runs.map((r2) => r2[i][j]!.y)) } : null,
            ),
          );
        show(`median of ${runs.length}`, combine(median));
        show(`mean of ${runs.length}`, combine(mean));
      }
    }
  } finally {
    p.dispose();
  }
} else {
  const p = F2Predictor.load(runDir);
  const matcher = (): MatchRefiner => {
    if (!(p.fine instanceof MatchRefiner))
      fail(
        `--check ${check}: run ${runDir} has a cascade fine stage; this check is for the match form (FM-OSD's)`,
      );
    return p.fine;
  };
  try {
    if (check === 'f2move') {
      const fine = matcher().fine;
      for (const m of values('0,3,6,10,20')) {
        fine.maxMove = m;
        const pred = await p.predict(devRefs);
        show(
          `fine move ≤ ${m} px`,
          pred.images.map((im) => im.landmarks.map((l) => l.point)),
        );
      }
    } else if (check === 'f2blend') {
      for (const w of values('0,0.25,0.5,0.75,1')) {
        p.config.fine.blend = w;
        const pred = await p.predict(devRefs);
        const fc = p.config.fine;
        show(
          `blend ${w} (${isCascade(fc) ? 'cascade level' : `move ≤ ${fc.maxMove} px`})`,
          pred.images.map((im) => im.landmarks.map((l) => l.point)),
        );
      }
    } else {
      const m = matcher();
      m.fine.maxMove = values('20')[0];
      // Every unlabelled training image but the template: no label is read here.
      const pool = ds.split('train').filter((it) => it.id !== ISBI2015_TEMPLATE_ID);
      const refs = pool.map((it) => datasetRef(ds, it));
      const coarse = pointsOf(await p.locateCoarse(refs));
      const moves: Point[][] = coarse[0].map(() => []);
      for (const [i, ref] of refs.entries()) {
        const full = await loadOriginal(ref);
        const r = m.refine(full.tensor, coarse[i]);
        full.tensor.dispose();
        r.points.forEach((q, j) => {
          if (q && r.similarity[j] !== null)
            moves[j].push({ x: q.x - coarse[i][j].x, y: q.y - coarse[i][j].y });
        });
      }
      // A landmark whose candidates were all refused keeps its coarse point.
      const offset = moves.map((m) =>
        m.length ? { x: median(m.map((q) => q.x)), y: median(m.map((q) => q.y)) } : { x: 0, y: 0 },
      );
      offset.forEach((o, j) =>
        console.log(
          `landmark ${j + 1}: fine candidate accepted on ${moves[j].length}/${refs.length} images, median move (${o.x.toFixed(1)}, ${o.y.toFixed(1)}) px`,
        ),
      );
      const devIdx = refs.map((r, i) => (devIds.has(r.id) ? i : -1)).filter((i) => i >= 0);
      const devCoarse = devIdx.map((i) => coarse[i]);
      show('coarse (C-Adapter)', devCoarse);
      show(
        'coarse + median move',
        devCoarse.map((row) => row.map((q, j) => ({ x: q.x + offset[j].x, y: q.y + offset[j].y }))),
      );
    }
  } finally {
    p.dispose();
  }
}
