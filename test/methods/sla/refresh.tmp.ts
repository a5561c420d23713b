import { densePreset } from '../../../src/methods/common/config';
import { DensePredictor } from '../../../src/methods/common/predict';
import { trainDense } from '../../../src/methods/common/train';
import { denseInputFor, fixture, meanError } from './helpers';
const fx = fixture({ noise: 3 });
const dirs: string[] = [];
const variants: [string, any][] = [
  ['off', null],
  ['default (from 50%, every 50, conf>=0.3, within 1R)', { every: 50, start: 0.5, minConfidence: 0.3, maxMove: 1 }],
  ['aggressive (from 10%, every 15, any conf, within 3R)', { every: 15, start: 0.1, minConfidence: 0, maxMove: 3 }],
];
for (const [name, refresh] of variants) {
  const cfg = densePreset('sla', 'tiny');
  cfg.dense.refresh = refresh;
  const inp = denseInputFor(fx, cfg, dirs);
  const r = await trainDense(inp);
  const p = DensePredictor.load(inp.runDir);
  const pred = await p.predict(fx.refs);
  let e = 0, k = 0;
  r.labels.forEach((row, i) => { if (i) row.forEach((q, j) => { e += Math.hypot(q!.x - fx.set.landmarks[i][j].x, q!.y - fx.set.landmarks[i][j].y); k++; }); });
  console.log(`${name}: labels ${fx.stage1Error.toFixed(2)} -> ${(e / k).toFixed(2)} px, prediction MRE ${meanError(pred.images, fx.set).toFixed(2)} px`);
}
