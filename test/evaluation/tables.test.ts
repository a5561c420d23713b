import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/evaluation/evaluate';
import {
  csvCell,
  metricsJson,
  perImageCsv,
  perLandmarkCsv,
  perLandmarkMarkdown,
  table1Markdown,
  table2Markdown,
} from '../../src/evaluation/tables';
import { annotations, SPACING_01, twoImagesAtOrigin } from './fixtures';

const atOrigin = twoImagesAtOrigin();
const gt = annotations(2, atOrigin, { spacing: SPACING_01 });
// errors (mm): a1 1.0, a2 3.0, b1 1.0, b2 missing
const pred = annotations(
  2,
  {
    a: [
      { x: 10, y: 0 },
      { x: 0, y: 30 },
    ],
    b: [{ x: 0, y: 10 }, null],
  },
  { meta: { method: 'toy', seed: 7, modelCount: 19 } },
);

describe('tables', () => {
  const e = evaluate(pred, gt, { predictionFile: 'toy.csv' });

  it('writes a Table 1 row: method, count, MRE ± std, SDR per radius in %, 99th percentile', () => {
    const md = table1Markdown([e]).split('\n');
    expect(md[0]).toBe(
      '| Method | Count | MRE ± std (mm) | SDR 2 mm (%) | SDR 2.5 mm (%) | SDR 3 mm (%) | SDR 4 mm (%) | p99 (mm) |',
    );
    // mean 5/3 = 1.67, population std = sqrt(((1-5/3)^2*2 + (3-5/3)^2)/3) = 0.94; SDR: 2/3 below 2, 2.5, 3 (3.0 is not below 3)
    // p99 of [1, 1, 3]: position 0.99 · 2 = 1.98, so 1 + 0.98 · (3 − 1) = 2.96
    expect(md[2]).toBe('| toy | 19 | 1.67 ± 0.94 | 66.67 | 66.67 | 66.67 | 100.00 | 2.96 |');
  });

  it('writes Table 2 with methods side by side and a Mean row', () => {
    const other = evaluate(pred, gt, { method: 'other', modelCount: 1 });
    const md = table2Markdown([e, other]).split('\n');
    expect(md[0]).toBe('| Landmark | toy MRE | toy SDR(2 mm) | other MRE | other SDR(2 mm) |');
    expect(md[2]).toBe('| 1 lm1 | 1.00 | 100.0 | 1.00 | 100.0 |');
    expect(md[3]).toBe('| 2 lm2 | 3.00 | 0.0 | 3.00 | 0.0 |');
    expect(md[4]).toBe('| Mean | 1.67 | 66.7 | 1.67 | 66.7 |');
  });

  it('writes per-landmark and per-image CSV with units in the header', () => {
    const lm = perLandmarkCsv(e).trim().split('\n');
    expect(lm[0]).toBe(
      'landmark_id,name,count,missing_predictions,mre_mm,std_mm,median_mm,max_mm,mean_offset_x_mm,mean_offset_y_mm,sdr_2mm_pct,sdr_2.5mm_pct,sdr_3mm_pct,sdr_4mm_pct',
    );
    // landmark 1: a is off by (+1, 0) mm and b by (0, +1): mean offset (0.5, 0.5); landmark 2: (0, +3).
    expect(lm[1]).toBe('1,lm1,2,0,1,0,1,1,0.5,0.5,100,100,100,100');
    expect(lm[2]).toBe('2,lm2,1,1,3,0,3,3,0,3,0,0,0,100');
    const im = perImageCsv(e).trim().split('\n');
    expect(im[2]).toBe('b,1,1,1,0,1,1,100,100,100,100');
  });

  it("reports each landmark's systematic offset, signed, in the unit of the errors", () => {
    const shifted = annotations(2, {
      a: [
        { x: -20, y: 5 },
        { x: 0, y: 0 },
      ],
      b: [
        { x: -20, y: 15 },
        { x: 0, y: 0 },
      ],
    });
    const m = evaluate(shifted, gt).metrics.perLandmark;
    // Offsets are prediction − ground truth at 0.1 mm: (−2.0, +1.0) mm on landmark 1, none on 2.
    expect(m[0].meanOffset.x).toBeCloseTo(-2, 12);
    expect(m[0].meanOffset.y).toBeCloseTo(1, 12);
    expect(m[1].meanOffset).toEqual({ x: 0, y: 0 });
    const md = perLandmarkMarkdown(evaluate(shifted, gt)).split('\n');
    expect(md[0]).toContain('mean offset x, y (mm)');
    expect(md[2]).toContain('| −2.00, +1.00 |');
    expect(md[3]).toContain('| 0.00, 0.00 |');
    const px = evaluate(shifted, annotations(2, atOrigin), { allowPixels: true });
    expect(px.metrics.unit).toBe('px');
    expect(px.metrics.perLandmark[0].meanOffset).toEqual({ x: -20, y: 10 });
  });

  it('quotes CSV cells that need it and leaves NaN empty', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "x"')).toBe('"say ""x"""');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('states the rules and provenance in JSON, NaN as null', () => {
    const empty = evaluate(annotations(2, { a: [null, null], b: [null, null] }), gt);
    const j = metricsJson(empty) as { rules: { sdr: string }; overall: { mean: unknown }; radii: number[] };
    expect(j.rules.sdr).toMatch(/strictly below/);
    expect(j.overall.mean).toBeNull();
    expect(j.radii).toEqual([2, 2.5, 3, 4]);
    expect((metricsJson(e) as { provenance: { seed: number } }).provenance.seed).toBe(7);
  });
});
