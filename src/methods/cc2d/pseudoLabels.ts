/**
 * Stage-1 predictions on the training images, the pseudo-labels of stage 2 (METHODS §2). Stored
 * in the run (stage1/pseudo-labels.json) so a resumed stage 2 trains on the very same labels.
 * The template keeps its true labels.
 */
import * as fs from 'node:fs';
import { Tensor, tidy } from '../../engine';
import type { Point } from '../../data/types';
import type { ImageStack } from '../../runs/imageStack';
import type { ProgressStream } from '../../runs/progress';
import { StageMeter } from '../../runs/progress';
import { fromGrid } from '../shared/geometry';
import type { EmbeddingNet } from './nets';
import { cascadeInfer } from './stage1/infer';
import { writeFileAtomicSync } from '../../runs/atomicFile';

export interface PseudoLabels {
  ids: string[];
  /** Original pixels, per image, per landmark. */
  points: (Point | null)[][];
  confidence: (number | null)[][];
  templateId: string;
}

export function predictTrainingSet(
  net: EmbeddingNet,
  templ: Tensor[],
  stack: ImageStack,
  template: { id: string; landmarks: (Point | null)[] },
  opts: { batch?: number; progress?: ProgressStream } = {},
): PseudoLabels {
  const n = stack.ids.length;
  const batch = opts.batch ?? 4;
  const meter = new StageMeter(opts.progress, 'pseudo-labels', n);
  const points: (Point | null)[][] = [];
  const confidence: (number | null)[][] = [];
  const missing = template.landmarks.map((p) => p === null);
  for (let s = 0; s < n; s += batch) {
    const count = Math.min(batch, n - s);
    const images = tidy(() => stack.tensor.narrow(0, s, count).contiguous());
    const r = cascadeInfer((x) => net.embed(x), templ, images);
    images.dispose();
    for (let b = 0; b < count; b++) {
      const i = s + b;
      const { width, height } = stack.sizes[i];
      if (stack.ids[i] === template.id) {
        points.push(template.landmarks.map((p) => (p ? { ...p } : null)));
        confidence.push(template.landmarks.map((p) => (p ? 1 : null)));
      } else {
        points.push(r.points[b].map((p, k) => (missing[k] ? null : fromGrid(p, width, height, stack.size))));
        confidence.push(r.confidence[b].map((c, k) => (missing[k] ? null : c)));
      }
    }
    meter.tick(s + count);
  }
  return { ids: [...stack.ids], points, confidence, templateId: template.id };
}

export function savePseudoLabels(file: string, pl: PseudoLabels): void {
  writeFileAtomicSync(file, JSON.stringify(pl) + '\n');
}

/**
 * The saved pseudo-labels, or null when the file is torn (a kill during a write by a version
 * that wrote in place): they are recomputed from stage 1's final model, so a damaged copy costs
 * seconds rather than a run stuck until someone deletes the file.
 */
export function loadPseudoLabelsIfWhole(file: string): PseudoLabels | null {
  try {
    const pl = JSON.parse(fs.readFileSync(file, 'utf8')) as PseudoLabels;
    return Array.isArray(pl.points) && Array.isArray(pl.ids) ? pl : null;
  } catch {
    return null;
  }
}

export function loadPseudoLabels(file: string): PseudoLabels {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PseudoLabels;
  } catch (e) {
    throw new Error(`pseudo-labels ${file}: cannot read (${(e as Error).message})`);
  }
}
