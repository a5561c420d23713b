/**
 * The engine's public face: everything other layers use comes from here (see docs/engine-api.md).
 */
export { Tensor } from './tensor';
export type { Shape, TensorOptions, TensorData, NestedNumbers, BackwardOptions } from './tensor';
export { F } from './functional';
export type * from './functional';
export { tidy, keep, dispose, liveTensors, scopeDepth } from './scope';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, grad } from './autograd';
export type { GradOptions } from './autograd';
export { seed, random, randomInt, randomNormal, shuffle, Generator, defaultGenerator } from './random';
export { setNumThreads, getNumThreads } from './threads';
export { cudaAvailable, cudaDeviceCount, cudaSynchronize, isDevice, checkDevice } from './device';
export type { Device } from './device';
export { DTYPES, isDType, isFloatingPoint, BYTES_PER_ELEMENT } from './dtype';
export type { DType, AnyTypedArray, TypedArrayFor } from './dtype';
export { adamStep, sgdStep, clipGradNorm, clipGradValue, zeroGrads } from './fused';
export type { AdamStepOptions, SgdStepOptions } from './fused';
export { autocast, cpuHasBf16, isPrecision, precisionProblem, PRECISIONS } from './precision';
export type { Precision } from './precision';
export { engineInfo } from './info';
export type { EngineInfo } from './info';
