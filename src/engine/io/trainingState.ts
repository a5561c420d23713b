/**
 * A model's training state (the engine's torch.save of model + optimiser + scheduler; a run's
 * stage checkpoints are src/runs/checkpoint.ts, built on safetensors directly): a folder with
 *   weights.safetensors   the model's state dict (PyTorch names, loadable by safetensors.torch)
 *   optimizer.safetensors optional: optimiser state tensors, named state.{paramIndex}.{key}
 *   config.json           the typed config, seed, step, device, engine/libtorch version, created-at,
 *                         and the optimiser's / scheduler's scalar state when saved
 * config.json is written last, so a folder whose config.json exists holds a complete checkpoint
 * (each file itself is written atomically).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Tensor, engineInfo, type Device } from '../index';
import type { Module } from '../nn/module';
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer';
import type { LRScheduler, SchedulerState } from '../optim/schedule';
import { loadSafetensors, saveSafetensors } from './safetensors';
import { writeFileAtomic } from './safetensorsFormat';

export const WEIGHTS_FILE = 'weights.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const CONFIG_FILE = 'config.json';
const FORMAT = 'onemark-checkpoint/1';

export interface TrainingStateMeta<C> {
  format: typeof FORMAT;
  config: C;
  seed: number;
  step: number;
  device: Device;
  engine: { libtorch: string; onemark: string; [k: string]: unknown };
  createdAt: string;
  /** Scalar optimiser state (param groups, step counts) when an optimiser was saved. */
  optimizer?: { paramGroups: Record<string, unknown>[]; scalars: Record<string, Record<string, number>> };
  scheduler?: SchedulerState;
  /** Anything else the caller wants next to the weights (metrics, method name, ...). */
  extra?: Record<string, unknown>;
}

export interface SaveTrainingStateOptions<C> {
  model: Module;
  config: C;
  seed: number;
  step: number;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  extra?: Record<string, unknown>;
}

function deviceOf(model: Module): Device {
  const p = model.parameters()[0] ?? model.buffers()[0];
  return p ? p.device : 'cpu';
}

function engineVersions(): TrainingStateMeta<unknown>['engine'] {
  const info = engineInfo() as unknown as Record<string, unknown>;
  return {
    ...info,
    libtorch: String(info.libtorch ?? info.version ?? 'unknown'),
    onemark: String(info.onemark ?? '0.1.0'),
  };
}

export async function saveTrainingState<C>(dir: string, o: SaveTrainingStateOptions<C>): Promise<void> {
  await saveSafetensors(path.join(dir, WEIGHTS_FILE), o.model.stateDict(), {
    format: 'pt',
    producer: 'onemark',
  });
  const meta: TrainingStateMeta<C> = {
    format: FORMAT,
    config: o.config,
    seed: o.seed,
    step: o.step,
    device: deviceOf(o.model),
    engine: engineVersions(),
    createdAt: new Date().toISOString(),
  };
  if (o.optimizer) {
    const sd = o.optimizer.stateDict();
    const tensors = new Map<string, Tensor>();
    const scalars: Record<string, Record<string, number>> = {};
    for (const [i, s] of sd.state) {
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) tensors.set(`state.${i}.${k}`, v);
        else (scalars[i] ??= {})[k] = v;
      }
    }
    await saveSafetensors(path.join(dir, OPTIMIZER_FILE), tensors, { producer: 'onemark' });
    meta.optimizer = { paramGroups: sd.paramGroups as unknown as Record<string, unknown>[], scalars };
  }
  if (o.scheduler) meta.scheduler = o.scheduler.stateDict();
  if (o.extra) meta.extra = o.extra;
  await writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(meta, null, 2) + '\n');
}

/** Reads config.json alone (cheap: to list checkpoints or rebuild the model from its config). */
export function readTrainingStateMeta<C>(dir: string): TrainingStateMeta<C> {
  const file = path.join(dir, CONFIG_FILE);
  if (!existsSync(file))
    throw new Error(`checkpoint ${dir}: no ${CONFIG_FILE} (not a checkpoint folder, or an interrupted save)`);
  let meta: TrainingStateMeta<C>;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as TrainingStateMeta<C>;
  } catch (e) {
    throw new Error(`checkpoint ${file}: invalid JSON (${(e as Error).message})`);
  }
  if (meta.format !== FORMAT)
    throw new Error(`checkpoint ${file}: format ${JSON.stringify(meta.format)} is not ${FORMAT}`);
  return meta;
}

export interface LoadTrainingStateOptions {
  /** Receives the weights (shapes checked; strict by default). */
  model: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  strict?: boolean;
  device?: Device;
}

/** Loads weights (and optimiser / scheduler state when given and saved) into existing objects. */
export function loadTrainingState<C>(dir: string, o: LoadTrainingStateOptions): TrainingStateMeta<C> {
  const meta = readTrainingStateMeta<C>(dir);
  const { tensors } = loadSafetensors(path.join(dir, WEIGHTS_FILE), { device: o.device });
  try {
    o.model.loadStateDict(tensors, { strict: o.strict ?? true });
  } catch (e) {
    throw new Error(`checkpoint ${dir}: ${(e as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  if (o.optimizer) {
    if (!meta.optimizer) throw new Error(`checkpoint ${dir}: no optimiser state saved`);
    const { tensors: st } = loadSafetensors(path.join(dir, OPTIMIZER_FILE), { device: o.device });
    try {
      const state = new Map<number, ParamState>();
      for (const [name, t] of st) {
        const m = /^state\.(\d+)\.(.+)$/.exec(name);
        if (!m) throw new Error(`checkpoint ${dir}/${OPTIMIZER_FILE}: unexpected tensor name "${name}"`);
        const i = Number(m[1]);
        if (!state.has(i)) state.set(i, {});
        state.get(i)![m[2]] = t;
      }
      for (const [i, sc] of Object.entries(meta.optimizer.scalars)) {
        const idx = Number(i);
        if (!state.has(idx)) state.set(idx, {});
        Object.assign(state.get(idx)!, sc);
      }
      o.optimizer.loadStateDict({
        state,
        // Written by saveTrainingState from the same optimiser type: groups keep their own options.
        paramGroups: meta.optimizer.paramGroups as unknown as OptimizerStateDict['paramGroups'],
      });
    } finally {
      for (const t of st.values()) t.dispose();
    }
  }
  if (o.scheduler) {
    if (!meta.scheduler) throw new Error(`checkpoint ${dir}: no scheduler state saved`);
    o.scheduler.loadStateDict(meta.scheduler);
  }
  return meta;
}
