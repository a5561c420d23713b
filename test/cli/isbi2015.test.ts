/** The documented chain on the real data: template-copy baseline on ISBI Test1, then evaluate. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers';

const ROOT = fileURLToPath(new URL('../../../shared/isbi2015', import.meta.url));
const HAVE = existsSync(join(ROOT, 'RawImage'));
if (!HAVE) console.warn(`isbi2015 CLI chain skipped: ${ROOT} not found`);

let cleanup: () => Promise<void> = async () => {};
afterAll(() => cleanup());

describe.skipIf(!HAVE)(`onemark on ISBI 2015 Test1 (needs ${ROOT})`, () => {
  it('baseline template-copy --template 125 then evaluate writes Table 1, tables and plots', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const pred = join(t.dir, 'pred.csv');
    const b = await runCli([
      'baseline',
      'template-copy',
      '--dataset',
      ROOT,
      '--template',
      '125',
      '--split',
      'test1',
      '--out',
      pred,
    ]);
    expect(b.code).toBe(0);
    const out = join(t.dir, 'eval');
    const r = await runCli(['evaluate', '--pred', pred, '--gt', `${ROOT}:test1`, '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The row is checked against an independent computation in test/evaluation/isbi2015.test.ts.
    expect(r.stdout).toContain('| template-copy | 0 | 11.08 ± 6.48 | 4.18 | 5.61 | 7.96 | 12.07 |');
    const plots = await readdir(join(out, 'plots'));
    expect(plots.filter((p) => p.startsWith('overlay_') && p.endsWith('.png'))).toHaveLength(2);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('ground truth = floor((senior + junior) / 2)');
    expect(md).toContain('0.1 × 0.1 mm/pixel (x × y, source: dataset) for 150 image(s)');
    expect(md).toContain('- template: 125');
  });
});
