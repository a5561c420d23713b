/**
 * A whole CC2D run: cache the training images at the training grid, stage 1, pseudo-labels,
 * stage 2. Every part resumes: a stage with a final checkpoint is skipped, one with periodic
 * checkpoints continues from the newest, pseudo-labels are reused once written.
 *
 * The trainer sees the training images without labels (ImageRef carries none); the template's
 * landmarks are the only labels it receives.
 */
import * as fs from 'node:fs';
import { tidy, type Tensor } from '../../engine';
import { logEvents } from '../../runs/eventsLog';
import { openRun } from '../../runs/openRun';
import { buildStack, type ImageRef, type ImageStack } from '../../runs/imageStack';
import { templateIndexOf, type OneShotRunInput } from '../../runs/oneShot';
import { RunLayout } from '../../runs/layout';
import type { StageResult } from '../../runs/loop';
import { ProgressStream, StageMeter } from '../../runs/progress';
import { validateConfig, type Cc2dConfig } from './config';
import type { EmbeddingNet } from './nets';
import { toGrid } from '../shared/geometry';
import {
  loadPseudoLabelsIfWhole,
  predictTrainingSet,
  savePseudoLabels,
  type PseudoLabels,
} from './pseudoLabels';
import { templateEmbeddings } from './stage1/infer';
import { STAGE1, trainStage1 } from './stage1/train';
import { STAGE2, trainStage2 } from './stage2/train';
import { saveTemplate } from './template';

export const PSEUDO_LABELS = 'pseudo-labels.json';

/** Training images (template included) come unlabelled; the template's landmarks are the only labels. */
export interface Cc2dTrainInput extends OneShotRunInput {
  config: Cc2dConfig;
  /** Tests: stop a stage after this many steps, as a kill would. */
  stopAfter?: { stage1?: number; stage2?: number };
}

export interface Cc2dTrainResult {
  config: Cc2dConfig;
  stage1: StageResult;
  pseudo: PseudoLabels;
  stage2: StageResult | null;
  /** True when a stage was stopped early (abort or stopAfter). */
  stopped: boolean;
}

async function cacheStack(
  refs: ImageRef[],
  size: number,
  c: Cc2dConfig,
  progress?: ProgressStream,
): Promise<ImageStack> {
  const meter = new StageMeter(progress, `cache ${size}px`, refs.length);
  return buildStack(refs, size, { device: c.device, onProgress: (done) => meter.tick(done) });
}

export async function trainCc2d(input: Cc2dTrainInput): Promise<Cc2dTrainResult> {
  const layout = new RunLayout(input.runDir);
  const config = openRun(input, layout, {
    method: 'cc2d',
    config: input.config,
    stageConfigs: [STAGE1, ...(input.config.stage2.enabled ? [STAGE2] : [])],
  }).method_config;
  validateConfig(config);
  const progress = input.progress ?? new ProgressStream();
  const off = logEvents(progress, layout.events);
  const tIndex = templateIndexOf(input);
  const stacks: ImageStack[] = [];
  try {
    const s1 = config.stage1;
    const stack1 = await cacheStack(input.images, s1.size, config, progress);
    stacks.push(stack1);
    const tSize = stack1.sizes[tIndex];
    const templateImage = tidy(() => stack1.tensor.narrow(0, tIndex, 1).contiguous());
    await saveTemplate(
      layout.root,
      {
        id: input.templateId,
        width: tSize.width,
        height: tSize.height,
        landmarkSet: input.landmarkSet,
        landmarks: input.templateLandmarks,
      },
      templateImage,
    );

    const st1 = await trainStage1({
      config,
      stack: stack1.tensor,
      layout,
      progress,
      signal: input.signal,
      stopAfter: input.stopAfter?.stage1,
    });
    if (st1.result.aborted) {
      st1.net.dispose();
      templateImage.dispose();
      return { config, stage1: st1.result, pseudo: emptyPseudo(input), stage2: null, stopped: true };
    }

    const pseudo = await stage1PseudoLabels(input, config, layout, st1.net, stack1, templateImage, progress);
    // Stage 2 may start from stage 1's encoder and decoder (same shapes only): its features
    // already tell landmarks apart, so the heatmap head has less to learn.
    let init: Map<string, Tensor> | undefined;
    if (config.stage2.enabled && config.stage2.initFromStage1) {
      init = new Map();
      for (const [k, t] of st1.net.module.stateDict()) if (!k.startsWith('heads.')) init.set(k, t.clone());
    }
    st1.net.dispose();
    templateImage.dispose();

    let stage2: StageResult | null = null;
    if (config.stage2.enabled) {
      const S2 = config.stage2.size;
      const stack2 = S2 === s1.size ? stack1 : await cacheStack(input.images, S2, config, progress);
      if (stack2 !== stack1) stacks.push(stack2);
      const labels = pseudo.points.map((row, i) =>
        row.map((p) => (p ? toGrid(p, stack2.sizes[i].width, stack2.sizes[i].height, S2) : null)),
      );
      const st2 = await trainStage2({
        config,
        stack: stack2.tensor,
        labels,
        templateIndex: tIndex,
        layout,
        progress,
        signal: input.signal,
        stopAfter: input.stopAfter?.stage2,
        init,
      });
      if (init) for (const t of init.values()) t.dispose();
      st2.net.dispose();
      stage2 = st2.result;
    }
    return { config, stage1: st1.result, pseudo, stage2, stopped: !!stage2?.aborted };
  } finally {
    for (const s of stacks) s.tensor.dispose();
    off();
  }
}

/**
 * Stage 1's pseudo-labels of the training images (original pixels): the saved ones when whole,
 * else predicted and saved. None while stage 2 is off: a resumed run that enables it makes them.
 */
async function stage1PseudoLabels(
  input: Cc2dTrainInput,
  config: Cc2dConfig,
  layout: RunLayout,
  net: EmbeddingNet,
  stack: ImageStack,
  templateImage: Tensor,
  progress: ProgressStream,
): Promise<PseudoLabels> {
  if (!config.stage2.enabled) return emptyPseudo(input);
  const file = layout.artefact(STAGE1, PSEUDO_LABELS);
  const saved = fs.existsSync(file) ? loadPseudoLabelsIfWhole(file) : null;
  if (saved) return saved;
  const size = stack.sizes[stack.ids.indexOf(input.templateId)];
  const gridPoints = input.templateLandmarks.map((p) =>
    p ? toGrid(p, size.width, size.height, config.stage1.size) : { x: 0, y: 0 },
  );
  const templ: Tensor[] = templateEmbeddings((x) => net.embed(x), templateImage, gridPoints);
  const pseudo = predictTrainingSet(
    net,
    templ,
    stack,
    { id: input.templateId, landmarks: input.templateLandmarks },
    { progress },
  );
  for (const t of templ) t.dispose();
  savePseudoLabels(file, pseudo);
  return pseudo;
}

function emptyPseudo(input: Cc2dTrainInput): PseudoLabels {
  return { ids: [], points: [], confidence: [], templateId: input.templateId };
}
