/**
 * `onemark train` / `onemark predict` on a folder of synthetic PNGs with a template landmarks
 * CSV: the plumbing (arguments, run folder, resume guard, prediction file with confidences).
 * Iterations are cut to a handful: accuracy is the pipeline test's business.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { writeLandmarks } from '../../../src/data/formats';
import { encodePng } from '../../../src/evaluation/plots/png';
import { syntheticSet } from './synthetic';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onemark-cc2d-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const wo = process.stdout.write.bind(process.stdout);
  const we = process.stderr.write.bind(process.stderr);
  (process.stdout as any).write = (s: string) => (out.push(String(s)), true);
  (process.stderr as any).write = (s: string) => (err.push(String(s)), true);
  try {
    const code = await main(['node', 'onemark', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    (process.stdout as any).write = wo;
    (process.stderr as any).write = we;
    process.exitCode = undefined;
  }
}

describe('onemark train / predict (cc2d)', () => {
  it('trains from a folder + template CSV, refuses to overwrite, resumes, and predicts a CSV with confidences', async () => {
    const set = syntheticSet(6, 64, { seed: 2 });
    const imgDir = path.join(tmp, 'images');
    fs.mkdirSync(imgDir);
    set.images.forEach((im, i) => {
      const bytes = Uint8Array.from(im.data as Float32Array, (v) => Math.round(v * 255));
      fs.writeFileSync(path.join(imgDir, `${set.ids[i]}.png`), encodePng(64, 64, 1, bytes));
    });
    const lmFile = path.join(tmp, 'template.csv');
    await writeLandmarks(lmFile, {
      landmarkSet: { name: 'syn', landmarks: [1, 2, 3].map((id) => ({ id, name: `L${id}` })) },
      images: [{ imageId: set.ids[0], landmarks: set.landmarks[0].map((p, j) => ({ id: j + 1, point: p })) }],
    });
    const runDir = path.join(tmp, 'run');
    const args = [
      'train',
      '--images',
      imgDir,
      '--template',
      set.ids[0],
      '--landmarks',
      lmFile,
      '--preset',
      'tiny',
      '--out',
      runDir,
      '--threads',
      '1',
      '--quiet',
    ];
    const t = await run(...args, '--stage1-iterations', '3', '--stage2-iterations', '3');
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/train: cc2d tiny \(stage 1 \+ stage 2\) on 6 images, template s000/);
    const cfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ method: 'cc2d', preset: 'tiny', seed: 1, data: { templateId: 's000' } });
    expect(cfg.engine.libtorch).toBeTruthy();

    const again = await run(...args);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already exists; pass --resume/);
    const resumed = await run(...args, '--resume');
    expect(resumed.code).toBe(0);

    const pred = path.join(tmp, 'pred.csv');
    const p = await run(
      'predict',
      '--run',
      runDir,
      '--images',
      imgDir,
      '--out',
      pred,
      '--threads',
      '1',
      '--quiet',
      '--stage',
      '1',
    );
    expect(p.err).toBe('');
    expect(p.code).toBe(0);
    const lines = fs.readFileSync(pred, 'utf8').trim().split('\n');
    const header = lines.find((l) => l.startsWith('image,'))!;
    expect(header.split(',')).toContain('confidence');
    const rows = lines.filter((l) => /^s00\d,/.test(l));
    expect(rows).toHaveLength(6 * 3);
    const conf = rows.map((r) => Number(r.split(',')[header.split(',').indexOf('confidence')]));
    for (const c of conf) expect(c).toBeGreaterThanOrEqual(0);
  });
});
