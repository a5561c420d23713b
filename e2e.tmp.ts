import * as fs from 'node:fs';
import { presetConfig } from './src/methods/cc2d/config';
import { trainCc2d } from './src/methods/cc2d/train';
import { Cc2dPredictor } from './src/methods/cc2d/predict';
import { memoryRef } from './src/runs/imageStack';
import { ProgressStream } from './src/runs/progress';
import { syntheticSet } from './test/methods/cc2d/synthetic';
import { setNumThreads, liveTensors } from './src/engine';
setNumThreads(Number(process.env.NT ?? 1));
const it1 = Number(process.argv[2] ?? 150), it2 = Number(process.argv[3] ?? 400);
const set = syntheticSet(14, 96, { seed: 3 });
const refs = set.images.map((im, i) => memoryRef(set.ids[i], im));
const cfg = presetConfig('tiny');
cfg.stage1.iterations = it1; cfg.stage2.iterations = it2;
const dir = '/tmp/e2e-run'; fs.rmSync(dir, { recursive: true, force: true });
const p = new ProgressStream();
p.on((e) => { if (e.step % 20 === 0 || e.message) console.log(e.stage, e.step, e.loss?.toFixed(3), e.itPerSec.toFixed(1), e.message ?? ''); });
const t0 = Date.now();
const trainIdx = [...Array(10).keys()];
await trainCc2d({ config: cfg, images: trainIdx.map((i) => refs[i]), templateId: set.ids[0], templateLandmarks: set.landmarks[0],
  landmarkSet: { name: 'syn', landmarks: set.landmarks[0].map((_, i) => ({ id: i + 1, name: `L${i + 1}` })) },
  runDir: dir, source: { images: 'synthetic', landmarks: 'synthetic' }, progress: p });
console.log('train s', (Date.now() - t0) / 1000);
const pred = Cc2dPredictor.load(dir);
for (const stage of [1, 2] as const) {
  const out = await pred.predict([10, 11, 12, 13].map((i) => refs[i]), { stage });
  let e = 0, n = 0;
  out.images.forEach((a, k) => a.landmarks.forEach((l, j) => { const g = set.landmarks[10 + k][j]; e += Math.hypot(l.point!.x - g.x, l.point!.y - g.y); n++; }));
  console.log('stage', stage, 'mean err px', (e / n).toFixed(2));
}
pred.dispose();
console.log('live', liveTensors(), 'total s', (Date.now() - t0) / 1000);
