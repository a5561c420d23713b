/** Here (with ../shared/isbi2015): `npx tsx scripts/gpu/pack-isbi.ts [size] [out]` → .gpu/isbi<size>.bin */
import * as path from 'node:path';
import { ISBI2015_TEMPLATE_ID, openIsbi2015 } from '../../src/data/datasets/isbi2015';
import { loadSquare } from '../../src/runs/imageStack';
import { datasetRef } from '../../src/runs/oneShot';
import { writeIsbiPack, type IsbiPackHeader } from './isbiPack';

const size = Number(process.argv[2] ?? 384);
const out = process.argv[3] ?? `.gpu/isbi${size}.bin`;
const ds = await openIsbi2015(path.resolve('..', 'shared', 'isbi2015'));
const items = [...ds.split('train'), ...ds.split('test1')];
const template = items.find((i) => i.id === ISBI2015_TEMPLATE_ID)!;
const header: IsbiPackHeader = {
  size,
  templateId: template.id,
  templateLandmarks: template.landmarks!.map((v) => v.point ?? null),
  landmarkSet: ds.landmarkSet,
  images: [],
};
const pixels = new Uint8Array(items.length * size * size);
for (const [i, it] of items.entries()) {
  const sq = await loadSquare(datasetRef(ds, it), size);
  for (let k = 0; k < sq.data.length; k++) pixels[i * size * size + k] = Math.round(sq.data[k]! * 255);
  header.images.push({ id: it.id, split: it.split, width: sq.width, height: sq.height, spacing: sq.spacing });
  if (i % 50 === 0) process.stderr.write(`${i}/${items.length}\n`);
}
writeIsbiPack(out, header, pixels);
process.stderr.write(`wrote ${out}: ${items.length} images at ${size}²\n`);
