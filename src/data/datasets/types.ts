/** Datasets: items with their image path, spacing and landmarks (or none), images loaded on demand. */
import type { DataProblem } from '../errors';
import type { ScaledImageOptions } from '../images/cache';
import type { DecodedImage, ReadImageOptions } from '../images/read';
import type { ScaledImage } from '../images/resize';
import type { AnnotationSet, LandmarkSet, LandmarkValue, Spacing } from '../types';

export interface DatasetItem {
  /** Stable id, used as `imageId` in landmark files (ISBI: '001'..'400'; folder: file name without extension). */
  id: string;
  split: string;
  imagePath: string;
  /** Spacing the image will be read with; `source: 'none'` when unknown. */
  spacing: Spacing;
  /** Ground truth in original pixels; null when the image is unlabelled (or its labels were unusable). */
  landmarks: LandmarkValue[] | null;
  /** Files the landmarks came from. */
  annotationPaths?: string[];
}

export interface SplitInfo {
  name: string;
  count: number;
  labelled: number;
  /** True when the split's labels are deliberately absent (ISBI 2015 Test2). */
  labelsWithheld: boolean;
  note?: string;
}

export interface LoadedItem<I extends DecodedImage | ScaledImage = DecodedImage | ScaledImage> {
  item: DatasetItem;
  image: I;
}

/** A batch load never throws for one bad file: it returns what loaded and what did not. */
export interface BatchResult<I extends DecodedImage | ScaledImage = DecodedImage | ScaledImage> {
  items: LoadedItem<I>[];
  problems: DataProblem[];
}

export interface BatchOptions extends Omit<ScaledImageOptions, keyof ReadImageOptions> {
  /** Load the cached copy with this long side instead of the full image. */
  longSide?: number;
  /** Files read at once (default 2); decoding itself is CPU-bound on one thread. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export type DatasetKind = 'isbi2015' | 'folder';

export interface Dataset {
  kind: DatasetKind;
  name: string;
  /** Folder the dataset was opened from. */
  root: string;
  landmarkSet: LandmarkSet;
  items: DatasetItem[];
  splits: SplitInfo[];
  /** What opening found wrong (bad annotation files, duplicate ids...); the rest is usable. */
  problems: DataProblem[];
  /** How labels were formed, e.g. 'floor((senior + junior) / 2)'. */
  groundTruthRule?: string;
  /** Items of one or several splits, in dataset order. */
  split(...names: string[]): DatasetItem[];
  item(id: string): DatasetItem | undefined;
  /** Labelled items of the given splits (all when none) as an AnnotationSet with source 'gt'. */
  groundTruth(...splits: string[]): AnnotationSet;
  /** Decode the full-resolution image. Throws a DataError naming the file. */
  loadImage(item: DatasetItem): Promise<DecodedImage>;
  /** The downscaled copy with the given long side, from the disk cache when valid. */
  loadScaled(
    item: DatasetItem,
    longSide: number,
    opts?: Omit<ScaledImageOptions, keyof ReadImageOptions>,
  ): Promise<ScaledImage>;
  /** Load many; bad files become problems, the rest loads. */
  loadBatch(items: readonly DatasetItem[], opts?: BatchOptions): Promise<BatchResult>;
}
