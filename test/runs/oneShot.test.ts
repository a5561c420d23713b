import { describe, expect, it } from 'vitest';
import type { Dataset, DatasetItem } from '../../src/data/datasets/types';
import type { LandmarkSet } from '../../src/data/types';
import { oneShotTrainingView } from '../../src/runs/oneShot';

const landmarkSet: LandmarkSet = {
  name: 'two',
  landmarks: [
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
  ],
} as LandmarkSet;

function item(id: string, split: string, x: number): DatasetItem {
  return {
    id,
    split,
    imagePath: `/nowhere/${id}.png`,
    spacing: { x: 0.1, y: 0.1, source: 'dataset' } as DatasetItem['spacing'],
    landmarks: [
      { id: 1, point: { x, y: 1 } },
      { id: 2, point: { x: x + 1, y: 2 } },
    ],
  };
}

const items = [item('t', 'train', 10), item('u', 'train', 20), item('v', 'train', 30), item('w', 'test', 40)];
const seen: DatasetItem[] = [];
const ds = {
  root: '/nowhere',
  landmarkSet,
  items,
  split: (...names: string[]) => items.filter((i) => names.includes(i.split)),
  loadScaled: async (it: DatasetItem) => {
    seen.push(it);
    throw new Error('not loaded in this test');
  },
} as unknown as Dataset;

describe('oneShotTrainingView', () => {
  it("takes the training split with the template's labels only", async () => {
    const v = oneShotTrainingView(ds, 't');
    expect(v.images.map((r) => r.id)).toEqual(['t', 'u', 'v']);
    expect(v.templateId).toBe('t');
    expect(v.templateLandmarks).toEqual([
      { x: 10, y: 1 },
      { x: 11, y: 2 },
    ]);
    // What a loader receives for a non-template image carries no labels.
    await expect(v.images[1].load(64)).rejects.toThrow('not loaded');
    expect(seen.at(-1)).toMatchObject({ id: 'u', landmarks: null });
  });

  it('names a template that is not in the split', () => {
    expect(() => oneShotTrainingView(ds, 'w')).toThrow(/template w is not among the 3 training images/);
  });
});
