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
  // Problems for inspect to find: a corrupt image and a landmark outside its image.
  await writeFile(join(data, 'RawImage', 'Test2Data', '008.png'), 'not a png');
  const txt = join(data, 'AnnotationsByMD', '400_senior', '003.txt');
  const lines = (await readFile(txt, 'utf8')).trim().split('\n');
  lines[4] = '500,10';
  await writeFile(txt, lines.join('\n') + '\n');
});
afterAll(() => cleanup());

describe('onemark dataset inspect', () => {
  it('prints counts per split, sizes, spacing and the problems found', async () => {
    const r = await runCli(['dataset', 'inspect', data, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Images: 8 (6 labelled, 2 unlabelled, 1 unreadable)');
    expect(r.stdout).toContain('test1: 3 images, 3 labelled');
    expect(r.stdout).toMatch(/test2: 2 images, 0 labelled - unlabelled: labels withheld/);
    expect(r.stdout).toContain('Sizes: 64x48 (7)');
    expect(r.stdout).toContain('Spacing: 0.1 x 0.1 mm from dataset (7)');
    expect(r.stdout).toContain('Problems (2):');
    expect(r.stdout).toMatch(/008\.png: unrecognised image format/);
    // floor((500 + 18) / 2) = 259 on a 64-pixel-wide image
    expect(r.stdout).toMatch(
      /003\.txt: image '003': landmark 5 at \(259, 11\) lies outside the 64 x 48 image/,
    );
  });

  it('shows a progress bar with ETA on stderr unless --quiet', async () => {
    const r = await runCli(['dataset', 'inspect', data]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reading image headers \[#+\] 8\/8 100% ETA/);
    expect(r.stdout).not.toContain('ETA');
  });

  it('gives JSON, and with --strict exits 1 on problems', async () => {
    const r = await runCli(['dataset', 'inspect', data, '--json', '--strict', '--quiet']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout);
    expect(rep.splits.map((s: { name: string }) => s.name)).toEqual(['train', 'test1', 'test2']);
    expect(rep.unreadable).toBe(1);
    expect(r.stderr.trim()).toBe(`onemark: error: ${data}: 2 problem(s) found`);
  });

  it('fails with one line naming a path that is not a dataset', async () => {
    const r = await runCli(['dataset', 'inspect', join(dir, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`onemark: error: ${join(dir, 'nowhere')}: no such folder`);
  });
});

describe('onemark convert', () => {
  it('exports a dataset split and round-trips csv -> json -> slicer -> csv', async () => {
    const csv = join(dir, 'gt.csv');
    let r = await runCli(['convert', `${data}:test1`, csv]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('converted 3 image(s), 57 point(s)');
    const text = await readFile(csv, 'utf8');
    const [x, y] = fixtureGt(4)[0]!;
    expect(text).toContain(`004,1,sella,${x},${y}`);

    const json = join(dir, 'gt.json');
    expect((await runCli(['convert', csv, json])).code).toBe(0);
    const slicer = join(dir, 'slicer');
    r = await runCli(['convert', json, slicer, '--to', 'slicer']);
    expect(r.code).toBe(0);
    expect((await readdir(slicer)).sort()).toEqual(['004.mrk.json', '005.mrk.json', '006.mrk.json']);
    const back = join(dir, 'back.csv');
    r = await runCli(['convert', slicer, back, '--spacing', '0.1', '--landmark-set', 'isbi2015']);
    expect(r.code).toBe(0);
    // Slicer stores mm; reading snaps mm → px back to the written pixels (no 29.000000000000004).
    const rows = (s: string) =>
      s
        .split('\n')
        .filter((l) => /^\d/.test(l))
        .map((l) => l.split(',').slice(0, 5).join(','));
    expect(rows(await readFile(back, 'utf8'))).toEqual(rows(text));
  });

  it('writes ISBI txt folders', async () => {
    const out = join(dir, 'txt');
    const r = await runCli(['convert', join(dir, 'gt.csv'), out, '--to', 'isbi-txt']);
    expect(r.code).toBe(0);
    const first = (await readFile(join(out, '005.txt'), 'utf8')).split('\n')[0];
    expect(first).toBe(fixtureGt(5)[0]!.join(','));
  });

  it('refuses a bad file naming each problem, unless --skip-bad', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, ['image,landmark_id,x_px,y_px', 'a,1,1,1', 'b,1,oops,2', ''].join('\n'));
    const out = join(dir, 'bad.json');
    let r = await runCli(['convert', bad, out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`onemark: error: ${bad}: 1 problem(s), nothing written`);
    expect(r.stderr).toContain(`${bad}:3: image 'b'`);
    expect(existsSync(out)).toBe(false);
    r = await runCli(['convert', bad, out, '--skip-bad']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: skipped');
    expect(JSON.parse(await readFile(out, 'utf8')).images).toHaveLength(1);
  });

  it('rejects an unknown format by name', async () => {
    const r = await runCli(['convert', join(dir, 'gt.csv'), join(dir, 'x.out'), '--to', 'xml']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "onemark: error: --to: unknown landmark format 'xml' (known: csv, json, slicer, isbi-txt)",
    );
  });
});
