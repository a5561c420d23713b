/** torch.optim for the OneMark engine: SGD, Adam, AdamW, LR schedules, gradient clipping. */
export {
  Optimizer,
  type BaseOptions,
  type ParamGroup,
  type ParamState,
  type OptimizerStateDict,
  type ParamsArg,
} from './optimizer';
export { Adam, AdamW, type AdamOptions } from './adam';
export { SGD, type SGDOptions } from './sgd';
export { clipGradNorm, clipGradValue } from './clip';
export {
  LRScheduler,
  constantLR,
  stepLR,
  multiStepLR,
  cosineLR,
  linearWarmup,
  type Schedule,
  type SchedulerState,
  type HasParamGroups,
} from './schedule';
