import { describe, expect, it } from 'vitest';
import {
  formatLandmarkJson,
  ISBI2015_LANDMARK_SET,
  parseLandmarkJson,
  type AnnotationSet,
} from '../../../src/data';

const set: AnnotationSet = {
  landmarkSet: ISBI2015_LANDMARK_SET,
  images: [
    {
      imageId: '151',
      spacing: { x: 0.1, y: 0.1, source: 'dataset' },
      landmarks: [
        { id: 1, point: { x: 835.123456789, y: 996 }, confidence: 0.5, source: 'sla' },
        { id: 2, point: null },
      ],
    },
    { imageId: '152', landmarks: [{ id: 19, point: { x: 0, y: -1 } }] },
  ],
  meta: { seed: 1, createdAt: '2025-01-01T00:00:00Z' },
};

describe('OneMark JSON', () => {
  it('round-trips exactly, set included', () => {
    const { set: back, problems } = parseLandmarkJson(formatLandmarkJson(set), 'a.json');
    expect(problems).toEqual([]);
    expect(back).toEqual(set);
  });

  it('is tagged and flattens points to {id, x, y}', () => {
    const doc = JSON.parse(formatLandmarkJson(set));
    expect(doc.format).toBe('onemark.landmarks');
    expect(doc.version).toBe(1);
    expect(doc.images[0].landmarks[1]).toEqual({ id: 2, x: null, y: null });
  });

  it('duplicate ids, non-numeric and missing coordinates are reported per image', () => {
    const doc = {
      images: [
        {
          imageId: 'a',
          landmarks: [
            { id: 1, x: 1, y: 1 },
            { id: 1, x: 2, y: 2 },
          ],
        },
        { imageId: 'b', landmarks: [{ id: 1, x: 'abc', y: 1 }] },
        { imageId: 'c', landmarks: [{ id: 1, x: 1 }] },
        { imageId: 'd', landmarks: [{ id: 1, x: 1, y: 2 }] },
      ],
    };
    const { set: back, problems } = parseLandmarkJson(JSON.stringify(doc), 'p.json');
    expect(problems.map((p) => p.message)).toEqual([
      "image 'a': duplicate landmark id 1",
      "image 'b': non-numeric x of landmark 1: 'abc'",
      "image 'c': non-numeric y of landmark 1: undefined",
    ]);
    expect(back.images.map((a) => a.imageId)).toEqual(['d']);
  });

  it('a file that is not a landmark file is an error naming it', () => {
    expect(() => parseLandmarkJson('{"a":1}', 'x.json')).toThrow(/x\.json: not a OneMark landmark file/);
    expect(() => parseLandmarkJson('{', 'y.json')).toThrow(/y\.json: not valid JSON/);
    expect(() => parseLandmarkJson('{"format":"other","images":[]}', 'z.json')).toThrow(
      /z\.json: unknown format 'other'/,
    );
  });
});
