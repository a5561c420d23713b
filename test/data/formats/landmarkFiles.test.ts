import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ISBI2015_LANDMARK_SET,
  landmarkFormatOf,
  loadLandmarks,
  readLandmarks,
  writeLandmarks,
  type AnnotationSet,
} from '../../../src/data';
import { withTempDir } from '../helpers/imageWriters';

const full = (k: number) =>
  ISBI2015_LANDMARK_SET.landmarks.map((l) => ({ id: l.id, point: { x: 10 * l.id + k, y: 20 * l.id + k } }));
const set: AnnotationSet = {
  landmarkSet: ISBI2015_LANDMARK_SET,
  images: [
    { imageId: '001', spacing: { x: 0.1, y: 0.1, source: 'dataset' }, landmarks: full(1) },
    { imageId: '002', spacing: { x: 0.1, y: 0.1, source: 'dataset' }, landmarks: full(2) },
  ],
  meta: { seed: 3 },
};

describe('landmark files by format', () => {
  it('picks the format from the name', () => {
    expect(landmarkFormatOf('a.mrk.json')).toBe('slicer');
    expect(landmarkFormatOf('a.JSON')).toBe('json');
    expect(landmarkFormatOf('a.csv')).toBe('csv');
    expect(landmarkFormatOf('a.txt')).toBe('isbi-txt');
    expect(landmarkFormatOf('a.xml')).toBeNull();
  });

  for (const [format, name] of [
    ['csv', 'pred.csv'],
    ['json', 'pred.json'],
    ['slicer', 'slicer-out'],
    ['isbi-txt', 'isbi-out'],
  ] as const) {
    it(`every format round-trips through files: ${format}`, async () => {
      await withTempDir(async (dir) => {
        const target = join(dir, name);
        const written = await writeLandmarks(target, set, { format });
        expect(written.length).toBe(format === 'csv' || format === 'json' ? 1 : 2);
        const back = await readLandmarks(target, {
          landmarkSet: ISBI2015_LANDMARK_SET,
          format: format === 'slicer' || format === 'isbi-txt' ? undefined : format,
          spacingFor: () => ({ x: 0.1, y: 0.1, source: 'dataset' }),
        });
        expect(back.images.map((a) => a.imageId)).toEqual(['001', '002']);
        for (const [i, a] of back.images.entries()) {
          for (const v of a.landmarks) {
            const want = set.images[i]!.landmarks.find((w) => w.id === v.id)!.point!;
            expect(v.point!.x).toBeCloseTo(want.x, 9);
            expect(v.point!.y).toBeCloseTo(want.y, 9);
          }
          expect(a.landmarks).toHaveLength(19);
        }
      });
    });
  }

  it('a folder of ISBI txt files: one bad file is a problem, the others load', async () => {
    await withTempDir(async (dir) => {
      await writeLandmarks(dir, set, { format: 'isbi-txt' });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, '003.txt'), '1,2\n3,4\n');
      const { set: back, problems } = await loadLandmarks(dir);
      expect(back.images.map((a) => a.imageId)).toEqual(['001', '002']);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe(join(dir, '003.txt'));
      expect(problems[0]!.message).toMatch(/wrong number of landmarks: expected 19/);
      expect((await readdir(dir)).length).toBe(3);
      await expect(readLandmarks(dir)).rejects.toThrow(/003\.txt: wrong number of landmarks/);
    });
  });

  it('an unknown file type is an error naming the file', async () => {
    await withTempDir(async (dir) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'a.xml'), '<x/>');
      await expect(loadLandmarks(join(dir, 'a.xml'))).rejects.toThrow(/a\.xml: unknown landmark file type/);
      await expect(loadLandmarks(join(dir, 'none.csv'))).rejects.toThrow(/none\.csv: file not found/);
    });
  });
});
