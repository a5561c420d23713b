/**
 * The dense methods' shape check (src/methods/dense/shapeCheck.ts): the shape model comes from the
 * run's final training labels, parts merged; a displaced answer is flagged and settled halfway
 * between its second search and its expected position, with the weaker confidence.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../../../src/data/types';
import { densePreset, validateDense } from '../../../src/methods/dense/config';
import { FINAL_LABELS } from '../../../src/methods/dense/run';
import { checkShape, loadRunShapeModel, settleChecked } from '../../../src/methods/dense/shapeCheck';
import { RunLayout } from '../../../src/runs/layout';

/** Twelve landmarks over a 400-px shape (fine-grid pixels). */
const BASE: Point[] = Array.from({ length: 12 }, (_, j) => ({
  x: 320 + 160 * Math.cos(j * 0.52) + 30 * Math.sin(j * 1.7),
  y: 320 + 180 * Math.sin(j * 0.52) + 20 * Math.cos(j * 2.3),
}));
const N = BASE.length;

/** Training shapes: the base shape moved, stretched and bent a little, image by image. */
function labels(count: number): Point[][] {
  return Array.from({ length: count }, (_, i) =>
    BASE.map((p, j) => ({
      x: p.x + 3 * (i % 9) + (j % 2 ? 1 : -1) * 0.4 * (i % 11),
      y: p.y * (1 + 0.01 * (i % 7)) - 2 * (i % 5),
    })),
  );
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function runWithParts(parts: number[][], count = 40): RunLayout {
  const root = mkdtempSync(join(tmpdir(), 'onemark-shape-'));
  dirs.push(root);
  const layout = new RunLayout(root);
  const all = labels(count);
  parts.forEach((landmarks, k) => {
    mkdirSync(layout.stageDir(`adapter-part-${k + 1}`), { recursive: true });
    writeFileSync(
      layout.artefact(`adapter-part-${k + 1}`, FINAL_LABELS),
      JSON.stringify({
        ids: all.map((_, i) => String(i)),
        size: 640,
        landmarks,
        points: all.map((s) => landmarks.map((j) => s[j])),
      }),
    );
  });
  return layout;
}

describe('shape check', () => {
  it('merges the parts of a run, and flags only a displaced answer', () => {
    const even = BASE.map((_, j) => j).filter((j) => j % 2 === 0);
    const odd = BASE.map((_, j) => j).filter((j) => j % 2 === 1);
    const layout = runWithParts([even, odd]);
    const shape = loadRunShapeModel(layout, ['adapter-part-1', 'adapter-part-2'], N, 3)!;
    expect(shape.landmarks).toEqual(BASE.map((_, j) => j));
    const truth = labels(48)[47];
    const answers = truth.map((p, j) => (j === 2 ? { x: p.x - 40, y: p.y + 30 } : p));
    const { expected, flagged } = checkShape(shape, answers, 10);
    expect(flagged).toEqual(BASE.map((_, j) => j === 2));
    expect(Math.hypot(expected[2]!.x - truth[2].x, expected[2]!.y - truth[2].y)).toBeLessThan(5);
  });

  it('has no model for a run without final labels', () => {
    const layout = runWithParts([BASE.map((_, j) => j)]);
    expect(loadRunShapeModel(layout, ['adapter-part-1', 'adapter'], N, 3)).toBeNull();
  });

  it('settles a flagged answer halfway between its second search and the shape, with the weaker confidence', () => {
    const first = {
      points: [
        [
          { x: 0, y: 0 },
          { x: 50, y: 50 },
        ],
      ],
      confidence: [[0.9, 0.8]],
    };
    const again = {
      points: [
        [
          { x: 1, y: 1 },
          { x: 10, y: 20 },
        ],
      ],
      confidence: [[0.7, 0.6]],
    };
    const checks = [
      {
        expected: [
          { x: 0, y: 0 },
          { x: 20, y: 30 },
        ],
        flagged: [false, true],
      },
    ];
    const out = settleChecked(first, checks, again);
    expect(out.points[0]).toEqual([
      { x: 0, y: 0 },
      { x: 15, y: 25 },
    ]);
    expect(out.confidence[0]).toEqual([0.9, 0.6]);
  });

  it('is on at quick, and a flag radius that is not positive is refused by name', () => {
    expect(densePreset('adapter', 'quick').dense.crops!.shapeCheck).toEqual({ modes: 3, flag: 0.15 });
    const c = densePreset('sla', 'quick');
    c.dense.crops = { ...c.dense.crops!, shapeCheck: { modes: 3, flag: 0 } };
    expect(() => validateDense(c)).toThrow(/dense\.crops\.shapeCheck\.flag 0 must be > 0/);
  });
});
