import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GrayImage } from '../../src/data/types';
import { compare } from '../../src/evaluation/compare';
import { evaluate } from '../../src/evaluation/evaluate';
import { defaultOverlayIds, writeComparisonReport, writeReport } from '../../src/evaluation/report';
import { annotations, SPACING_01 } from './fixtures';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'onemark-report-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const gt = annotations(
  2,
  {
    a: [
      { x: 10, y: 10 },
      { x: 50, y: 20 },
    ],
    b: [
      { x: 30, y: 30 },
      { x: 5, y: 5 },
    ],
    c: [
      { x: 0, y: 0 },
      { x: 60, y: 40 },
    ],
  },
  { spacing: SPACING_01 },
);
const good = annotations(
  2,
  {
    a: [
      { x: 12, y: 10 },
      { x: 50, y: 21 },
    ],
    b: [
      { x: 30, y: 40 },
      { x: 5, y: 5 },
    ],
    c: [
      { x: 0, y: 50 },
      { x: 60, y: 40 },
    ],
  },
  { meta: { method: 'good', seed: 42, run: 'r1' } },
);
const bad = annotations(
  2,
  {
    a: [
      { x: 40, y: 10 },
      { x: 50, y: 51 },
    ],
    b: [{ x: 30, y: 70 }, null],
    c: [
      { x: 0, y: 0 },
      { x: 60, y: 40 },
    ],
  },
  { meta: { method: 'bad' } },
);

function image(): GrayImage {
  return {
    width: 64,
    height: 48,
    data: new Uint8Array(64 * 48).map((_, i) => (i * 7) % 256),
    bitsStored: 8,
    spacing: SPACING_01,
    source: { path: 'img.png', format: 'synthetic' },
  };
}

describe('writeReport', () => {
  it('writes tables, CSV, JSON and plots, stating radii, the strict rule, spacing source and seed', async () => {
    const out = await tmp();
    const e = evaluate(good, gt, { predictionFile: 'good.csv', groundTruthSource: 'toy dataset' });
    const loaded: string[] = [];
    const res = await writeReport(e, {
      outDir: out,
      loadImage: async (id) => (loaded.push(id), image()),
      command: 'onemark evaluate --pred good.csv',
    });
    expect(res.warnings).toEqual([]);
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      'metrics.json',
      'per_image.csv',
      'per_landmark.csv',
      'plots',
      'point_errors.csv',
      'report.md',
    ]);
    const plots = (await readdir(join(out, 'plots'))).sort();
    expect(plots).toEqual(expect.arrayContaining(['cdf.png', 'cdf.svg', 'error_bars.png', 'error_bars.svg']));
    // default overlays: the median-MRE image and the worst one
    expect(loaded).toEqual(defaultOverlayIds(e));
    expect(loaded).toHaveLength(2);
    expect(plots.filter((p) => p.startsWith('overlay_'))).toHaveLength(4);

    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('strictly below');
    expect(md).toContain('SDR radii: 2 mm, 2.5 mm, 3 mm, 4 mm');
    expect(md).toContain('0.1 × 0.1 mm/pixel (x × y, source: dataset) for 3 image(s)');
    expect(md).toContain('- Seed: 42');
    expect(md).toContain('- run: r1');
    expect(md).toMatch(/\| good \| – \| [0-9.]+ ± [0-9.]+ \|/);
    expect(md).toContain('![plots/cdf.png](plots/cdf.png)');
    const json = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(json.command).toBe('onemark evaluate --pred good.csv');
    expect(json.spacing[0].source).toBe('dataset');
    expect(json.counts.evaluatedPoints).toBe(6);
    const png = await readFile(join(out, 'plots', 'cdf.png'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('says when the seed was not recorded, and lists problems', async () => {
    const out = await tmp();
    const withStray = annotations(2, { a: [null, null], x9: [null, null] });
    const e = evaluate(withStray, gt, { predictionFile: 'stray.csv' });
    await writeReport(e, { outDir: out, formats: ['svg'] });
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('Seed: not recorded in the prediction file');
    expect(md).toMatch(/\*\*error\*\*: stray\.csv: 1 prediction image id\(s\) match no image: x9/);
    expect((await readdir(join(out, 'plots'))).every((f) => f.endsWith('.svg'))).toBe(true);
  });
});

describe('comparison', () => {
  it('refuses a single file and duplicate method names', () => {
    const e = evaluate(good, gt);
    expect(() => compare([e])).toThrow(/two or more/);
    expect(() => compare([e, evaluate(good, gt)])).toThrow(/same method name "good"/);
  });

  it('writes one Table 1 row per method, Table 2 side by side and a combined CDF', async () => {
    const out = await tmp();
    const evals = [
      evaluate(good, gt, { predictionFile: 'good.csv' }),
      evaluate(bad, gt, { predictionFile: 'bad.csv' }),
    ];
    const res = await writeComparisonReport(evals, { outDir: out, formats: ['svg'] });
    expect(res.comparison.samePoints).toBe(false); // bad misses b#2
    const md = await readFile(join(out, 'report.md'), 'utf8');
    const t1 = md.split('## Table 1')[1].split('##')[0];
    expect(t1).toMatch(/\| good \|/);
    expect(t1).toMatch(/\| bad \|/);
    expect(md).toContain('| Landmark | good MRE | good SDR(2 mm) | bad MRE | bad SDR(2 mm) |');
    expect(md).toContain('not scored on the same');
    const cdf = await readFile(join(out, 'plots', 'cdf.svg'), 'utf8');
    expect(cdf.match(/<polyline/g)).toHaveLength(2);
    expect((await readdir(out)).sort()).toEqual([
      'bad',
      'comparison.json',
      'good',
      'plots',
      'report.md',
      'table1.csv',
    ]);
    const csv = (await readFile(join(out, 'table1.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1].startsWith('good,,good.csv,3,6,0,')).toBe(true);
  });

  it('gives methods whose names map to one folder name separate subfolders', async () => {
    const out = await tmp();
    const evals = [evaluate(good, gt, { method: 'a b' }), evaluate(bad, gt, { method: 'a_b' })];
    await writeComparisonReport(evals, { outDir: out, formats: ['svg'] });
    expect((await readdir(out)).filter((f) => f.startsWith('a_b')).sort()).toEqual(['a_b', 'a_b_2']);
  });
});
