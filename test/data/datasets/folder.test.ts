import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLandmarkSet,
  formatDatasetReport,
  inspectDataset,
  openDataset,
  openFolderDataset,
} from '../../../src/data';
import { le16, TS, writeDicom } from '../helpers/dicomWriter';
import { IMG_H, IMG_W, writePng } from '../helpers/fixtures';
import { makeTempDir } from '../helpers/imageWriters';

let dir: string;
let cleanup: () => Promise<void>;
const set = createLandmarkSet('two', [{ name: 'tip', abbreviation: 'T' }, 'base']);

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await writePng(join(dir, 'a.png'), 1);
  await writePng(join(dir, 'b.png'), 2);
  await writePng(join(dir, 'c.png'), 3);
  const px = Array.from({ length: IMG_W * IMG_H }, (_, i) => i % 4096);
  await writeFile(
    join(dir, 'd.dcm'),
    writeDicom({
      transferSyntax: TS.explicitLE,
      rows: IMG_H,
      columns: IMG_W,
      bitsStored: 12,
      pixelData: le16(px),
      pixelSpacing: [0.15, 0.14],
    }),
  );
  await writeFile(join(dir, 'notes.txt'), 'not an image');
  // Image column with and without extension; mm columns give b its spacing.
  await writeFile(
    join(dir, 'landmarks.csv'),
    [
      'image,landmark_id,name,x_px,y_px,x_mm,y_mm',
      'a.png,1,tip,10,12,,',
      'a.png,2,base,,,,',
      'b,1,tip,20,10,4,2',
      'b,2,base,30,5,6,1',
      'd,1,tip,1,2,,',
      'd,2,base,3,4,,',
    ].join('\n'),
  );
});
afterAll(() => cleanup());

describe('folder of images + landmark CSV', () => {
  it('finds images, matches the CSV (with or without extensions), leaves the rest unlabelled', async () => {
    const ds = await openDataset(dir, { landmarkSet: set });
    expect(ds.kind).toBe('folder');
    expect(ds.items.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(ds.item('a')!.landmarks).toEqual([
      { id: 1, point: { x: 10, y: 12 }, source: 'gt' },
      { id: 2, point: null, source: 'gt' },
    ]);
    expect(ds.item('c')!.landmarks).toBeNull();
    expect(ds.splits).toEqual([{ name: 'all', count: 4, labelled: 3, labelsWithheld: false }]);
    expect(ds.problems).toEqual([]);
  });

  it('spacing: DICOM header, else the CSV mm columns, else the user fallback, else unknown', async () => {
    const plain = await openFolderDataset(dir, { landmarkSet: set });
    expect(plain.item('d')!.spacing).toEqual({ x: 0.14, y: 0.15, source: 'PixelSpacing' });
    expect(plain.item('b')!.spacing).toEqual({ x: 0.2, y: 0.2, source: 'dataset' });
    expect(plain.item('c')!.spacing.source).toBe('none');
    const withUser = await openFolderDataset(dir, { landmarkSet: set, spacing: { x: 0.3, y: 0.3 } });
    expect(withUser.item('c')!.spacing).toEqual({ x: 0.3, y: 0.3, source: 'user' });
    expect(withUser.item('d')!.spacing.source).toBe('PixelSpacing');
    const forced = await openFolderDataset(dir, {
      landmarkSet: set,
      spacing: { x: 0.3, y: 0.3 },
      forceSpacing: true,
    });
    expect(forced.item('d')!.spacing.source).toBe('user');
    expect((await forced.loadImage(forced.item('d')!)).spacing).toEqual({ x: 0.3, y: 0.3, source: 'user' });
  });

  it('loaded images carry the item spacing', async () => {
    const ds = await openFolderDataset(dir, { landmarkSet: set, spacing: { x: 0.3, y: 0.3 } });
    expect((await ds.loadImage(ds.item('c')!)).spacing).toEqual({ x: 0.3, y: 0.3, source: 'user' });
    expect((await ds.loadImage(ds.item('d')!)).spacing.source).toBe('PixelSpacing');
  });

  it('landmarks for an image that is not there are a problem', async () => {
    const { dir: d2, cleanup: done } = await makeTempDir();
    try {
      await writePng(join(d2, 'x.png'), 1);
      await writeFile(join(d2, 'gt.csv'), 'image,landmark_id,x_px,y_px\nx,1,1,1\nghost,1,2,2\n');
      const ds = await openFolderDataset(d2, { landmarks: join(d2, 'gt.csv') });
      expect(ds.item('x')!.landmarks).toHaveLength(1);
      expect(ds.problems).toEqual([
        expect.objectContaining({
          path: join(d2, 'gt.csv'),
          message: expect.stringMatching(/landmarks for image 'ghost', which is not in/),
        }),
      ]);
    } finally {
      await done();
    }
  });

  it('recursive scans use the relative path as id; duplicate ids are reported', async () => {
    const { dir: d3, cleanup: done } = await makeTempDir();
    try {
      await mkdir(join(d3, 'sub'));
      await writePng(join(d3, 'sub', 'p.png'), 1);
      await writePng(join(d3, 'q.png'), 1);
      await writeFile(join(d3, 'q.jpg'), 'whatever');
      const ds = await openFolderDataset(d3, { recursive: true });
      expect(ds.items.map((i) => i.id).sort()).toEqual(['q', 'sub/p']);
      expect(ds.problems[0]!.message).toMatch(/duplicate image id 'q'/);
    } finally {
      await done();
    }
  });

  it('inspect reports counts, sizes, spacing, labelled/unlabelled and formats', async () => {
    const r = await inspectDataset(await openFolderDataset(dir, { landmarkSet: set }), { decode: true });
    expect(r).toMatchObject({
      images: 4,
      labelled: 3,
      unlabelled: 1,
      unreadable: 0,
      formats: { png: 3, dicom: 1 },
      missingLandmarks: 1,
      bitDepths: { '8': 3, '12': 1 },
    });
    expect(r.sizes).toEqual([{ width: IMG_W, height: IMG_H, count: 4 }]);
    expect(r.spacings).toEqual(
      expect.arrayContaining([
        { x: 0.14, y: 0.15, source: 'PixelSpacing', count: 1 },
        { x: 0.2, y: 0.2, source: 'dataset', count: 1 },
        { x: 1, y: 1, source: 'none', count: 2 },
      ]),
    );
    expect(r.decodeMsPerImage).toBeGreaterThan(0);
    const text = formatDatasetReport(r);
    expect(text).toContain('Images: 4 (3 labelled, 1 unlabelled)');
    expect(text).toContain('Problems: none');
  });

  it('inspect flags landmarks outside the image', async () => {
    const { dir: d4, cleanup: done } = await makeTempDir();
    try {
      await writePng(join(d4, 'x.png'), 1);
      await writeFile(join(d4, 'landmarks.csv'), `image,landmark_id,x_px,y_px\nx,1,${IMG_W + 5},3\n`);
      const r = await inspectDataset(await openFolderDataset(d4));
      expect(r.problems.map((p) => p.message)).toEqual([
        `image 'x': landmark 1 at (${IMG_W + 5}, 3) lies outside the ${IMG_W} x ${IMG_H} image`,
      ]);
    } finally {
      await done();
    }
  });

  it('a missing folder is an error naming it', async () => {
    await expect(openFolderDataset(join(dir, 'nope'))).rejects.toThrow(/nope: folder not found/);
  });
});
