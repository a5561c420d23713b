/** The behaviour every dataset shares (split lookup, ground truth, image loading), over plain fields. */
import { toProblem, type DataProblem } from '../errors';
import { loadScaledImage } from '../images/cache';
import { readImage, type ReadImageOptions } from '../images/read';
import type { AnnotationSet, ImageAnnotation } from '../types';
import type { BatchOptions, BatchResult, Dataset, DatasetItem, LoadedItem } from './types';

export interface DatasetFields {
  kind: Dataset['kind'];
  name: string;
  root: string;
  landmarkSet: Dataset['landmarkSet'];
  items: DatasetItem[];
  splits: Dataset['splits'];
  problems: DataProblem[];
  groundTruthRule?: string;
  /** When true the item's spacing wins over the file's own (a user override). */
  forceSpacing?: boolean;
}

/** Read options for an item: its known spacing is the fallback for files that state none. */
export function itemReadOptions(item: DatasetItem, forceSpacing = false): ReadImageOptions {
  if (item.spacing.source === 'none') return {};
  return { spacing: { x: item.spacing.x, y: item.spacing.y, source: item.spacing.source }, forceSpacing };
}

/** Run `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export function makeDataset(f: DatasetFields): Dataset {
  const byId = new Map(f.items.map((it) => [it.id, it]));
  const force = !!f.forceSpacing;
  const ds: Dataset = {
    kind: f.kind,
    name: f.name,
    root: f.root,
    landmarkSet: f.landmarkSet,
    items: f.items,
    splits: f.splits,
    problems: f.problems,
    ...(f.groundTruthRule ? { groundTruthRule: f.groundTruthRule } : {}),
    split(...names: string[]) {
      const want = new Set(names);
      return f.items.filter((it) => want.has(it.split));
    },
    item(id: string) {
      return byId.get(id);
    },
    groundTruth(...splits: string[]): AnnotationSet {
      const want = splits.length ? new Set(splits) : null;
      const images: ImageAnnotation[] = [];
      for (const it of f.items) {
        if (!it.landmarks || (want && !want.has(it.split))) continue;
        const ann: ImageAnnotation = {
          imageId: it.id,
          landmarks: it.landmarks.map((v) => ({ ...v, source: v.source ?? 'gt' })),
        };
        if (it.spacing.source !== 'none') ann.spacing = { ...it.spacing };
        images.push(ann);
      }
      const meta: Record<string, unknown> = {
        dataset: f.name,
        kind: f.kind,
        root: f.root,
        splits: splits.length ? splits : 'all',
      };
      if (f.groundTruthRule) meta.groundTruth = f.groundTruthRule;
      return { landmarkSet: f.landmarkSet, images, meta };
    },
    loadImage(item) {
      return readImage(item.imagePath, itemReadOptions(item, force));
    },
    loadScaled(item, longSide, opts = {}) {
      return loadScaledImage(item.imagePath, longSide, { ...opts, ...itemReadOptions(item, force) });
    },
    async loadBatch(items, opts: BatchOptions = {}): Promise<BatchResult> {
      const problems: DataProblem[] = [];
      let done = 0;
      const results = await mapLimit(items, opts.concurrency ?? 2, async (item) => {
        try {
          const image =
            opts.longSide !== undefined
              ? await ds.loadScaled(item, opts.longSide, {
                  cacheDir: opts.cacheDir,
                  cache: opts.cache,
                  method: opts.method,
                })
              : await ds.loadImage(item);
          return { item, image } as LoadedItem;
        } catch (e) {
          problems.push(toProblem(e, 'image', item.imagePath, item.id));
          return null;
        } finally {
          opts.onProgress?.(++done, items.length);
        }
      });
      const order = new Map(items.map((it, i) => [it.id, i]));
      problems.sort((a, b) => (order.get(a.itemId ?? '') ?? 0) - (order.get(b.itemId ?? '') ?? 0));
      return { items: results.filter((r): r is LoadedItem => r !== null), problems };
    },
  };
  return ds;
}

/** Split summaries from items. */
export function summarizeSplits(
  items: readonly DatasetItem[],
  order: readonly string[],
  withheld: ReadonlySet<string> = new Set(),
  notes: Record<string, string> = {},
): Dataset['splits'] {
  const names = [...new Set([...order, ...items.map((i) => i.split)])];
  return names.map((name) => {
    const its = items.filter((i) => i.split === name);
    const info = {
      name,
      count: its.length,
      labelled: its.filter((i) => i.landmarks).length,
      labelsWithheld: withheld.has(name),
    };
    return notes[name] ? { ...info, note: notes[name] } : info;
  });
}
