/**
 * No label but the template's reaches training: the whole pipeline (CC2D stage 1, pseudo-labels,
 * SLA with refresh, C-ATD's template augmentation; C-F2's cascade level trained on the coarse
 * model's answers) runs on a dataset whose every non-template label is then corrupted; the trained
 * model and its predictions must not change at all.
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset, DatasetItem } from '../../../src/data/datasets/types';
import { densePreset } from '../../../src/methods/dense/config';
import { trainDense } from '../../../src/methods/dense/train';
import { f2Preset } from '../../../src/methods/f2/config';
import { getMethod } from '../../../src/methods/registry';
import { trainF2 } from '../../../src/methods/f2/train';
import { oneShotFromDataset } from '../../../src/runs/oneShot';
import { mulberry32, syntheticSet } from '../cc2d/synthetic';
import { LANDMARK_SET, tmpDir } from './helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const set = syntheticSet(8, 64, { seed: 5 });

/** An in-memory dataset whose items carry ground truth, as a real labelled dataset does. */
function dataset(corrupt: boolean): Dataset {
  const rnd = mulberry32(1234);
  const items: DatasetItem[] = set.ids.map((id, i) => ({
    id,
    split: 'train',
    imagePath: `mem://${id}`,
    spacing: { x: 0.1, y: 0.1, source: 'dataset' },
    landmarks: set.landmarks[i].map((p, j) => ({
      id: j + 1,
      point: corrupt && i > 0 ? { x: rnd() * 64, y: rnd() * 64 } : { ...p },
    })),
  }));
  return {
    kind: 'folder',
    name: 'synthetic',
    root: 'mem://synthetic',
    landmarkSet: LANDMARK_SET,
    items,
    splits: [],
    problems: [],
    loadScaled: async (item: DatasetItem) => {
      if (item.landmarks !== null) throw new Error('a trainer received an item with labels');
      return set.images[set.ids.indexOf(item.id)];
    },
  } as unknown as Dataset;
}

interface Trained {
  pred: string;
  model: string;
}

/** Trains with `train` on the dataset's one-shot view, predicts its images with the method's registry entry, reads the final model. */
async function runOn(
  ds: Dataset,
  train: (input: ReturnType<typeof oneShotFromDataset>, runDir: string) => Promise<unknown>,
  method: 'atd' | 'f2',
  modelFile: string,
): Promise<Trained> {
  const input = oneShotFromDataset(ds, ds.items, set.ids[0]);
  const runDir = tmpDir('noleak');
  dirs.push(runDir);
  await train(input, runDir);
  const pred = JSON.stringify((await getMethod(method).predict(runDir, input.images)).images);
  return { pred, model: fs.readFileSync(`${runDir}/${modelFile}`).toString('base64') };
}

const source = { images: 'mem', landmarks: 'mem' };

function atdOn(ds: Dataset): Promise<Trained> {
  const cfg = densePreset('atd', 'tiny');
  cfg.cc2d.stage1.iterations = 15;
  cfg.dense.iterations = 16;
  cfg.dense.refresh = { every: 4, start: 0.25, minConfidence: 0, maxMove: 2 };
  return runOn(
    ds,
    (input, runDir) => trainDense({ config: cfg, ...input, runDir, source }),
    'atd',
    'atd/final.safetensors',
  );
}

function f2CascadeOn(ds: Dataset): Promise<Trained> {
  const cfg = f2Preset('tiny');
  cfg.cc2d.stage1.iterations = 15;
  cfg.dense.iterations = 16;
  cfg.fine = {
    kind: 'cascade',
    dense: { ...cfg.dense, size: 32, crops: { fineSize: 128, jitter: 0.3 }, iterations: 12 },
    blend: 1,
  };
  return runOn(
    ds,
    (input, runDir) => trainF2({ config: cfg, ...input, runDir, source }),
    'f2',
    'fine/final.safetensors',
  );
}

/** The same training on clean and corrupted labels gives the same model and predictions. */
async function expectUnchanged(trainOn: (ds: Dataset) => Promise<Trained>): Promise<void> {
  const clean = await trainOn(dataset(false));
  const corrupted = await trainOn(dataset(true));
  expect(corrupted.pred).toEqual(clean.pred);
  expect(corrupted.model === clean.model).toBe(true);
}

describe('label isolation', () => {
  it(
    'training output is unchanged when every label but the template is corrupted',
    () => expectUnchanged(atdOn),
    180_000,
  );

  it(
    "C-F2's cascade level is unchanged too (its labels are the coarse model's answers)",
    () => expectUnchanged(f2CascadeOn),
    180_000,
  );
});
