/** A CC2D run's trained stage-1 network, for the methods built on it and for prediction. */
import type { Device } from '../../../engine';
import { loadModelWeights } from '../../../runs/checkpoint';
import { readRunConfig } from '../../../runs/config';
import { RunLayout } from '../../../runs/layout';
import type { Cc2dConfig } from '../config';
import { buildStage1Net, type EmbeddingNet } from '../nets';
import { STAGE1 } from './train';

/**
 * The run's config with `device` (default: the run's) and the stage-1 network loaded from `file`
 * (default: the final stage-1 checkpoint).
 */
export function loadStage1Net(
  cc2dDir: string,
  opts: { device?: Device; file?: string } = {},
): { config: Cc2dConfig; net: EmbeddingNet } {
  const layout = new RunLayout(cc2dDir);
  const run = readRunConfig<Cc2dConfig>(layout);
  if (run.method !== 'cc2d') throw new Error(`run ${cc2dDir} is a "${run.method}" run, not cc2d`);
  // The trained weights replace any backbone init: do not read the backbone file again.
  const config: Cc2dConfig = {
    ...run.method_config,
    device: opts.device ?? run.method_config.device,
    backboneWeights: undefined,
  };
  const file = opts.file ?? layout.finalCheckpoint(STAGE1);
  return { config, net: loadModelWeights(buildStage1Net(config), file, config.device) };
}
