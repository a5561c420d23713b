/**
 * The data layer's public API: images (PNG, JPEG, BMP, TIFF, DICOM) to grey + mm spacing, landmark
 * sets and files, datasets, and the downscaled-image cache. Other layers import from here only.
 */
export type * from './types';
export * from './errors';
export * from './landmarkSets';
export * from './annotations';
export * from './images';
export * from './formats';
export * from './datasets';
export * from './safeName';
export * from './realDir';
