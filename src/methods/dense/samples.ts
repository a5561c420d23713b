/**
 * Where a dense stage's training samples come from: whole images at the stage's grid (the paper's
 * form) or one crop per landmark around its label (the cascade form, dense/crops.ts). Both give the
 * network input and the labels on its grid, and predict the training images for Train-PL.
 */
import { Tensor, tidy } from '../../engine';
import type { Point } from '../../data/types';
import { IDENTITY, applyAugment, augmentPoint, drawAugment, type Augment } from '../shared/augment';
import { drawIndices } from '../shared/sampling';
import type { DenseConfig } from './config';
import { cutCrops, drawCrop, predictCrops, toCrop, type CropDraw } from './crops';
import { predictStack } from './labels';
import type { DenseLandmarkNet } from './nets';
import { augmentTemplate, drawWarp, type TemplateWarp } from './templateAugment';

type GridLabels = (Point | null)[][];

/** One step's draws on the host, turned into tensors by `inputs`. */
export interface SampleSource<B> {
  draw(labels: GridLabels): B;
  /** The network input and its labels on the network's grid. */
  inputs(b: B): { images: Tensor; points: GridLabels };
  /** Every training image's landmarks on the stack's grid (Train-PL). */
  predict(net: DenseLandmarkNet): { points: Point[][]; confidence: number[][] };
}

export interface SampleContext {
  config: DenseConfig;
  /** (M, 1, S, S): the training images at the stack's grid (the crop grid in crop form). */
  stack: Tensor;
  templateIndex: number;
  /** Infer-PL labels on the stack's grid (the template's row is its truth). */
  anchor: GridLabels;
  /** Disk radius on the network's grid. */
  radius: number;
}

/** Pseudo-labelled images drawn for one step, then the template's plain copies. */
function drawImages(ctx: SampleContext): number[] {
  const c = ctx.config.dense;
  const M = ctx.stack.shape[0];
  const pseudo = Array.from({ length: M }, (_, i) => i).filter((i) => i !== ctx.templateIndex);
  const chosen = pseudo.length ? drawIndices(pseudo.length, c.batchPseudo).map((k) => pseudo[k]) : [];
  return [...chosen, ...Array<number>(c.templateCopies).fill(ctx.templateIndex)];
}

interface ImageBatch {
  indices: number[];
  augs: Augment[];
  points: GridLabels;
  warps: TemplateWarp[];
}

/** Whole images at `dense.size`, augmented; C-ATD's warped template copies appended. */
export function wholeImages(ctx: SampleContext, templateImage: Tensor): SampleSource<ImageBatch> {
  const c = ctx.config.dense;
  const templateGrid = ctx.anchor[ctx.templateIndex];
  return {
    draw: (labels) => {
      const indices = drawImages(ctx);
      const augs = indices.map((i) => (i === ctx.templateIndex ? IDENTITY : drawAugment(c.augment)));
      const points = indices.map((i, k) =>
        labels[i].map((p) => (p ? augmentPoint(augs[k], p, c.size) : null)),
      );
      const aug = ctx.config.templateAug;
      const warps = aug ? Array.from({ length: aug.copies }, () => drawWarp(aug)) : [];
      return { indices, augs, points, warps };
    },
    inputs: (b) => {
      const parts: Tensor[] = [];
      const points = [...b.points];
      if (b.indices.length) {
        const idx = Tensor.from(Int32Array.from(b.indices), [b.indices.length], {
          device: ctx.stack.device,
        }).long();
        parts.push(applyAugment(ctx.stack.indexSelect(0, idx), b.augs));
      }
      if (b.warps.length) {
        const warped = augmentTemplate(templateImage, templateGrid, b.warps);
        parts.push(warped.images);
        points.push(...warped.points);
      }
      return { images: parts.length === 1 ? parts[0] : Tensor.cat(parts, 0), points };
    },
    predict: (net) => predictStack(net, ctx.stack, ctx.radius),
  };
}

interface CropBatch {
  indices: number[];
  draws: CropDraw[][];
  points: GridLabels;
}

/**
 * One crop per landmark around its label, moved by the crop jitter; pseudo-labelled images get
 * the stage's augmentation, C-ATD's template copies the template augmentation (similarity,
 * intensity, gamma) on top of plain template crops.
 */
export function landmarkCrops(ctx: SampleContext): SampleSource<CropBatch> {
  const c = ctx.config.dense;
  const crops = c.crops!;
  const fine = ctx.stack.shape[2];
  const aug = ctx.config.templateAug;
  const plainJitter = { rotationDeg: 0, scale: 0, brightness: 0, contrast: 0, gamma: 0 };
  const pseudoJitter = { ...c.augment, gamma: 0 };
  return {
    draw: (labels) => {
      const plain = drawImages(ctx);
      const indices = [...plain, ...Array<number>(aug?.copies ?? 0).fill(ctx.templateIndex)];
      const draws = indices.map((i, k) => {
        const ranges = k >= plain.length ? aug! : i === ctx.templateIndex ? plainJitter : pseudoJitter;
        return labels[i].map((p) => drawCrop(p, fine, c.size, crops.jitter, ranges));
      });
      const points = indices.map((i, k) => labels[i].map((p, j) => (p ? toCrop(p, draws[k][j], c.size) : null)));
      return { indices, draws, points };
    },
    inputs: (b) => {
      const images = tidy(() => {
        const idx = Tensor.from(Int32Array.from(b.indices), [b.indices.length], {
          device: ctx.stack.device,
        }).long();
        return cutCrops(ctx.stack.indexSelect(0, idx), b.draws, c.size);
      });
      return { images, points: b.points };
    },
    predict: (net) => predictCrops(net, ctx.stack, ctx.anchor, c.size, ctx.radius),
  };
}
