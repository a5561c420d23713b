/**
 * Opens a run folder for training: a new run writes its config.json, an existing one is checked
 * (method, template) and its saved config wins, so a resumed run trains exactly as it started.
 */
import * as fs from 'node:fs';
import type { Device } from '../engine/deviceType';
import { removeStaleTemps } from './atomicFile';
import { makeRunConfig, readRunConfig, writeRunConfig, type RunConfig } from './config';
import type { RunLayout } from './layout';
import type { OneShotRunInput } from './oneShot';

/** The fields of a method's config the run's own config.json repeats. */
export interface RunIdentity {
  preset: string;
  seed: number;
  device: Device;
}

export interface OpenRunOptions<C extends RunIdentity> {
  method: string;
  /** The config a new run starts with. */
  config: C;
  /**
   * Several processes may share the run (parts of one stage each): an existing run is joined
   * without --resume while this stage has no checkpoints. Absent: an existing run needs --resume.
   */
  joinStage?: string;
  /** Stage folders that get a copy of config.json. */
  stageConfigs?: string[];
  /** A reused CC2D run (absolute), recorded in a new run's config. */
  stage1Run?: string;
}

export function openRun<C extends RunIdentity>(
  input: OneShotRunInput,
  layout: RunLayout,
  o: OpenRunOptions<C>,
): RunConfig<C> {
  if (fs.existsSync(layout.config)) return reopen(input, layout, o);
  if (fs.existsSync(layout.root) && fs.readdirSync(layout.root).length > 0)
    throw new Error(`run directory ${layout.root} is not empty and holds no run; choose another --out`);
  const cfg = makeRunConfig<C>({
    method: o.method,
    preset: o.config.preset,
    seed: o.config.seed,
    device: o.config.device,
    init: input.source.init ?? 'scratch',
    data: {
      images: input.source.images,
      templateId: input.templateId,
      landmarks: input.source.landmarks,
      landmarkSet: input.landmarkSet,
      imageIds: input.images.map((r) => r.id),
    },
    ...(o.stage1Run ? { stage1Run: o.stage1Run } : {}),
    method_config: o.config,
  });
  writeRunConfig(layout, cfg, o.stageConfigs);
  return cfg;
}

function reopen<C extends RunIdentity>(
  input: OneShotRunInput,
  layout: RunLayout,
  o: OpenRunOptions<C>,
): RunConfig<C> {
  if (!input.resume && o.joinStage === undefined)
    throw new Error(
      `run ${layout.root} already exists; pass --resume to continue it or choose another --out`,
    );
  removeStaleTemps(layout.root);
  const saved = readRunConfig<C>(layout);
  if (saved.method !== o.method)
    throw new Error(`run ${layout.root} is a "${saved.method}" run, not ${o.method}`);
  if (saved.data.templateId !== input.templateId)
    throw new Error(
      `run ${layout.root} was trained with template ${saved.data.templateId}, not ${input.templateId}`,
    );
  const stage = o.joinStage;
  if (
    !input.resume &&
    stage !== undefined &&
    (layout.hasFinal(stage) || layout.stepCheckpoints(stage).length)
  )
    throw new Error(
      `run ${layout.root} already has ${stage} checkpoints; pass --resume to continue it or choose another --out`,
    );
  return saved;
}
