import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureGt, runCli, tempDir, writeIsbiFixture } from './helpers';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
let data = '';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  data = join(dir, 'isbi');
  await writeIsbiFixture(data);
});
afterAll(() => cleanup());

/** The template-copy errors in mm at 1 mm/pixel, computed here from the fixture's truth. */
function expectedErrors(templateId: number, ids: number[]): number[] {
  const t = fixtureGt(templateId);
  return ids.flatMap((id) => fixtureGt(id).map(([x, y], k) => Math.hypot(t[k]![0] - x, t[k]![1] - y)));
}

describe('onemark baseline template-copy + evaluate', () => {
  it('writes the prediction file, then the tables and plots, with the strict SDR rule end to end', async () => {
    const pred = join(dir, 'pred.csv');
    const b = await runCli([
      'baseline',
      'template-copy',
      '--dataset',
      data,
      '--template',
      '2',
      '--split',
      'test1',
      '--out',
      pred,
    ]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('template 002, 3 image(s)');
    expect(await readFile(pred, 'utf8')).toContain('"method":"template-copy"');

    const out = join(dir, 'eval');
    // 1 mm/pixel makes the errors 2.236, 1 and 2 mm: the 2.0 mm ones must not count for SDR@2.
    const r = await runCli([
      'evaluate',
      '--pred',
      pred,
      '--gt',
      `${data}:test1`,
      '--out',
      out,
      '--spacing',
      '1',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const errs = expectedErrors(2, [4, 5, 6]);
    expect(errs.some((e) => e === 2)).toBe(true);
    const mre = errs.reduce((a, b) => a + b, 0) / errs.length;
    const sd = Math.sqrt(errs.reduce((a, b) => a + (b - mre) ** 2, 0) / errs.length);
    const sdr = [2, 2.5, 3, 4].map((rad) =>
      ((100 * errs.filter((e) => e < rad).length) / errs.length).toFixed(2),
    );
    expect(r.stdout).toContain(
      `| template-copy | 0 | ${mre.toFixed(2)} ± ${sd.toFixed(2)} | ${sdr.join(' | ')} |`,
    );
    expect(sdr[0]).toBe('33.33');

    expect((await readdir(out)).sort()).toEqual([
      'metrics.json',
      'per_image.csv',
      'per_landmark.csv',
      'plots',
      'point_errors.csv',
      'report.md',
    ]);
    const plots = await readdir(join(out, 'plots'));
    for (const p of ['cdf', 'error_bars'])
      expect(plots).toEqual(expect.arrayContaining([`${p}.svg`, `${p}.png`]));
    expect(plots.filter((p) => p.startsWith('overlay_') && p.endsWith('.png')).length).toBeGreaterThan(0);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('source: user');
    expect(md).toContain('strictly below');
    expect(md).toContain('Seed: none (deterministic)');
    const json = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(json.counts.evaluatedPoints).toBe(57);
    expect(json.command).toContain('onemark evaluate --pred');
  });

  it('evaluates the rest and exits 1 when prediction ids match no image, naming the file and ids', async () => {
    const pred = join(dir, 'stray.csv');
    await writeFile(
      pred,
      [
        'image,landmark_id,x_px,y_px',
        '004,1,5,5',
        'zz1,1,5,5',
        '005,1,5,5',
        'zz2,1,1,1',
        '007,1,3,3',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'eval-stray');
    const r = await runCli([
      'evaluate',
      '--pred',
      pred,
      '--gt',
      `${data}:test1`,
      '--out',
      out,
      '--quiet',
      '--formats',
      'svg',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`onemark: error: ${pred}: 2 prediction image id(s) match no image`);
    expect(r.stderr).toContain('zz1, zz2');
    expect(r.stderr).not.toContain('007');
    // 007 is a real image (test2) outside the split: not an error. 006 has no prediction: a warning.
    expect(r.stderr).toMatch(/warning: .*006/);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    const json = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(json.counts.images).toBe(2);
    expect(json.problems.find((p: { kind: string }) => p.kind === 'unmatched-prediction-ids').ids).toEqual([
      'zz1',
      'zz2',
    ]);
  });

  it('refuses duplicate ids with a clear error and writes nothing', async () => {
    const pred = join(dir, 'dup.csv');
    await writeFile(
      pred,
      ['image,landmark_id,x_px,y_px', '004,1,5,5', '004,2,6,6', '004,1,7,7', ''].join('\n'),
    );
    const out = join(dir, 'eval-dup');
    const r = await runCli(['evaluate', '--pred', pred, '--gt', `${data}:test1`, '--out', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `onemark: error: ${pred}:4: image '004': duplicate landmark id 1 (first on line 2)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('compares two prediction files side by side', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    expect(
      (
        await runCli([
          'baseline',
          'template-copy',
          '--dataset',
          data,
          '--template',
          '1',
          '--split',
          'test1',
          '--out',
          a,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await runCli([
          'baseline',
          'template-copy',
          '--dataset',
          data,
          '--template',
          '3',
          '--split',
          'test1',
          '--out',
          b,
        ])
      ).code,
    ).toBe(0);
    const out = join(dir, 'cmp');
    const r = await runCli([
      'evaluate',
      '--pred',
      a,
      '--pred',
      b,
      '--name',
      'tpl-001',
      '--name',
      'tpl-003',
      '--gt',
      `${data}:test1`,
      '--out',
      out,
      '--overlay',
      'none',
      '--formats',
      'svg',
      '--radii',
      '0.2,0.3',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| tpl-001 \| 0 \|/);
    expect(r.stdout).toMatch(/\| tpl-003 \| 0 \|/);
    expect(r.stdout).toContain('SDR 0.2 mm (%) | SDR 0.3 mm (%)');
    expect((await readdir(out)).sort()).toEqual([
      'comparison.json',
      'plots',
      'report.md',
      'table1.csv',
      'tpl-001',
      'tpl-003',
    ]);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain(
      '| Landmark | tpl-001 MRE | tpl-001 SDR(0.2 mm) | tpl-003 MRE | tpl-003 SDR(0.2 mm) |',
    );
  });

  it('names the known splits when given an unknown one', async () => {
    const r = await runCli([
      'evaluate',
      '--pred',
      join(dir, 'pred.csv'),
      '--gt',
      `${data}:test9`,
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `onemark: error: ${data}: unknown split(s) test9 (this dataset has: train, test1, test2)`,
    );
  });
});
