import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { densePreset, type DenseConfig } from '../../../src/methods/dense/config';
import { DensePredictor } from '../../../src/methods/dense/predict';
import { trainDense, type DenseTrainInput } from '../../../src/methods/dense/train';
import { refreshDue, refreshLabels } from '../../../src/methods/dense/refresh';
import { disposeGroups, loadCheckpoint } from '../../../src/runs/checkpoint';
import { loadSquare } from '../../../src/runs/imageStack';
import { denseInputFor, fixture, meanError } from './helpers';
import { testSeed } from '../../support/seeds';

const fx = fixture();
const dirs: string[] = [fx.stage1Run];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const denseInput = (config: DenseConfig, extra: Partial<DenseTrainInput> = {}) =>
  denseInputFor(fx, config, dirs, extra);

describe('CC2D-SLA (grouped, one model per landmark)', () => {
  it('learns synthetic landmarks from noisy stage-1 labels', async () => {
    const cfg = densePreset('sla', 'tiny', { seed: testSeed(1) });
    const t0 = performance.now();
    const inp = denseInput(cfg);
    const r = await trainDense(inp);
    expect(r.result?.ran).toBe(cfg.dense.iterations);
    const p = DensePredictor.load(inp.runDir);
    const pred = await p.predict(fx.refs);
    // A vote prior (the stage-1 guard) keeps every landmark of every group within its radius,
    // even when centred far from the truth: the per-group landmark subset reaches the right votes.
    const S = cfg.dense.size;
    const sq = await Promise.all(fx.refs.slice(0, 3).map((ref) => loadSquare(ref, S)));
    // A different centre per landmark, so a landmark reading another's prior would show.
    const far = (j: number) => ({ x: S - 6 - 5 * j, y: 5 + 5 * j });
    const radius = 0.1 * S;
    const guarded = p.predictSquares(sq, {
      points: sq.map(() => fx.set.landmarks[0].map((_, j) => far(j))),
      radius,
    });
    for (const row of guarded.points)
      row.forEach((q, j) =>
        expect(Math.hypot(q.x - far(j).x, q.y - far(j).y)).toBeLessThanOrEqual(radius + 1.5),
      );
    p.dispose();
    const err = meanError(pred.images, fx.set);
    // Train-PL measured: the refreshed labels against the truth (the fixture's grid is its pixel grid).
    const labelErr = (rows: ({ x: number; y: number } | null)[][]) => {
      let e = 0;
      let k = 0;
      rows.forEach((row, i) => {
        if (i === 0) return;
        row.forEach((p, j) => {
          e += Math.hypot(p!.x - fx.set.landmarks[i][j].x, p!.y - fx.set.landmarks[i][j].y);
          k++;
        });
      });
      return e / k;
    };
    const before = JSON.parse(fs.readFileSync(`${inp.runDir}/sla/pseudo-labels.json`, 'utf8')).points;
    console.log(
      `sla tiny: pseudo-label error ${labelErr(before).toFixed(2)} px before refresh, ${labelErr(r.labels).toFixed(2)} px after`,
    );
    expect(labelErr(r.labels)).toBeLessThan(labelErr(before));
    console.log(
      `sla tiny: ${((performance.now() - t0) / 1000).toFixed(1)} s, MRE ${err.toFixed(2)} px (stage-1 labels ${fx.stage1Error.toFixed(2)} px), refreshes ${JSON.stringify(r.refreshes)}`,
    );
    expect(err).toBeLessThan(3);
  }, 120_000);
});

describe('Train-PL refresh rule', () => {
  const r = { every: 10, start: 0.5, minConfidence: 0.5, maxMove: 1 };
  it('runs from start·total on, every `every` steps, never at step 0', () => {
    const due = Array.from({ length: 100 }, (_, s) => s).filter((s) => refreshDue(r, s, 100));
    expect(due).toEqual([50, 60, 70, 80, 90]);
    expect(refreshDue(null, 50, 100)).toBe(false);
  });
  it('replaces a label only when confident, near the stage-1 label, and never the template', () => {
    const anchor = [[{ x: 10, y: 10 }], [{ x: 10, y: 10 }], [{ x: 10, y: 10 }], [{ x: 10, y: 10 }]];
    const pred = [[{ x: 11, y: 10 }], [{ x: 11, y: 10 }], [{ x: 20, y: 10 }], [{ x: 11, y: 10 }]];
    const conf = [[0.9], [0.9], [0.9], [0.1]];
    const out = refreshLabels(r, 4, anchor, anchor, pred, conf, [true, false, false, false]);
    expect(out.labels.map((l) => l[0]!.x)).toEqual([10, 11, 10, 10]);
    expect(out.stats).toEqual({ replaced: [1], lowConfidence: 1, tooFar: 1 });
  });
});

function shortConfig(): DenseConfig {
  const cfg = densePreset('sla', 'tiny');
  cfg.dense.iterations = 30;
  cfg.dense.refresh = { every: 10, start: 0.3, minConfidence: 0, maxMove: 1 };
  cfg.checkpointEvery = 10;
  return cfg;
}

async function finalState(runDir: string, stage: string): Promise<Map<string, Float32Array>> {
  const ck = loadCheckpoint(`${runDir}/${stage}/final.safetensors`);
  const out = new Map<string, Float32Array>();
  for (const [g, named] of Object.entries(ck.groups))
    for (const [k, t] of Object.entries(named)) out.set(`${g}.${k}`, t.toFloat32Array());
  disposeGroups(ck.groups);
  return out;
}

describe('SLA resume', () => {
  it('continues after a kill to the same result as an uninterrupted run with the same seed', async () => {
    const a = denseInput(shortConfig());
    await trainDense(a);
    const b = denseInput(shortConfig());
    // A kill after 15 steps: only the step-10 checkpoint is on disk; the refresh at step 9..10 is in it.
    const first = await trainDense({ ...b, stopAfter: { dense: 15 } });
    expect(first.stopped).toBe(true);
    expect(fs.existsSync(`${b.runDir}/sla/final.safetensors`)).toBe(false);
    const second = await trainDense({ ...b, resume: true });
    expect(second.result?.startedAt).toBe(10);
    const sa = await finalState(a.runDir, 'sla');
    const sb = await finalState(b.runDir, 'sla');
    expect([...sb.keys()].sort()).toEqual([...sa.keys()].sort());
    let worst = 0;
    for (const [k, v] of sa) {
      const w = sb.get(k)!;
      for (let i = 0; i < v.length; i++)
        if (!(Number.isNaN(v[i]) && Number.isNaN(w[i]))) worst = Math.max(worst, Math.abs(v[i] - w[i]));
    }
    expect(worst).toBe(0);
    // The refreshed labels travelled through the checkpoint too.
    expect(sa.has('labels.points')).toBe(true);
  }, 120_000);
});
