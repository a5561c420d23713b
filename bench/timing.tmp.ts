import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tensor, setNumThreads } from '../src/engine';
import { presetConfig } from '../src/methods/cc2d/config';
import { trainStage1 } from '../src/methods/cc2d/stage1/train';
import { trainStage2 } from '../src/methods/cc2d/stage2/train';
import { densePreset } from '../src/methods/common/config';
import { trainDense } from '../src/methods/common/train';
import { memoryRef } from '../src/runs/imageStack';
import { syntheticSet } from '../test/methods/cc2d/synthetic';
setNumThreads(2);
const which = process.argv[2];
const steps = 6;
const t = async (name: string, f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); console.log(name, ((performance.now() - t0) / 1000 / steps).toFixed(2), 's/step'); };
const c = presetConfig('quick');
if (which === 'cc2d') {
  const stack = Tensor.rand([20, 1, 256, 256]);
  c.stage1.iterations = steps; c.stage2.iterations = steps;
  await t('cc2d stage1 quick', () => trainStage1({ config: c, stack }).then((r) => r.net.dispose()));
  const labels = Array.from({ length: 20 }, () => Array.from({ length: 19 }, () => ({ x: 100, y: 100 })));
  await t('cc2d stage2 quick', () => trainStage2({ config: c, stack, labels, templateIndex: 0 }).then((r) => r.net.dispose()));
} else {
  const lm = Array.from({ length: 19 }, (_, j) => ({ x: 0.2 + 0.03 * j, y: 0.3 + 0.02 * j }));
  const set = syntheticSet(8, 192, { landmarks: lm });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-'));
  fs.mkdirSync(path.join(dir, 'stage1'));
  fs.writeFileSync(path.join(dir, 'stage1', 'pseudo-labels.json'), JSON.stringify({ ids: set.ids, points: set.landmarks, confidence: [], templateId: set.ids[0] }));
  const cfg = densePreset(which as any, 'quick');
  cfg.dense.iterations = steps; cfg.dense.refresh = null;
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'timr-'));
  await t(`${which} quick`, () => trainDense({ config: cfg, images: set.images.map((im, i) => memoryRef(set.ids[i], im)), templateId: set.ids[0], templateLandmarks: set.landmarks[0],
    landmarkSet: { name: 'x', landmarks: lm.map((_, j) => ({ id: j + 1, name: `${j}` })) }, runDir: run, source: { images: '', landmarks: '' }, stage1Run: dir }));
}
