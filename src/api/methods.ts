/**
 * The detection methods as the API offers them, from the method catalog (src/methods/catalog.ts,
 * the one list the CLI and the engine's registry use too), and the checks of a training request
 * against them. Engine-free: the service validates here and the engine process trains.
 */
import {
  METHOD_INFO,
  METHOD_NAMES,
  isMethodName,
  settingProblems,
  type TrainSetting,
} from '../methods/catalog';
import type { JobRequest } from './job-files';
import type { MethodSummary, TrainingRequest, TrainingSetting } from './types';
import { ApiInputError } from './validate';

/** The optional request fields, in the catalog's terms. */
const REQUEST_SETTINGS: readonly TrainingSetting[] = [
  'stage1Iterations',
  'stage2Iterations',
  'fineIterations',
];

export function methodSummaries(): MethodSummary[] {
  return METHOD_NAMES.map((name) => {
    const m = METHOD_INFO[name];
    const one = m.modelCount(1);
    return {
      name,
      title: m.title,
      describe: m.describe,
      presets: [...m.presets],
      modelCount: m.modelCount(2) === 2 * one && one === 1 ? 'per-landmark' : one,
      settings: REQUEST_SETTINGS.filter((s) => m.settings.includes(s as TrainSetting)),
    };
  });
}

/**
 * The job request for a training request, or an ApiInputError naming the field: method, preset and
 * device must be known, counts non-negative integers, and every optional field one the method takes.
 */
export function trainingJobRequest(request: TrainingRequest): JobRequest {
  if (!isMethodName(request.method)) {
    throw new ApiInputError(
      `startTraining: method '${String(request.method)}' is not available (available: ${METHOD_NAMES.join(', ')})`,
    );
  }
  const info = METHOD_INFO[request.method];
  if (!(info.presets as readonly string[]).includes(request.preset)) {
    throw new ApiInputError(
      `startTraining: preset '${String(request.preset)}' is unknown (${info.presets.join(', ')})`,
    );
  }
  if (typeof request.device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(request.device)) {
    throw new ApiInputError(`startTraining: device '${String(request.device)}' is unknown (cpu, cuda)`);
  }
  for (const k of ['seed', ...REQUEST_SETTINGS] as const) {
    const v = request[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new ApiInputError(`startTraining: ${k} must be a non-negative integer`);
    }
  }
  const settings = Object.fromEntries(REQUEST_SETTINGS.map((k) => [k, request[k]]));
  const problem = settingProblems(request.method, settings)[0];
  if (problem) throw new ApiInputError(`startTraining: ${problem.setting} ${problem.reason}`);
  const out: JobRequest = { method: request.method, preset: request.preset, device: request.device };
  if (request.seed !== undefined) out.seed = request.seed;
  for (const k of REQUEST_SETTINGS) if (request[k] !== undefined) out[k] = request[k];
  return out;
}
