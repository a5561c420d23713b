import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { densePreset, type DenseConfig } from '../../../src/methods/dense/config';
import { buildDenseNet } from '../../../src/methods/dense/nets';
import type { AdapterNet } from '../../../src/models/adapterNet';
import { DensePredictor } from '../../../src/methods/dense/predict';
import { trainDense } from '../../../src/methods/dense/train';
import { denseInputFor, fixture, meanError } from '../sla/helpers';
import { testSeed } from '../../support/seeds';

const fx = fixture();
/**
 * The shared-conv form at 200 steps over seeds 1-3 x default/avx2 kernels, and seed 1 native (AMD
 * EPYC, scripts/numeric-capabilities.sh): 0.66-1.13 px; the stage-1 labels are 1.41 px and a template
 * copy 4.58, so 2.5 px fails a network that did not learn while leaving room for other kernels.
 */
const SHARED_BOUND_PX = 2.5;
const dirs: string[] = [fx.stage1Run];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Trains on the synthetic fixture, predicts its images: mean error (px) and the model count. */
async function trainAndScore(
  cfg: DenseConfig,
): Promise<{ err: number; modelCount: unknown; numParameters: number }> {
  const inp = denseInputFor(fx, cfg, dirs);
  const r = await trainDense(inp);
  const p = DensePredictor.load(inp.runDir);
  try {
    const pred = await p.predict(fx.refs);
    return {
      err: meanError(pred.images, fx.set),
      modelCount: pred.meta?.modelCount,
      numParameters: r.numParameters,
    };
  } finally {
    p.dispose();
  }
}

describe('C-Adapter', () => {
  it('one network learns every synthetic landmark', async () => {
    const cfg = densePreset('adapter', 'tiny', { seed: testSeed(1) });
    // At 120 steps the shared backbone lands 0.6-10 px over seeds 1-3 and kernel paths (a Train-PL
    // refresh at mid-run can lock in a bad peak); at 200 the runs measured ended at 1.0-3.3 px.
    cfg.dense.iterations = 200;
    const { err, modelCount, numParameters } = await trainAndScore(cfg);
    expect(modelCount).toBe(1);
    console.log(
      `adapter tiny: MRE ${err.toFixed(2)} px (stage-1 labels ${fx.stage1Error.toFixed(2)} px), ${numParameters} parameters`,
    );
    // Spread at 200 steps over seeds 1-3 × native/avx512/default/avx2 kernels: 0.98-3.28 px (one
    // run with ATen's AVX-512 kernels leaves a landmark behind); template copy 4.58, labels 1.41.
    expect(err).toBeLessThan(4);
  }, 120_000);

  it('the shared-conv form (quick) learns every synthetic landmark as one network', async () => {
    const cfg = densePreset('adapter', 'tiny', { seed: testSeed(1) });
    const quick = densePreset('adapter', 'quick').dense.net;
    expect(quick).toMatchObject({ kind: 'grouped', shareConvs: true });
    // The quick form at the tiny preset's depth (3 levels for its 64-px images).
    cfg.dense.net = { kind: 'grouped', width: 1 / 16, levels: 3, convs: [1, 1, 2], shareConvs: true };
    cfg.dense.iterations = 200;
    const { err, modelCount } = await trainAndScore(cfg);
    expect(modelCount).toBe(1);
    console.log(
      `adapter tiny, shared convs: MRE ${err.toFixed(2)} px (stage-1 labels ${fx.stage1Error.toFixed(2)} px)`,
    );
    expect(err).toBeLessThan(SHARED_BOUND_PX);
  }, 120_000);

  it('reports its parameters against N separate models (19 landmarks, tiny and quick presets)', () => {
    // The full preset's 19 separate models hold 0.5 G parameters: too big to build in a unit test.
    const tinyA = buildDenseNet(densePreset('adapter', 'tiny').dense.net, 19, 'cpu');
    const m = tinyA.module as AdapterNet;
    console.log(
      `tiny: adapter ${m.numParameters()} = shared ${m.parameterSplit().shared} + 19 x ${m.parameterSplit().perLandmark}; ` +
        `19 separate models of its architecture ${m.separateEquivalent()}`,
    );
    expect(m.numParameters() * 10).toBeLessThan(m.separateEquivalent());
    tinyA.dispose();
    // quick: ATD's network with its convs shared; 19 separate models of it are ATD's.
    const quickA = buildDenseNet(densePreset('adapter', 'quick').dense.net, 19, 'cpu');
    const sla = buildDenseNet(densePreset('sla', 'quick').dense.net, 19, 'cpu');
    console.log(
      `quick: adapter ${quickA.numParameters()}; the quick SLA preset's 19 models ${sla.numParameters()}`,
    );
    expect(quickA.numParameters() * 4).toBeLessThan(sla.numParameters());
    quickA.dispose();
    sla.dispose();
  });

  it('builds the network its config names: stride and per-landmark norms reach the model', () => {
    const net = { ...densePreset('adapter', 'tiny').dense.net, stride: 2 as const, landmarkNorms: true };
    const a = buildDenseNet(net, 3, 'cpu');
    const m = a.module as AdapterNet;
    expect(m.config.stride).toBe(2);
    expect(m.backbone.config.landmarkNorms).toBe(3);
    a.dispose();
    // Runs saved before the option have no field: the plain backbone.
    const { landmarkNorms: _, ...old } = densePreset('adapter', 'tiny').dense.net as typeof net;
    const b = buildDenseNet(old, 3, 'cpu');
    expect((b.module as AdapterNet).backbone.config.landmarkNorms).toBe(0);
    b.dispose();
  });
});
