/**
 * The typed configuration of a run, saved as RUN/config.json and copied next to every stage's
 * checkpoints: enough to know what produced a model (method, preset, seed, engine, device, data)
 * and to resume or predict with nothing but the run directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engineInfo } from '../engine';
import type { Device } from '../engine/deviceType';
import type { LandmarkSet } from '../data/types';
import { RunLayout } from './layout';
import { writeFileAtomicSync } from './atomicFile';

export const RUN_FORMAT = 'onemark-run/1';

export interface RunData {
  /** Images folder or dataset path the run trained on, as given. */
  images: string;
  /** Template image id (its labels are the only labels training used). */
  templateId: string;
  /** Landmarks file of the template, as given. */
  landmarks: string;
  landmarkSet: LandmarkSet;
  /** Ids of the training images, template included. */
  imageIds: string[];
}

export interface RunConfig<M = unknown> {
  format: typeof RUN_FORMAT;
  method: string;
  preset: string;
  seed: number;
  device: Device;
  /** engineInfo() at creation: libtorch version, CUDA, build flags. */
  engine: Record<string, unknown>;
  createdAt: string;
  /** Backbone initialisation: 'scratch' or the weights file given. */
  init: string;
  data: RunData;
  /**
   * sla/atd/adapter/f2: the CC2D run (absolute path) whose stage 1 and pseudo-labels this run
   * reused; absent when the run trained its own stage 1 (in RUN/cc2d).
   */
  stage1Run?: string;
  /** The method's own configuration (e.g. Cc2dConfig). */
  method_config: M;
}

export function makeRunConfig<M>(
  fields: Omit<RunConfig<M>, 'format' | 'engine' | 'createdAt'> & { createdAt?: string },
): RunConfig<M> {
  let engine: Record<string, unknown>;
  try {
    engine = { ...(engineInfo() as unknown as Record<string, unknown>) };
  } catch (e) {
    engine = { error: (e as Error).message };
  }
  return { format: RUN_FORMAT, engine, createdAt: fields.createdAt ?? new Date().toISOString(), ...fields };
}

/** Writes RUN/config.json (and a copy in every listed stage folder). */
export function writeRunConfig(layout: RunLayout, cfg: RunConfig, stages: string[] = []): void {
  fs.mkdirSync(layout.root, { recursive: true });
  const text = JSON.stringify(cfg, null, 2) + '\n';
  writeFileAtomicSync(layout.config, text);
  for (const s of stages) {
    layout.ensureStage(s);
    writeFileAtomicSync(path.join(layout.stageDir(s), 'config.json'), text);
  }
}

export function readRunConfig<M = unknown>(layout: RunLayout): RunConfig<M> {
  const file = layout.config;
  if (!fs.existsSync(file))
    throw new Error(`run ${layout.root}: no ${path.basename(file)} (not a run directory?)`);
  let cfg: RunConfig<M>;
  try {
    cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig<M>;
  } catch (e) {
    throw new Error(`run config ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (cfg.format !== RUN_FORMAT)
    throw new Error(`run config ${file}: format "${String(cfg.format)}", expected "${RUN_FORMAT}"`);
  return cfg;
}
