import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectDataset, isIsbi2015Root, openDataset, openIsbi2015 } from '../../../src/data';
import { doctor, IMG_H, IMG_W, writeIsbiLayout } from '../helpers/fixtures';
import { makeTempDir } from '../helpers/imageWriters';

describe('ISBI 2015 layout (synthetic)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    await writeIsbiLayout(root);
  });
  afterAll(() => cleanup());

  it('is recognised and opened lazily with splits and 0.1 mm spacing', async () => {
    expect(await isIsbi2015Root(root)).toBe(true);
    const ds = await openDataset(root);
    expect(ds.kind).toBe('isbi2015');
    expect(ds.items.map((i) => `${i.split}:${i.id}`)).toEqual([
      'train:001',
      'train:002',
      'train:003',
      'test1:004',
      'test1:005',
      'test2:006',
      'test2:007',
    ]);
    expect(ds.items[0]!.imagePath).toMatch(/001\.bmp$/);
    expect(ds.items[1]!.spacing).toEqual({ x: 0.1, y: 0.1, source: 'dataset' });
    expect(ds.problems).toEqual([]);
  });

  it('ground truth = floor((senior + junior) / 2), Test2 unlabelled without a problem', async () => {
    const ds = await openIsbi2015(root);
    for (const id of [1, 2, 3, 4, 5]) {
      const it = ds.item(String(id).padStart(3, '0'))!;
      const s = doctor(id, 'senior');
      const j = doctor(id, 'junior');
      expect(it.landmarks!.map((v) => [v.point!.x, v.point!.y])).toEqual(
        s.map(([x, y], k) => [Math.floor((x + j[k]![0]) / 2), Math.floor((y + j[k]![1]) / 2)]),
      );
    }
    expect(ds.split('test2').every((i) => i.landmarks === null)).toBe(true);
    expect(ds.splits.find((s) => s.name === 'test2')).toMatchObject({
      count: 2,
      labelled: 0,
      labelsWithheld: true,
    });
    expect(ds.splits.find((s) => s.name === 'train')).toMatchObject({
      count: 3,
      labelled: 3,
      labelsWithheld: false,
    });
  });

  it('senior or junior alone can be chosen', async () => {
    const ds = await openIsbi2015(root, { groundTruth: 'senior' });
    expect(ds.item('002')!.landmarks!.map((v) => [v.point!.x, v.point!.y])).toEqual(doctor(2, 'senior'));
    expect(ds.groundTruthRule).toBe('senior doctor');
  });

  it('groundTruth() gives an AnnotationSet of the labelled items with spacing', async () => {
    const ds = await openIsbi2015(root);
    const gt = ds.groundTruth('test1', 'test2');
    expect(gt.images.map((a) => a.imageId)).toEqual(['004', '005']);
    expect(gt.images[0]!.spacing).toEqual({ x: 0.1, y: 0.1, source: 'dataset' });
    expect(gt.landmarkSet.landmarks).toHaveLength(19);
    expect(gt.meta).toMatchObject({ groundTruth: 'floor((senior + junior) / 2)' });
  });

  it('loads images on demand, full size and cached downscaled', async () => {
    const ds = await openIsbi2015(root);
    const img = await ds.loadImage(ds.item('001')!);
    expect([img.width, img.height, img.source.format]).toEqual([IMG_W, IMG_H, 'bmp']);
    expect(img.spacing).toEqual({ x: 0.1, y: 0.1, source: 'dataset' });
    const small = await ds.loadScaled(ds.item('002')!, 24, { cacheDir: join(root, '.cache') });
    expect([small.width, small.height]).toEqual([24, 20]);
    expect(small.spacing.x).toBeCloseTo(0.2, 10);
    expect(small.original).toMatchObject({ width: IMG_W, height: IMG_H });
  });

  it('a bad annotation file is a problem for that image only', async () => {
    const { dir, cleanup: done } = await makeTempDir();
    try {
      await writeIsbiLayout(dir);
      await writeFile(join(dir, 'AnnotationsByMD', '400_junior', '002.txt'), '1,2\n3,4\n');
      await rm(join(dir, 'AnnotationsByMD', '400_junior', '003.txt'));
      const ds = await openIsbi2015(dir);
      expect(ds.item('002')!.landmarks).toBeNull();
      expect(ds.item('003')!.landmarks).toBeNull();
      expect(ds.item('001')!.landmarks).toHaveLength(19);
      expect(ds.problems.map((p) => [p.itemId, p.message.replace(/ \(.*/, '')])).toEqual([
        ['002', "wrong number of landmarks: expected 19 lines 'x,y', found 2"],
        ['003', "junior annotation missing while the senior's exists"],
      ]);
      expect(ds.problems[0]!.path).toBe(join(dir, 'AnnotationsByMD', '400_junior', '002.txt'));
    } finally {
      await done();
    }
  });

  it('a folder without RawImage/ is refused with its path', async () => {
    await expect(openIsbi2015(join(root, 'AnnotationsByMD'))).rejects.toThrow(
      /AnnotationsByMD: not an ISBI 2015 folder: RawImage\/ not found/,
    );
  });
});

// The real benchmark copy, when this checkout sits next to ../shared.
const REAL = fileURLToPath(new URL('../../../../shared/isbi2015', import.meta.url));
const haveReal = existsSync(join(REAL, 'RawImage'));

describe.skipIf(!haveReal)(`ISBI 2015 real data at ${REAL} (skipped when absent)`, () => {
  it('finds 300 labelled images and reports Test2 as unlabelled', async () => {
    const ds = await openIsbi2015(REAL);
    expect(ds.items).toHaveLength(400);
    expect(ds.items.filter((i) => i.landmarks).length).toBe(300);
    expect(ds.splits).toEqual([
      { name: 'train', count: 150, labelled: 150, labelsWithheld: false },
      { name: 'test1', count: 150, labelled: 150, labelsWithheld: false },
      expect.objectContaining({ name: 'test2', count: 100, labelled: 0, labelsWithheld: true }),
    ]);
    expect(ds.problems).toEqual([]);
  });

  it("image 125's ground truth equals floor((senior + junior) / 2), computed here independently", async () => {
    const parse = async (who: string) =>
      (await readFile(join(REAL, 'AnnotationsByMD', who, '125.txt'), 'utf8'))
        .split(/\r?\n/)
        .slice(0, 19)
        .map((l) => l.split(',').map(Number) as [number, number]);
    const s = await parse('400_senior');
    const j = await parse('400_junior');
    const expected = s.map(([x, y], k) => ({
      x: Math.floor((x + j[k]![0]) / 2),
      y: Math.floor((y + j[k]![1]) / 2),
    }));
    const ds = await openIsbi2015(REAL);
    const item = ds.item('125')!;
    expect(item.split).toBe('train');
    expect(item.landmarks!.map((v) => v.point)).toEqual(expected);
  });

  it('decodes image 125 at 1935 x 2400 with 0.1 mm spacing', async () => {
    const ds = await openIsbi2015(REAL);
    const img = await ds.loadImage(ds.item('125')!);
    expect([img.width, img.height]).toEqual([1935, 2400]);
    expect(img.spacing).toEqual({ x: 0.1, y: 0.1, source: 'dataset' });
  });

  it('inspect (headers only) sees 400 JPEGs of one size and no problems', async () => {
    const r = await inspectDataset(await openIsbi2015(REAL));
    expect(r).toMatchObject({
      images: 400,
      labelled: 300,
      unlabelled: 100,
      unreadable: 0,
      formats: { jpeg: 400 },
    });
    expect(r.sizes).toEqual([{ width: 1935, height: 2400, count: 400 }]);
    expect(r.problems).toEqual([]);
  });
});
