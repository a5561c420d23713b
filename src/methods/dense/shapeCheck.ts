/**
 * The shape check of the cascade form's prediction: every crop model answers for its own landmark
 * alone, so nothing stops one answer from sitting on a look-alike structure, or inside a crop that
 * stage 1 placed beside the landmark. The nineteen answers together say where each one should be:
 * a point distribution model (shared/shapeModel.ts) of the run's own final training labels (its
 * Train-PL labels on the unlabelled images and the template's truth: no other label), fitted
 * robustly to an image's answers, gives each landmark's expected position. An answer further than
 * `flag` × crop from it is searched again in a crop centred on the expected position, and the
 * answer becomes the midpoint of that search and the expected position (the image evidence and the
 * shape, which err in different ways).
 */
import * as fs from 'node:fs';
import type { Point } from '../../data/types';
import { RunLayout } from '../../runs/layout';
import { ShapeModel } from '../shared/shapeModel';
import { FINAL_LABELS, type DenseLabelsFile } from './run';

export interface ShapeCheckConfig {
  /** Modes of the point distribution model (3 at quick: the main variations of pose-free shape). */
  modes: number;
  /** An answer this far from its expected position (fraction of the crop side) is searched again. */
  flag: number;
}

/** A shape model over the landmarks every training shape has (others are never checked). */
export interface RunShapeModel {
  model: ShapeModel;
  /** Landmarks (0-based) the model covers, in its order. */
  landmarks: number[];
}

/**
 * The shape model of a run's final training labels (fine-grid points; parts merged by landmark),
 * or null when a part has no final labels (a run stopped early, or trained before they were saved).
 */
export function loadRunShapeModel(
  layout: RunLayout,
  stages: readonly string[],
  landmarkCount: number,
  modes: number,
): RunShapeModel | null {
  let shapes: (Point | null)[][] | null = null;
  for (const stage of stages) {
    const file = layout.artefact(stage, FINAL_LABELS);
    if (!fs.existsSync(file)) return null;
    let rec: DenseLabelsFile;
    try {
      rec = JSON.parse(fs.readFileSync(file, 'utf8')) as DenseLabelsFile;
    } catch (e) {
      throw new Error(`${file}: not a labels file (${(e as Error).message})`);
    }
    shapes ??= rec.ids.map(() => Array<Point | null>(landmarkCount).fill(null));
    if (rec.points.length !== shapes.length)
      throw new Error(`${file}: ${rec.points.length} images, another part of the run has ${shapes.length}`);
    rec.points.forEach((row, i) => row.forEach((p, k) => (shapes![i][rec.landmarks[k]] = p)));
  }
  if (!shapes) return null;
  const all = shapes;
  const landmarks = Array.from({ length: landmarkCount }, (_, j) => j).filter((j) =>
    all.every((s) => s[j] !== null),
  );
  if (landmarks.length < 4 || all.length < modes + 2) return null;
  return {
    model: ShapeModel.build(
      all.map((s) => landmarks.map((j) => s[j]!)),
      modes,
    ),
    landmarks,
  };
}

/**
 * Which answers of one image (fine grid, all landmarks) lie further than `flagPx` from where the
 * others put them, and those expected positions.
 */
export function checkShape(
  shape: RunShapeModel,
  points: readonly Point[],
  flagPx: number,
): { expected: (Point | null)[]; flagged: boolean[] } {
  const { expected, distance } = shape.model.robustFit(
    shape.landmarks.map((j) => points[j]),
    flagPx,
  );
  const out: (Point | null)[] = points.map(() => null);
  const flagged = points.map(() => false);
  shape.landmarks.forEach((j, k) => {
    out[j] = expected[k];
    flagged[j] = distance[k] > flagPx;
  });
  return { expected: out, flagged };
}

/** Answers (fine grid) and confidences per image per landmark. */
export interface CropAnswers {
  points: Point[][];
  confidence: number[][];
}

/**
 * The checked answers: a flagged answer becomes the midpoint of its second search (`again`, crops
 * centred on the expected positions) and its expected position, with the weaker confidence of the
 * two searches; every other answer stays as it was.
 */
export function settleChecked(
  first: CropAnswers,
  checks: readonly { expected: (Point | null)[]; flagged: boolean[] }[],
  again: CropAnswers,
): CropAnswers {
  const flagged = (i: number, j: number) => checks[i].flagged[j] && checks[i].expected[j] !== null;
  return {
    points: first.points.map((row, i) =>
      row.map((p, j) => {
        if (!flagged(i, j)) return p;
        const e = checks[i].expected[j]!;
        const q = again.points[i][j];
        return { x: (q.x + e.x) / 2, y: (q.y + e.y) / 2 };
      }),
    ),
    confidence: first.confidence.map((row, i) =>
      row.map((c, j) => (flagged(i, j) ? Math.min(c, again.confidence[i][j]) : c)),
    ),
  };
}
