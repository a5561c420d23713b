import * as fs from 'node:fs';
import { writeLandmarks, readLandmarks } from './src/data/formats';
await writeLandmarks('/tmp/t.csv', {
  landmarkSet: { name: 'syn', landmarks: [1, 2, 3].map((id) => ({ id, name: `L${id}` })) },
  images: [{ imageId: 's000', landmarks: [{x:1,y:2},{x:3,y:4},{x:5,y:6}].map((p, j) => ({ id: j + 1, point: p })) }],
});
console.log(fs.readFileSync('/tmp/t.csv','utf8'));
console.log(JSON.stringify((await readLandmarks('/tmp/t.csv', {})).landmarkSet));
