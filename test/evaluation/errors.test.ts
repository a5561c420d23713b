import { describe, expect, it } from 'vitest';
import { EvaluationInputError, radialErrors } from '../../src/evaluation/errors';
import { annotations, SPACING_01 } from './fixtures';

const gt = annotations(
  2,
  {
    a: [
      { x: 10, y: 10 },
      { x: 100, y: 50 },
    ],
    b: [{ x: 0, y: 0 }, null],
  },
  { spacing: SPACING_01 },
);

describe('radialErrors', () => {
  it('measures Euclidean distance in original pixels and converts with the spacing', () => {
    const pred = annotations(2, {
      a: [
        { x: 13, y: 14 },
        { x: 100, y: 50 },
      ],
      b: [
        { x: 6, y: 8 },
        { x: 1, y: 1 },
      ],
    });
    const r = radialErrors(pred, gt);
    expect(r.unit).toBe('mm');
    const a1 = r.errors.find((e) => e.imageId === 'a' && e.landmarkId === 1)!;
    expect(a1.errorPx).toBe(5);
    expect(a1.errorMm).toBeCloseTo(0.5, 12);
    expect(r.errors.find((e) => e.imageId === 'b' && e.landmarkId === 1)!.errorMm).toBeCloseTo(1.0, 12);
    expect(r.spacings).toEqual([{ x: 0.1, y: 0.1, source: 'dataset', images: 2 }]);
  });

  it('applies anisotropic spacing per axis', () => {
    const g = annotations(
      1,
      { a: [{ x: 0, y: 0 }] },
      { spacing: { x: 0.2, y: 0.1, source: 'PixelSpacing' } },
    );
    const p = annotations(1, { a: [{ x: 3, y: 4 }] });
    const e = radialErrors(p, g).errors[0];
    expect(e.errorPx).toBe(5);
    expect(e.errorMm).toBeCloseTo(Math.hypot(0.6, 0.4), 12);
  });

  it('excludes and counts missing landmarks on either side', () => {
    const pred = annotations(2, {
      a: [null, { x: 100, y: 50 }],
      b: [
        { x: 0, y: 0 },
        { x: 5, y: 5 },
      ],
    });
    const r = radialErrors(pred, gt);
    expect(r.errors).toHaveLength(2); // a#2 and b#1
    expect(r.missing).toEqual([
      { imageId: 'a', landmarkId: 1, missing: 'prediction' },
      { imageId: 'b', landmarkId: 2, missing: 'ground-truth' },
    ]);
    expect(r.problems.map((p) => p.kind)).toEqual([
      'missing-predicted-landmarks',
      'missing-ground-truth-landmarks',
    ]);
  });

  it('reports prediction ids that match no image, naming the file and ids, and evaluates the rest', () => {
    const pred = annotations(2, {
      a: [
        { x: 10, y: 10 },
        { x: 100, y: 50 },
      ],
      zz9: [
        { x: 1, y: 1 },
        { x: 1, y: 1 },
      ],
      zz8: [
        { x: 1, y: 1 },
        { x: 1, y: 1 },
      ],
    });
    const r = radialErrors(pred, gt, { predictionFile: 'runs/pred.csv', groundTruthSource: 'isbi:test1' });
    const p = r.problems.find((x) => x.kind === 'unmatched-prediction-ids')!;
    expect(p.severity).toBe('error');
    expect(p.ids).toEqual(['zz9', 'zz8']);
    expect(p.message).toContain('runs/pred.csv');
    expect(p.message).toContain('zz9, zz8');
    expect(r.imageIds).toEqual(['a']);
    expect(r.errors.map((e) => e.errorPx)).toEqual([0, 0]);
    // b has a ground truth but no prediction: reported, and its landmark counted as missing.
    expect(r.problems.find((x) => x.kind === 'images-without-prediction')!.ids).toEqual(['b']);
    expect(r.missing).toContainEqual({ imageId: 'b', landmarkId: 1, missing: 'prediction' });
  });

  it('treats predictions for known images outside the ground truth as a note, not an error', () => {
    const pred = annotations(2, {
      a: [
        { x: 10, y: 10 },
        { x: 100, y: 50 },
      ],
      b: [null, null],
      c: [{ x: 1, y: 1 }, null],
    });
    const r = radialErrors(pred, gt, { knownImageIds: ['a', 'b', 'c'] });
    expect(r.problems.find((x) => x.kind === 'unmatched-prediction-ids')).toBeUndefined();
    expect(r.problems.find((x) => x.kind === 'outside-split')!.ids).toEqual(['c']);
  });

  it('throws on duplicate image ids, naming the file and the ids', () => {
    const pred = annotations(2, { a: [{ x: 1, y: 1 }, null] });
    pred.images.push({ imageId: 'a', landmarks: [{ id: 1, point: { x: 2, y: 2 } }] });
    let err: unknown;
    try {
      radialErrors(pred, gt, { predictionFile: 'p.csv' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EvaluationInputError);
    expect((err as Error).message).toMatch(/^p\.csv: prediction file has duplicate image ids \(1\): a$/);
    expect((err as EvaluationInputError).ids).toEqual(['a']);
  });

  it('throws on a landmark repeated within one image', () => {
    const pred = annotations(2, { a: [{ x: 1, y: 1 }, null] });
    pred.images[0].landmarks.push({ id: 1, point: { x: 3, y: 3 } });
    expect(() => radialErrors(pred, gt, { predictionFile: 'p.csv' })).toThrow(
      /p\.csv: .*duplicate landmarks.*a#1/,
    );
  });

  it('refuses mm figures without a spacing unless pixels are allowed', () => {
    const g = annotations(1, { a: [{ x: 0, y: 0 }] });
    const p = annotations(1, { a: [{ x: 3, y: 4 }] });
    expect(() => radialErrors(p, g, { groundTruthSource: 'gt.json' })).toThrow(
      /gt\.json: no mm spacing known for 1 image\(s\): a/,
    );
    const px = radialErrors(p, g, { allowPixels: true });
    expect(px.unit).toBe('px');
    expect(px.errors[0].errorPx).toBe(5);
    const withDefault = radialErrors(p, g, { defaultSpacing: SPACING_01 });
    expect(withDefault.errors[0].errorMm).toBeCloseTo(0.5, 12);
  });

  it('lets an override beat the files own spacing', () => {
    const p = annotations(2, {
      a: [
        { x: 13, y: 14 },
        { x: 100, y: 50 },
      ],
      b: [null, null],
    });
    const r = radialErrors(p, gt, { spacingOverride: { x: 1, y: 1, source: 'user' } });
    expect(r.errors[0].errorMm).toBe(5);
    expect(r.spacings[0].source).toBe('user');
  });

  it('warns about landmark ids the ground truth does not define', () => {
    const p = annotations(3, {
      a: [
        { x: 10, y: 10 },
        { x: 100, y: 50 },
        { x: 0, y: 0 },
      ],
      b: [null, null, null],
    });
    const r = radialErrors(p, gt);
    expect(r.problems.find((x) => x.kind === 'unknown-landmark-ids')!.ids).toEqual(['3']);
    expect(r.landmarkIds).toEqual([1, 2]);
  });
});

describe('unmatched id hints', () => {
  it('points out ids that differ only in zero padding', () => {
    const g = annotations(1, { '004': [{ x: 0, y: 0 }], '005': [{ x: 0, y: 0 }] }, { spacing: SPACING_01 });
    const p = annotations(1, { '4': [{ x: 0, y: 0 }], '005': [{ x: 0, y: 0 }] });
    const r = radialErrors(p, g, { predictionFile: 'p.csv', groundTruthLabel: 'data:test1' });
    expect(r.problems[0].message).toBe(
      'p.csv: 1 prediction image id(s) match no image of data:test1: 4 (not evaluated; the other images were); ids differ only in zero padding (4 vs 004)',
    );
  });
});
