export * from './types';
export { makeDataset, itemReadOptions, type DatasetFields } from './dataset';
export * from './isbi2015';
export * from './folder';
export * from './open';
export * from './inspect';
