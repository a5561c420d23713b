import { describe, expect, it } from 'vitest';
import { confidenceColour, pointsForImage, reviewQueue, stepImage } from '../../src/renderer/src/lib/review';
import { fitView, hitTest, toImage, toScreen, windowLut, zoomAt } from '../../src/renderer/src/lib/viewport';
import { curvePoints, formatEta } from '../../src/renderer/src/lib/format';

const landmarkSet = {
  name: 's',
  landmarks: [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
  ],
};
const predictions = {
  landmarkSet,
  images: [
    { imageId: 't', landmarks: [{ id: 1, point: { x: 0, y: 0 }, confidence: 0.9 }] },
    {
      imageId: 'a',
      landmarks: [
        { id: 1, point: { x: 1, y: 1 }, confidence: 0.5 },
        { id: 2, point: { x: 2, y: 2 }, confidence: 0.2 },
      ],
    },
    {
      imageId: 'b',
      landmarks: [
        { id: 1, point: { x: 1, y: 1 }, confidence: 0.1 },
        { id: 2, point: { x: 2, y: 2 }, confidence: 0.9 },
      ],
    },
    {
      imageId: 'c',
      landmarks: [
        { id: 1, point: { x: 1, y: 1 }, confidence: 0.7 },
        { id: 2, point: { x: 2, y: 2 }, confidence: 0.8 },
      ],
    },
  ],
};

describe('review helpers', () => {
  it('queues the least confident image first, reviewed ones last, without the template', () => {
    expect(reviewQueue(predictions, [], 't')).toEqual(['b', 'a', 'c']);
    expect(reviewQueue(predictions, ['b'], 't')).toEqual(['a', 'c', 'b']);
  });

  it('shows a correction instead of the prediction it replaces', () => {
    const corrections = {
      landmarkSet,
      images: [{ imageId: 'a', landmarks: [{ id: 2, point: { x: 5, y: 6 } }] }],
    };
    expect(pointsForImage(predictions, corrections, 'a')).toEqual([
      { id: 1, point: { x: 1, y: 1 }, kind: 'prediction', confidence: 0.5 },
      { id: 2, point: { x: 5, y: 6 }, kind: 'correction' },
    ]);
  });

  it('colours confidence on fixed thresholds, not by rank among other images', () => {
    expect(confidenceColour(0.1)).toBe('#e5484d');
    expect(confidenceColour(0.5)).toBe('#f5a524');
    expect(confidenceColour(0.9)).toBe('#46a758');
    expect(confidenceColour(undefined)).toBe('#9aa4b2');
    // Three equally poor points stay red: a rank would have painted one of them green.
    expect([0.11, 0.12, 0.13].map(confidenceColour)).toEqual(['#e5484d', '#e5484d', '#e5484d']);
  });

  it('steps through the queue, wrapping at the ends', () => {
    expect(stepImage(['a', 'b', 'c'], 'c', 1)).toBe('a');
    expect(stepImage(['a', 'b', 'c'], 'a', -1)).toBe('c');
    expect(stepImage(['a', 'b'], null, 1)).toBe('a');
    expect(stepImage([], 'a', 1)).toBeNull();
  });
});

describe('viewport geometry', () => {
  it('maps pixel centres to screen and back', () => {
    const v = { scale: 4, tx: 10, ty: 20 };
    expect(toScreen({ x: 0, y: 0 }, v)).toEqual({ x: 12, y: 22 });
    expect(toImage(toScreen({ x: 7.25, y: 3 }, v), v)).toEqual({ x: 7.25, y: 3 });
  });

  it('fits, zooms about the cursor and hit-tests points', () => {
    const v = fitView(200, 100, 400, 400, 1);
    expect(v).toEqual({ scale: 2, tx: 0, ty: 100 });
    const at = { x: 150, y: 170 };
    const before = toImage(at, v);
    const z = zoomAt(v, 2, at);
    expect(toImage(at, z).x).toBeCloseTo(before.x, 9);
    expect(hitTest([{ point: { x: 10, y: 10 } }], toScreen({ x: 10, y: 12 }, v), v)).not.toBeNull();
    expect(hitTest([{ point: { x: 10, y: 10 } }], toScreen({ x: 20, y: 10 }, v), v)).toBeNull();
  });

  it('builds window/level lookups, inverted on request', () => {
    const lut = windowLut(255, 100, 100, false);
    expect([lut[0], lut[50], lut[100], lut[150], lut[255]]).toEqual([0, 0, 128, 255, 255]);
    expect(windowLut(255, 100, 100, true)[0]).toBe(255);
  });

  it('formats ETA and loss curves', () => {
    expect(formatEta(5)).toBe('5s');
    expect(formatEta(125)).toBe('2m 05s');
    expect(formatEta(undefined)).toBe('–');
    expect(curvePoints([2, 1], 10, 10)).toBe('0.0,0.0 10.0,10.0');
  });
});
