/**
 * The one-shot training input, built so that only the template's labels can reach a trainer:
 * training images become ImageRefs that carry an id and a loader (no landmarks, no annotation
 * paths), and the template's landmarks are taken from exactly one place.
 */
import type { Dataset, DatasetItem } from '../data/datasets/types';
import type { LandmarkSet, LandmarkValue, Point } from '../data/types';
import { pointsInSetOrder } from '../data/annotations';
import type { ImageRef } from './imageStack';
import type { ProgressStream } from './progress';

export interface OneShotInput {
  images: ImageRef[];
  templateId: string;
  /** Original pixels, in landmarkSet order (null = missing on the template). */
  templateLandmarks: (Point | null)[];
  landmarkSet: LandmarkSet;
}

/** What every trainer takes besides its config: the one-shot input, where to write, how to stop. */
export interface OneShotRunInput extends OneShotInput {
  runDir: string;
  /** Provenance strings for config.json (paths as the user gave them). */
  source: { images: string; landmarks: string; init?: string };
  /** Continue a run whose directory already exists (its saved config wins). */
  resume?: boolean;
  progress?: ProgressStream;
  signal?: AbortSignal;
}

/** The template's index among the training images, after checking it can be trained from. */
export function templateIndexOf(input: OneShotInput): number {
  const landmarkCount = input.landmarkSet.landmarks.length;
  if (input.templateLandmarks.length !== landmarkCount)
    throw new Error(
      `template has ${input.templateLandmarks.length} landmarks, the landmark set ${landmarkCount}`,
    );
  const index = input.images.findIndex((r) => r.id === input.templateId);
  if (index < 0)
    throw new Error(`template ${input.templateId} is not among the ${input.images.length} training images`);
  return index;
}

/** A dataset item reduced to what loading needs: no labels travel with it. */
export function unlabelled(item: DatasetItem): DatasetItem {
  return {
    id: item.id,
    split: item.split,
    imagePath: item.imagePath,
    spacing: { ...item.spacing },
    landmarks: null,
  };
}

export function datasetRef(ds: Dataset, item: DatasetItem): ImageRef {
  const bare = unlabelled(item);
  return { id: bare.id, load: (longSide) => ds.loadScaled(bare, longSide) };
}

/**
 * Training input from dataset items. The template's landmarks come from `templateLandmarks`
 * when given (a user's file, with its own `landmarkSet` when the dataset defines none), else from
 * the template item itself — never from another item.
 */
export function oneShotFromDataset(
  ds: Dataset,
  items: readonly DatasetItem[],
  templateId: string,
  templateLandmarks?: readonly LandmarkValue[],
  landmarkSet: LandmarkSet = ds.landmarkSet,
): OneShotInput {
  const template = items.find((i) => i.id === templateId);
  if (!template) {
    throw new Error(`template ${templateId} is not among the ${items.length} training images of ${ds.root}`);
  }
  const values = templateLandmarks ?? template.landmarks;
  if (!values || values.every((v) => !v.point)) {
    throw new Error(`template ${templateId}: no landmarks (give a landmarks file with this image's points)`);
  }
  return {
    images: items.map((it) => datasetRef(ds, it)),
    templateId,
    templateLandmarks: pointsInSetOrder(values, landmarkSet),
    landmarkSet,
  };
}

/**
 * The one-shot view of a dataset's training split: every item but the template is stripped of its
 * landmarks before anything else touches it, and the check fails loudly if a label slipped through.
 */
export function oneShotTrainingView(ds: Dataset, templateId: string, split = 'train'): OneShotInput {
  const items = ds.split(split).map((it) => (it.id === templateId ? it : unlabelled(it)));
  const leaked = items.filter((it) => it.id !== templateId && it.landmarks !== null);
  if (leaked.length)
    throw new Error(
      `one-shot protocol violated: labels of ${leaked.map((i) => i.id).join(', ')} reached training`,
    );
  return oneShotFromDataset(ds, items, templateId);
}
