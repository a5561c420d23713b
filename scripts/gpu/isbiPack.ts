/**
 * A compact copy of the ISBI 2015 images for the GPU machine, which cannot reach ../shared:
 * each image as the training pipeline sees it at `size`×`size` (squashed, [0, 1], stored as
 * round(255·v), which is what /255 normalisation of the 8-bit originals gives back to within
 * 1/510), plus its original size and spacing. Only template 125's landmarks travel; no other label.
 *
 * Layout: u32 header length, header JSON, then N·size² bytes.
 */
import * as fs from 'node:fs';
import type { LandmarkSet, Point, Spacing } from '../../src/data/types';
import type { ImageRef } from '../../src/runs/imageStack';

export interface IsbiPackHeader {
  size: number;
  templateId: string;
  templateLandmarks: (Point | null)[];
  landmarkSet: LandmarkSet;
  images: { id: string; split: string; width: number; height: number; spacing?: Spacing }[];
}

export function writeIsbiPack(file: string, header: IsbiPackHeader, pixels: Uint8Array): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  fs.writeFileSync(file, Buffer.concat([len, json, pixels]));
}

export function readIsbiPack(file: string): { header: IsbiPackHeader; refs: Map<string, ImageRef> } {
  const buf = fs.readFileSync(file);
  const n = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as IsbiPackHeader;
  const s = header.size;
  const refs = new Map<string, ImageRef>();
  header.images.forEach((im, i) => {
    const start = 4 + n + i * s * s;
    if (start + s * s > buf.length) throw new Error(`${file}: truncated at image ${im.id}`);
    const data = new Uint8Array(buf.buffer, buf.byteOffset + start, s * s);
    refs.set(im.id, {
      id: im.id,
      load: async () => ({
        width: s,
        height: s,
        data,
        bitsStored: 8,
        spacing: im.spacing!,
        source: { path: `${file}#${im.id}`, format: 'png' },
        original: { width: im.width, height: im.height, spacing: im.spacing },
      }),
    });
  });
  return { header, refs };
}
