import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLandmarks } from '../../src/data/formats';
import { main } from '../../src/cli/main';

const tmp = mkdtempSync(join(tmpdir(), 'onemark-quickstart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('onemark quickstart (the README main job)', () => {
  it('trains from the template alone, predicts every image and writes a report', { timeout: 600_000 }, async () => {
    const out = join(tmp, 'qs');
    const code = await main(['node', 'onemark', 'quickstart', '--out', out, '--images', '8', '--size', '96']);
    expect(code).toBe(0);
    // The template file given to training holds the template's label only.
    const template = await readLandmarks(join(out, 'data', 'template.csv'));
    expect(template.images.map((i) => i.imageId)).toEqual(['s000']);
    const pred = await readLandmarks(join(out, 'predictions.csv'));
    expect(pred.images).toHaveLength(8);
    const metrics = JSON.parse(readFileSync(join(out, 'report', 'metrics.json'), 'utf8'));
    expect(existsSync(join(out, 'report', 'report.md'))).toBe(true);
    // Template copy on this data is ~0.7 mm (≈7 px at 0.1 mm); a working detector does clearly better.
    const mre = metrics.overall.mean;
    expect(typeof mre).toBe('number');
    expect(mre).toBeLessThan(0.6);
  });
});
