/**
 * The template-copy baseline on the real ISBI 2015 Test1 split, checked against a computation
 * written here from the raw doctor files with nothing from src/evaluation: integer pixel
 * distances, floor((senior + junior) / 2), SDR compared exactly as d² < (10 r)².
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openIsbi2015 } from '../../src/data';
import { evaluate } from '../../src/evaluation/evaluate';
import { templateCopy } from '../../src/evaluation/baselines';

const ROOT = fileURLToPath(new URL('../../../shared/isbi2015', import.meta.url));
const HAVE = existsSync(join(ROOT, 'AnnotationsByMD'));
if (!HAVE) console.warn(`isbi2015 evaluation tests skipped: ${ROOT} not found`);

function doctor(who: 'senior' | 'junior', id: number): [number, number][] {
  const text = readFileSync(
    join(ROOT, 'AnnotationsByMD', `400_${who}`, `${String(id).padStart(3, '0')}.txt`),
    'utf8',
  );
  return text
    .trim()
    .split(/\r?\n/)
    .slice(0, 19)
    .map((l) => l.split(',').map((v) => parseInt(v, 10)) as [number, number]);
}

function gt(id: number): [number, number][] {
  const s = doctor('senior', id);
  const j = doctor('junior', id);
  return s.map(([x, y], k) => [Math.floor((x + j[k][0]) / 2), Math.floor((y + j[k][1]) / 2)]);
}

describe.skipIf(!HAVE)(`ISBI 2015 Test1 template-copy (needs ${ROOT})`, () => {
  it('gives the same MRE, std and SDR as an independent computation', async () => {
    const template = gt(125);
    const d2: number[] = [];
    for (let id = 151; id <= 300; id++) {
      gt(id).forEach(([x, y], k) => d2.push((template[k][0] - x) ** 2 + (template[k][1] - y) ** 2));
    }
    const mm = d2.map((v) => Math.sqrt(v) * 0.1);
    const mre = mm.reduce((a, b) => a + b, 0) / mm.length;
    const sd = Math.sqrt(mm.reduce((a, b) => a + (b - mre) ** 2, 0) / mm.length);
    const sdr = [2, 2.5, 3, 4].map((r) => d2.filter((v) => v < (r * 10) ** 2).length / d2.length);

    const ds = await openIsbi2015(ROOT);
    const e = evaluate(templateCopy(ds, '125', ['test1']), ds.groundTruth('test1'), {
      knownImageIds: ds.items.map((i) => i.id),
    });
    expect(e.errors.problems).toEqual([]);
    expect(e.metrics.counts).toMatchObject({ images: 150, evaluatedPoints: 2850, missingPredictions: 0 });
    expect(e.metrics.unit).toBe('mm');
    expect(e.metrics.overall.mean).toBeCloseTo(mre, 10);
    expect(e.metrics.overall.std).toBeCloseTo(sd, 10);
    expect(e.metrics.overall.sdr.map((s) => s.rate)).toEqual(sdr);
    // The known figure for this baseline on Test1.
    expect(mre).toBeGreaterThan(10.9);
    expect(mre).toBeLessThan(11.3);
    // Per-landmark means agree too (landmark 1: sella).
    const l1 = d2.filter((_, i) => i % 19 === 0).map((v) => Math.sqrt(v) * 0.1);
    expect(e.metrics.perLandmark[0].summary.mean).toBeCloseTo(l1.reduce((a, b) => a + b, 0) / l1.length, 10);
  });
});
