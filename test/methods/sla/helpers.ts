/**
 * Shared fixtures of the dense-method tests: synthetic images with known landmarks (drawn by the
 * CC2D tests' generator) and a stand-in for a finished CC2D stage 1: a run folder holding only
 * stage1/pseudo-labels.json with the true points plus seeded noise, so the dense stage can be
 * tested in seconds without training stage 1 each time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LandmarkSet, Point } from '../../../src/data/types';
import type { DenseConfig } from '../../../src/methods/dense/config';
import type { DenseTrainInput } from '../../../src/methods/dense/train';
import { memoryRef, type ImageRef } from '../../../src/runs/imageStack';
import { mulberry32, syntheticSet, type SyntheticSet } from '../cc2d/synthetic';

export const LANDMARK_SET: LandmarkSet = {
  name: 'synthetic',
  landmarks: [1, 2, 3].map((id) => ({ id, name: `L${id}` })),
};

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `onemark-${prefix}-`));
}

export interface Fixture {
  set: SyntheticSet;
  refs: ImageRef[];
  stage1Run: string;
  /** Mean distance of the fake stage-1 labels from the truth (non-template images), px. */
  stage1Error: number;
}

export function fixture(opts: { n?: number; size?: number; noise?: number; seed?: number } = {}): Fixture {
  const n = opts.n ?? 12;
  const size = opts.size ?? 64;
  const set = syntheticSet(n, size, { seed: opts.seed ?? 7 });
  const refs = set.images.map((im, i) => memoryRef(set.ids[i], im));
  const rnd = mulberry32(99);
  const noise = opts.noise ?? 2;
  let err = 0;
  const points: Point[][] = set.landmarks.map((row, i) =>
    row.map((p) => {
      if (i === 0) return { ...p };
      const q = { x: p.x + (2 * rnd() - 1) * noise, y: p.y + (2 * rnd() - 1) * noise };
      err += Math.hypot(q.x - p.x, q.y - p.y);
      return q;
    }),
  );
  const stage1Run = tmpDir('stage1');
  fs.mkdirSync(path.join(stage1Run, 'stage1'));
  fs.writeFileSync(
    path.join(stage1Run, 'stage1', 'pseudo-labels.json'),
    JSON.stringify({
      ids: set.ids,
      points,
      confidence: points.map((r) => r.map(() => 1)),
      templateId: set.ids[0],
    }),
  );
  return { set, refs, stage1Run, stage1Error: err / ((n - 1) * set.landmarks[0].length) };
}

/** Mean radial error (px) of predictions against the synthetic truth, skipping the template. */
export function meanError(
  pred: { imageId: string; landmarks: { point: Point | null }[] }[],
  set: SyntheticSet,
): number {
  let e = 0;
  let k = 0;
  for (const im of pred) {
    const i = set.ids.indexOf(im.imageId);
    if (i <= 0) continue;
    im.landmarks.forEach((l, j) => {
      e += Math.hypot(l.point!.x - set.landmarks[i][j].x, l.point!.y - set.landmarks[i][j].y);
      k++;
    });
  }
  return e / k;
}

/** Training input on a fixture's images, its stand-in stage 1, and a fresh run folder (listed in `dirs`). */
export function denseInputFor(
  fx: Fixture,
  config: DenseConfig,
  dirs: string[],
  extra: Partial<DenseTrainInput> = {},
): DenseTrainInput {
  const runDir = tmpDir(config.method);
  dirs.push(runDir);
  return {
    config,
    images: fx.refs,
    templateId: fx.set.ids[0],
    templateLandmarks: fx.set.landmarks[0],
    landmarkSet: LANDMARK_SET,
    runDir,
    source: { images: 'synthetic', landmarks: 'synthetic' },
    stage1Run: fx.stage1Run,
    ...extra,
  };
}
