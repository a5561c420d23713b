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
  type MethodName,
  type TrainSetting,
} from '../../methods/catalog';
import type { JobRequest } from '../disk/job-files';
import { ApiInputError } from '../contract/errors';
import { TRAINING_SETTINGS } from '../contract/settings';
import type { MethodSummary, TrainingRequest } from '../contract/types';

/** Whether a method trains in per-landmark parts, which separate processes or Slurm jobs run. */
function trainsInParts(name: MethodName): boolean {
  return METHOD_INFO[name].settings.includes('part');
}

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
      settings: TRAINING_SETTINGS.filter((s) => m.settings.includes(s as TrainSetting)),
      trainsInParts: trainsInParts(name),
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
  for (const k of ['seed', ...TRAINING_SETTINGS] as const) {
    const v = request[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new ApiInputError(`startTraining: ${k} must be a non-negative integer`);
    }
  }
  const settings = Object.fromEntries(TRAINING_SETTINGS.map((k) => [k, request[k]]));
  const problem = settingProblems(request.method, settings)[0];
  if (problem) throw new ApiInputError(`startTraining: ${problem.setting} ${problem.reason}`);
  const out: JobRequest = { method: request.method, preset: request.preset, device: request.device };
  if (request.seed !== undefined) out.seed = request.seed;
  for (const k of TRAINING_SETTINGS) if (request[k] !== undefined) out[k] = request[k];
  return { ...out, ...clusterFields(request) };
}

/**
 * The Slurm fields of a request, checked: they end up on an sbatch command line (through the
 * CLI's own checks as well), so anything but plain values is refused here, naming the field.
 */
function clusterFields(request: TrainingRequest): Partial<JobRequest> {
  const backend = request.backend ?? 'local';
  if (backend !== 'local' && backend !== 'slurm')
    throw new ApiInputError(`startTraining: backend '${String(backend)}' is unknown (local, slurm)`);
  const given = (['parts', 'partition', 'time', 'gpusPerTask'] as const).filter(
    (k) => request[k] !== undefined,
  );
  if (backend === 'local') {
    if (given.length)
      throw new ApiInputError(`startTraining: ${given.join(', ')} apply to backend 'slurm' only`);
    return {};
  }
  if (!trainsInParts(request.method))
    throw new ApiInputError(
      `startTraining: backend 'slurm' trains ${METHOD_NAMES.filter(trainsInParts).join(' and ')} (per-landmark parts), not ${request.method}`,
    );
  const parts = request.parts ?? 3;
  if (!(Number.isInteger(parts) && parts >= 1 && parts <= 1000))
    throw new ApiInputError('startTraining: parts must be an integer from 1 to 1000');
  const out: Partial<JobRequest> = { backend: 'slurm', parts };
  if (request.partition !== undefined) {
    if (typeof request.partition !== 'string' || !/^[\w.-]{1,64}$/.test(request.partition))
      throw new ApiInputError(
        'startTraining: partition must be a Slurm partition name (letters, digits, _ . -)',
      );
    out.partition = request.partition;
  }
  if (request.time !== undefined) {
    // Slurm's forms: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
    if (typeof request.time !== 'string' || !/^(\d+-)?\d+(:\d+){0,2}$/.test(request.time))
      throw new ApiInputError('startTraining: time must be a Slurm time limit such as 2:00:00');
    out.time = request.time;
  }
  const gpus = request.gpusPerTask ?? (request.device.startsWith('cuda') ? 1 : undefined);
  if (gpus !== undefined) {
    if (!(Number.isInteger(gpus) && gpus >= 0 && gpus <= 64))
      throw new ApiInputError('startTraining: gpusPerTask must be an integer from 0 to 64');
    if (gpus > 0 && !request.device.startsWith('cuda'))
      throw new ApiInputError("startTraining: gpusPerTask needs device 'cuda' (CPU jobs take no GPU)");
    if (gpus === 0 && request.device.startsWith('cuda'))
      throw new ApiInputError("startTraining: device 'cuda' on Slurm needs gpusPerTask of at least 1");
    out.gpusPerTask = gpus;
  }
  return out;
}
