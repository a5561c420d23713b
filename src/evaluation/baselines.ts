/**
 * Reference predictions that need no training, to put a method's figures in context. The
 * template-copy baseline predicts the template's own coordinates on every image: the floor a
 * one-shot method must beat (about 11.1 mm MRE on ISBI 2015 Test1 with template 125).
 */
import type { AnnotationSet, Dataset, DatasetItem } from '../data';

/** An item by id, accepting an unpadded number for zero-padded ids ("1" for "001"). */
export function findItem(ds: Dataset, id: string): DatasetItem | undefined {
  const exact = ds.item(id);
  if (exact) return exact;
  if (/^\d+$/.test(id)) return ds.items.find((it) => /^\d+$/.test(it.id) && Number(it.id) === Number(id));
  return undefined;
}

/**
 * The template's landmarks copied onto every image of the given splits (all when none). Only the
 * template's label is read, as the one-shot setting allows.
 */
export function templateCopy(ds: Dataset, templateId: string, splits: readonly string[] = []): AnnotationSet {
  const template = findItem(ds, templateId);
  if (!template) throw new Error(`${ds.root}: no image with id '${templateId}'`);
  if (!template.landmarks || template.landmarks.every((l) => !l.point)) {
    throw new Error(`${ds.root}: template image ${template.id} has no landmarks`);
  }
  const items = splits.length > 0 ? ds.split(...splits) : ds.items;
  return {
    landmarkSet: ds.landmarkSet,
    images: items.map((it) => ({
      imageId: it.id,
      landmarks: template.landmarks!.map((l) => ({
        id: l.id,
        point: l.point ? { ...l.point } : null,
        source: 'template',
      })),
      ...(it.spacing.source !== 'none' ? { spacing: { ...it.spacing } } : {}),
    })),
    meta: {
      method: 'template-copy',
      modelCount: 0,
      seed: 'none (deterministic)',
      template: template.id,
      dataset: ds.name,
      datasetRoot: ds.root,
      splits: splits.length > 0 ? [...splits] : 'all',
      createdAt: new Date().toISOString(),
    },
  };
}
