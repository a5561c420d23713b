/**
 * Core data types shared by the data layer, evaluation, methods, CLI and app.
 * Coordinates are (x, y) in original pixels, pixel centres at integers; landmark ids are 1-based.
 */

/** Where an image's mm-per-pixel spacing came from; evaluation reports it next to every mm figure. */
export type SpacingSource =
  | 'PixelSpacing'
  | 'ImagerPixelSpacing'
  | 'dataset' // a dataset convention, e.g. ISBI 2015's 0.1 mm
  | 'user' // an override given by the user
  | 'none'; // unknown: mm figures cannot be computed

export interface Spacing {
  /** mm per pixel along x (columns) and y (rows). */
  x: number;
  y: number;
  source: SpacingSource;
}

/** A decoded grayscale image. Pixel (x, y) is data[y * width + x]. */
export interface GrayImage {
  width: number;
  height: number;
  /** Intensities after rescale slope/intercept and MONOCHROME1 inversion (bright = dense). */
  data: Float32Array | Uint16Array | Uint8Array;
  /** Bits of the stored samples (8, 12, 16) before any rescale; 32 for float data. */
  bitsStored: number;
  spacing: Spacing;
  /** File it came from and its format, for messages and provenance. */
  source: { path: string; format: 'png' | 'jpeg' | 'bmp' | 'tiff' | 'dicom' | 'synthetic' };
}

export interface Point {
  x: number;
  y: number;
}

export interface LandmarkDef {
  /** 1-based id, stable across files. */
  id: number;
  name: string;
  abbreviation?: string;
  /** CSS colour, e.g. '#e6194b'. */
  color?: string;
}

export interface LandmarkSet {
  name: string;
  landmarks: LandmarkDef[];
}

/** One landmark on one image; `point` is null when the landmark is missing on that image. */
export interface LandmarkValue {
  id: number;
  point: Point | null;
  /** 0..1, present on predictions. */
  confidence?: number;
  /** Who produced it: 'gt', 'template', 'prediction', 'correction', or a method name. */
  source?: string;
}

/** All landmarks of one image. */
export interface ImageAnnotation {
  imageId: string;
  landmarks: LandmarkValue[];
  /** Spacing used to convert to mm (copied from the image when known). */
  spacing?: Spacing;
}

/** Annotations of many images, keyed by image id, with the set they follow. */
export interface AnnotationSet {
  landmarkSet: LandmarkSet;
  images: ImageAnnotation[];
  /** Provenance: seed, method, run, created-at; written into every output. */
  meta?: Record<string, unknown>;
}
