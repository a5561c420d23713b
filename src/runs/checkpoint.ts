/**
 * Checkpoints of a training stage as safetensors: named tensors under prefixes ("model.",
 * "optim.", ...) plus string metadata (stage, step, final flag, JSON extras). Written atomically
 * (temporary file + rename), so a kill during a write never leaves a truncated checkpoint that
 * resume would pick up.
 */
import * as fs from 'node:fs';
import type { Device, Tensor } from '../engine';
import { loadSafetensors, saveSafetensors } from '../engine/io/safetensors';
import type { RunLayout } from './layout';

export interface CheckpointMeta {
  stage: string;
  step: number;
  final: boolean;
  /** Anything else JSON-able (loss, config digest...). */
  extra?: Record<string, unknown>;
}

export async function saveCheckpoint(
  file: string,
  groups: Record<string, Record<string, Tensor>>,
  meta: CheckpointMeta,
): Promise<void> {
  const tensors = new Map<string, Tensor>();
  for (const [prefix, named] of Object.entries(groups)) {
    for (const [name, t] of Object.entries(named)) tensors.set(`${prefix}.${name}`, t);
  }
  const metadata: Record<string, string> = {
    stage: meta.stage,
    step: String(meta.step),
    final: String(meta.final),
    extra: JSON.stringify(meta.extra ?? {}),
  };
  await saveSafetensors(file, tensors, metadata);
}

export interface LoadedCheckpoint {
  file: string;
  meta: CheckpointMeta;
  /** Tensors grouped by prefix; the caller owns (and disposes) them. */
  groups: Record<string, Record<string, Tensor>>;
}

export function loadCheckpoint(file: string, device: Device = 'cpu'): LoadedCheckpoint {
  if (!fs.existsSync(file)) throw new Error(`checkpoint ${file}: file not found`);
  const { tensors, metadata } = loadSafetensors(file, { device });
  const groups: Record<string, Record<string, Tensor>> = {};
  for (const [key, t] of tensors) {
    const dot = key.indexOf('.');
    const prefix = dot < 0 ? '' : key.slice(0, dot);
    const name = dot < 0 ? key : key.slice(dot + 1);
    (groups[prefix] ??= {})[name] = t;
  }
  const step = Number(metadata.step);
  if (!metadata.stage || !Number.isInteger(step)) {
    disposeGroups(groups);
    throw new Error(`checkpoint ${file}: metadata lacks stage/step (not a OneMark checkpoint?)`);
  }
  let extra: Record<string, unknown> = {};
  try {
    extra = JSON.parse(metadata.extra ?? '{}');
  } catch {
    throw new Error(`checkpoint ${file}: metadata "extra" is not JSON`);
  }
  return { file, meta: { stage: metadata.stage, step, final: metadata.final === 'true', extra }, groups };
}

/** Loads a checkpoint's model tensors into `net` and switches it to inference; returns `net`. */
export function loadModelWeights<
  N extends { loadState(s: { tensors: Record<string, Tensor> }): void; train(on: boolean): void },
>(net: N, file: string, device: Device = 'cpu'): N {
  const ck = loadCheckpoint(file, device);
  try {
    if (!ck.groups.model) throw new Error(`checkpoint ${file}: no model tensors`);
    net.loadState({ tensors: ck.groups.model });
  } finally {
    disposeGroups(ck.groups);
  }
  net.train(false);
  return net;
}

export function disposeGroups(groups: Record<string, Record<string, Tensor>>): void {
  for (const named of Object.values(groups)) for (const t of Object.values(named)) t.dispose();
}

/** The checkpoint to resume a stage from: its final one, else its latest periodic one, else null. */
export function resumePoint(layout: RunLayout, stage: string): string | null {
  if (layout.hasFinal(stage)) return layout.finalCheckpoint(stage);
  const steps = layout.stepCheckpoints(stage);
  return steps.length ? steps[steps.length - 1].file : null;
}

/** Deletes all but the newest `keep` periodic checkpoints of a stage. */
export function prunePeriodic(layout: RunLayout, stage: string, keep = 2): void {
  const steps = layout.stepCheckpoints(stage);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep))) fs.rmSync(s.file, { force: true });
}
