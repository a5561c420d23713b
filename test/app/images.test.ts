/** Import and display decoding: every format reaches the viewer as 8- or 16-bit grey with windows. */
import { encode } from 'fast-png';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../src/api/service/service';
import type { OneMarkApi } from '../../src/api/contract/types';
import { TS, le16, writeDicom } from '../data/helpers/dicomWriter';

let tmp: string;
let api: OneMarkApi;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-images-'));
  api = createApiService({ stateDir: path.join(tmp, 'state') });
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('project images', () => {
  it('serves a 16-bit image as Uint16 pixels with full-range and auto windows, downscaled on request', async () => {
    const w = 40;
    const h = 20;
    const data = new Uint16Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = 1000 + (i % w) * 100; // 1000..4900
    await mkdir(path.join(tmp, 'deep'));
    await writeFile(
      path.join(tmp, 'deep', 'ct.png'),
      encode({ width: w, height: h, data, channels: 1, depth: 16 }),
    );
    const dir = path.join(tmp, 'p16');
    await api.createProject({ path: dir, name: 'deep' });
    await api.importImages(dir, { paths: [path.join(tmp, 'deep', 'ct.png')], mode: 'copy' });
    const px = await api.imagePixels(dir, 'ct');
    expect(px.pixels).toBeInstanceOf(Uint16Array);
    expect([px.width, px.height, px.originalWidth, px.originalHeight, px.maxValue]).toEqual([
      40, 20, 40, 20, 65535,
    ]);
    expect(px.pixels[0]).toBe(0);
    expect(px.pixels[w - 1]).toBe(65535);
    expect(px.windows.map((x) => x.name)).toEqual(['Full range', 'Auto (1–99 %)']);
    expect(px.windows[1].width).toBeLessThan(px.windows[0].width + 1);
    const small = await api.imagePixels(dir, 'ct', 16);
    expect([small.width, small.height, small.originalWidth]).toEqual([16, 8, 40]);
  });

  it('refuses files that are not images and paths that do not exist, naming them', async () => {
    const dir = path.join(tmp, 'pbad');
    await api.createProject({ path: dir, name: 'bad' });
    await writeFile(path.join(tmp, 'notes.txt'), 'x');
    await expect(
      api.importImages(dir, { paths: [path.join(tmp, 'notes.txt')], mode: 'reference' }),
    ).rejects.toThrow(/notes\.txt is not an image file/);
    await expect(
      api.importImages(dir, { paths: [path.join(tmp, 'nope.png')], mode: 'reference' }),
    ).rejects.toThrow(/nope\.png does not exist/);
    await expect(api.importImages(dir, { paths: ['rel.png'], mode: 'reference' })).rejects.toThrow(
      /absolute path/,
    );
    await expect(api.imagePixels(dir, 'ct', 3)).rejects.toThrow(/has no image "ct"/);
  });

  it('keeps referenced paths outside the project absolute and ids unique', async () => {
    await mkdir(path.join(tmp, 'a'));
    await mkdir(path.join(tmp, 'b'));
    const img = encode({ width: 4, height: 4, data: new Uint8Array(16), channels: 1, depth: 8 });
    await writeFile(path.join(tmp, 'a', 'x.png'), img);
    await writeFile(path.join(tmp, 'b', 'x.png'), img);
    const dir = path.join(tmp, 'pref');
    await api.createProject({ path: dir, name: 'ref' });
    const p = await api.importImages(dir, {
      paths: [path.join(tmp, 'a'), path.join(tmp, 'b')],
      mode: 'reference',
    });
    expect(p.images).toEqual([
      { id: 'x', file: path.join(tmp, 'a', 'x.png') },
      { id: 'x-2', file: path.join(tmp, 'b', 'x.png') },
    ]);
    expect((await api.imagePixels(dir, 'x-2')).pixels).toBeInstanceOf(Uint8Array);
  });

  it('hands DICOM files to the viewer as their stored bytes, and refuses other formats', async () => {
    const dicom = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: 4,
      columns: 6,
      pixelData: le16(Array.from({ length: 24 }, (_, i) => i * 100)),
    });
    await mkdir(path.join(tmp, 'dcm'));
    await writeFile(path.join(tmp, 'dcm', 'ceph.dcm'), dicom);
    const png = encode({ width: 4, height: 4, data: new Uint8Array(16), channels: 1, depth: 8 });
    await writeFile(path.join(tmp, 'dcm', 'plain.png'), png);
    const dir = path.join(tmp, 'pdcm');
    await api.createProject({ path: dir, name: 'dicom' });
    await api.importImages(dir, { paths: [path.join(tmp, 'dcm')], mode: 'reference' });
    const bytes = await api.dicomFile(dir, 'ceph');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.constructor).toBe(Uint8Array);
    expect(Buffer.from(bytes).equals(Buffer.from(dicom))).toBe(true);
    await expect(api.dicomFile(dir, 'plain')).rejects.toThrow(/"plain" .* is not a DICOM file/);
    await expect(api.dicomFile(dir, 'nope')).rejects.toThrow(/has no image "nope"/);
  });
});
