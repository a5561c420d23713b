/**
 * Infer-PL: CC2D stage-1 predictions on the training images, read from a CC2D run's
 * stage1/pseudo-labels.json, or made from its finished stage-1 network when the run has none
 * (CC2D writes them only when its own stage 2 is enabled). Saved where CC2D itself would put them,
 * so every method sharing the run reads the very same labels.
 */
import type { Device } from '../../engine';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tidy, type Tensor } from '../../engine';
import type { Point } from '../../data/types';
import { readRunConfig } from '../../runs/config';
import { buildStack, type ImageRef } from '../../runs/imageStack';
import { RunLayout } from '../../runs/layout';
import { StageMeter, type ProgressStream } from '../../runs/progress';
import type { Cc2dConfig } from '../cc2d/config';
import { toGrid } from '../shared/geometry';
import {
  loadPseudoLabels,
  predictTrainingSet,
  savePseudoLabels,
  type PseudoLabels,
} from '../cc2d/pseudoLabels';
import { templateEmbeddings } from '../cc2d/stage1/infer';
import { loadStage1Net } from '../cc2d/stage1/load';
import { STAGE1 } from '../cc2d/stage1/train';
import { PSEUDO_LABELS } from '../cc2d/train';

export async function stage1PseudoLabelsOf(
  cc2dDir: string,
  input: { images: ImageRef[]; templateId: string; templateLandmarks: (Point | null)[] },
  opts: { device?: Device; progress?: ProgressStream } = {},
): Promise<PseudoLabels> {
  const file = path.join(cc2dDir, STAGE1, PSEUDO_LABELS);
  if (fs.existsSync(file)) {
    const pl = loadPseudoLabels(file);
    if (pl.templateId !== input.templateId)
      throw new Error(`${file}: made with template ${pl.templateId}, not ${input.templateId}`);
    return pl;
  }
  const layout = new RunLayout(cc2dDir);
  const run = readRunConfig<Cc2dConfig>(layout);
  if (run.method !== 'cc2d') throw new Error(`stage-1 run ${cc2dDir} is a "${run.method}" run, not cc2d`);
  if (run.data.templateId !== input.templateId)
    throw new Error(
      `stage-1 run ${cc2dDir} was trained with template ${run.data.templateId}, not ${input.templateId}`,
    );
  const ckFile = layout.finalCheckpoint(STAGE1);
  if (!fs.existsSync(ckFile))
    throw new Error(`stage-1 run ${cc2dDir}: stage 1 has not finished (no ${ckFile})`);
  const { config: cfg, net } = loadStage1Net(cc2dDir, { device: opts.device });
  const device = cfg.device;
  const S = cfg.stage1.size;
  const meter = new StageMeter(opts.progress, `cache ${S}px`, input.images.length);
  const stack = await buildStack(input.images, S, {
    device,
    onProgress: (d) => meter.tick(d),
  });
  let templ: Tensor[] = [];
  try {
    const t = stack.ids.indexOf(input.templateId);
    if (t < 0) throw new Error(`template ${input.templateId} is not among the training images`);
    const { width, height } = stack.sizes[t];
    const image = tidy(() => stack.tensor.narrow(0, t, 1).contiguous());
    const pts = input.templateLandmarks.map((p) => (p ? toGrid(p, width, height, S) : { x: 0, y: 0 }));
    templ = templateEmbeddings((x) => net.embed(x), image, pts);
    image.dispose();
    const pl = predictTrainingSet(
      net,
      templ,
      stack,
      { id: input.templateId, landmarks: input.templateLandmarks },
      { progress: opts.progress },
    );
    savePseudoLabels(file, pl);
    return pl;
  } finally {
    for (const x of templ) x.dispose();
    stack.tensor.dispose();
    net.dispose();
  }
}
