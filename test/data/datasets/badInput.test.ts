/**
 * Bad input in a batch: each case gets a clear problem naming the file and what is wrong, and the
 * rest of the batch still loads ({items, problems} instead of a throw on the first bad file).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem, openFolderDataset, openIsbi2015 } from '../../../src/data';
import { encodeJpegBaseline } from '../helpers/codecs';
import { TS, writeDicom } from '../helpers/dicomWriter';
import { IMG_H, IMG_W, smoothImage, writeIsbiLayout, writePng } from '../helpers/fixtures';
import { makeTempDir } from '../helpers/imageWriters';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await writePng(join(dir, 'good1.png'), 1);
  await writePng(join(dir, 'good2.png'), 2);
});
afterEach(() => cleanup());

describe('bad input: one clear problem, the rest of the batch loads', () => {
  it('truncated JPEG', async () => {
    const jpeg = await encodeJpegBaseline(smoothImage(3), IMG_W, IMG_H, 1, 90);
    await writeFile(join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    const ds = await openFolderDataset(dir);
    const { items, problems } = await ds.loadBatch(ds.items);
    expect(items.map((l) => l.item.id)).toEqual(['good1', 'good2']);
    expect(problems).toEqual([
      {
        kind: 'image',
        path: join(dir, 'cut.jpg'),
        itemId: 'cut',
        message: 'truncated JPEG: the end-of-image marker is missing',
      },
    ]);
    expect(formatProblem(problems[0]!)).toBe(
      `${join(dir, 'cut.jpg')}: truncated JPEG: the end-of-image marker is missing`,
    );
  });

  it('DICOM with an unsupported transfer syntax', async () => {
    await writeFile(
      join(dir, 'video.dcm'),
      writeDicom({
        transferSyntax: TS.mpeg2,
        rows: IMG_H,
        columns: IMG_W,
        bitsAllocated: 8,
        fragments: [new Uint8Array(32)],
      }),
    );
    const ds = await openFolderDataset(dir);
    const { items, problems } = await ds.loadBatch(ds.items, { longSide: 24, cacheDir: join(dir, '.cache') });
    expect(items.map((l) => [l.item.id, l.image.width])).toEqual([
      ['good1', 24],
      ['good2', 24],
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(join(dir, 'video.dcm'));
    expect(problems[0]!.message).toBe(
      'unsupported DICOM transfer syntax: MPEG2 Main Profile (1.2.840.10008.1.2.4.100); supported are uncompressed, JPEG baseline, JPEG lossless, JPEG-LS, JPEG 2000 and RLE',
    );
  });

  it('wrong number of landmarks (ISBI txt)', async () => {
    await writeIsbiLayout(dir);
    await writeFile(
      join(dir, 'AnnotationsByMD', '400_senior', '004.txt'),
      Array.from({ length: 18 }, () => '5,5').join('\n'),
    );
    const ds = await openIsbi2015(dir);
    expect(ds.problems).toEqual([
      {
        kind: 'landmarks',
        path: join(dir, 'AnnotationsByMD', '400_senior', '004.txt'),
        itemId: '004',
        message: "wrong number of landmarks: expected 19 lines 'x,y', found 18 (file ends)",
      },
    ]);
    expect(ds.item('004')!.landmarks).toBeNull();
    expect(ds.items.filter((i) => i.landmarks).map((i) => i.id)).toEqual(['001', '002', '003', '005']);
  });

  it('non-numeric or NaN coordinates (CSV)', async () => {
    await writePng(join(dir, 'good3.png'), 3);
    await writeFile(
      join(dir, 'landmarks.csv'),
      'image,landmark_id,x_px,y_px\ngood1,1,abc,2\ngood2,1,NaN,2\ngood3,1,3,4\n',
    );
    const ds = await openFolderDataset(dir);
    expect(ds.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      [join(dir, 'landmarks.csv'), 2, "image 'good1': non-numeric x_px of landmark 1: 'abc'"],
      [join(dir, 'landmarks.csv'), 3, "image 'good2': x_px of landmark 1 is not a finite number: 'NaN'"],
    ]);
    expect(ds.item('good1')!.landmarks).toBeNull();
    expect(ds.item('good3')!.landmarks).toEqual([{ id: 1, point: { x: 3, y: 4 }, source: 'gt' }]);
    const { items } = await ds.loadBatch(ds.items);
    expect(items).toHaveLength(3); // the images themselves still load
  });

  it('duplicate ids (CSV)', async () => {
    await writeFile(
      join(dir, 'landmarks.csv'),
      'image,landmark_id,x_px,y_px\ngood1,1,1,1\ngood1,1,2,2\ngood2,1,3,3\n',
    );
    const ds = await openFolderDataset(dir);
    expect(ds.problems).toEqual([
      {
        kind: 'landmarks',
        path: join(dir, 'landmarks.csv'),
        line: 3,
        itemId: 'good1',
        message: "image 'good1': duplicate landmark id 1 (first on line 2)",
      },
    ]);
    expect(ds.item('good1')!.landmarks).toBeNull();
    expect(ds.item('good2')!.landmarks).toHaveLength(1);
  });
});
