/** torch.nn for the OneMark engine: modules with PyTorch's parameter and state-dict names. */
export { Module, type StateDict, type LoadResult, type TensorLayer } from './module';
export { Parameter, isParameter } from './parameter';
export { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type Size2 } from './conv';
export { Linear, Identity } from './linear';
export { BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, type BatchNormOptions } from './norm';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh } from './activation';
export { MaxPool2d, AvgPool2d, Upsample, Dropout, type UpsampleOptions } from './pooling';
export { Sequential, ModuleList, type Layer } from './container';
export * as init from './init';
