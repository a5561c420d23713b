import { describe, expect, it } from 'vitest';
import {
  formatSlicerMarkups,
  ISBI2015_LANDMARK_SET,
  parseSlicerMarkups,
  SLICER_MARKUPS_SCHEMA,
  type ImageAnnotation,
} from '../../../src/data';

const ann: ImageAnnotation = {
  imageId: '001',
  spacing: { x: 0.1, y: 0.2, source: 'PixelSpacing' },
  landmarks: [
    { id: 1, point: { x: 835, y: 996 }, confidence: 0.9, source: 'cc2d' },
    { id: 2, point: null },
    { id: 3, point: { x: 10.5, y: 20.25 } },
  ],
};

describe('3D Slicer markups (.mrk.json)', () => {
  it("follows Slicer's schema: @schema, Fiducial, LPS, mm, control points with positionStatus", () => {
    const doc = JSON.parse(formatSlicerMarkups(ann, ISBI2015_LANDMARK_SET));
    expect(doc['@schema']).toBe(SLICER_MARKUPS_SCHEMA);
    expect(doc['@schema']).toMatch(/markups-schema-v1\.0\.3\.json#$/);
    const m = doc.markups[0];
    expect(m).toMatchObject({ type: 'Fiducial', coordinateSystem: 'LPS', coordinateUnits: 'mm' });
    expect(m.controlPoints).toHaveLength(19); // the whole set: missing ones stay visible
    expect(m.controlPoints[0]).toMatchObject({ id: '1', label: 'S', positionStatus: 'defined' });
    expect(m.controlPoints[1]).toMatchObject({ id: '2', label: 'N', positionStatus: 'missing' });
    expect(m.controlPoints[5]).toMatchObject({ id: '6', positionStatus: 'missing' });
  });

  it('maps pixels to LPS as [x * sx, y * sy, 0]', () => {
    const doc = JSON.parse(formatSlicerMarkups(ann, ISBI2015_LANDMARK_SET));
    const [x, y, z] = doc.markups[0].controlPoints[0].position;
    expect(x).toBeCloseTo(83.5, 10);
    expect(y).toBeCloseTo(199.2, 10);
    expect(z).toBe(0);
  });

  it('round-trips with the same spacing (points, missing, confidence, source)', () => {
    const text = formatSlicerMarkups(ann, ISBI2015_LANDMARK_SET);
    const { annotation, problems } = parseSlicerMarkups(text, '/x/001.mrk.json', {
      spacing: ann.spacing,
      landmarkSet: ISBI2015_LANDMARK_SET,
    });
    expect(problems).toEqual([]);
    expect(annotation!.imageId).toBe('001');
    const byId = new Map(annotation!.landmarks.map((v) => [v.id, v]));
    expect(byId.get(1)!.point!.x).toBeCloseTo(835, 9);
    expect(byId.get(1)!.point!.y).toBeCloseTo(996, 9);
    expect(byId.get(1)).toMatchObject({ confidence: 0.9, source: 'cc2d' });
    expect(byId.get(2)!.point).toBeNull();
    expect(byId.get(3)!.point!.x).toBeCloseTo(10.5, 9);
    expect(byId.get(19)!.point).toBeNull();
    expect(annotation!.spacing).toEqual(ann.spacing);
  });

  it('unknown spacing maps 1 mm per pixel', () => {
    const a: ImageAnnotation = { imageId: 'p', landmarks: [{ id: 1, point: { x: 7, y: 9 } }] };
    const doc = JSON.parse(formatSlicerMarkups(a, ISBI2015_LANDMARK_SET));
    expect(doc.markups[0].controlPoints[0].position).toEqual([7, 9, 0]);
  });

  it('reads RAS files by negating x and y, and labels when ids are not numbers', () => {
    const doc = {
      markups: [
        {
          type: 'Fiducial',
          coordinateSystem: 'RAS',
          controlPoints: [{ id: 'abc', label: 'Po', position: [-5, -6, 0], positionStatus: 'defined' }],
        },
      ],
    };
    const { annotation } = parseSlicerMarkups(JSON.stringify(doc), 'r.mrk.json', {
      landmarkSet: ISBI2015_LANDMARK_SET,
    });
    expect(annotation!.landmarks).toEqual([{ id: 4, point: { x: 5, y: 6 } }]);
  });

  it('duplicate ids and non-numeric positions are problems naming the file', () => {
    const dup = {
      markups: [
        {
          type: 'Fiducial',
          controlPoints: [
            { id: '1', position: [1, 1, 0] },
            { id: '1', position: [2, 2, 0] },
          ],
        },
      ],
    };
    const r1 = parseSlicerMarkups(JSON.stringify(dup), 'd.mrk.json');
    expect(r1.annotation).toBeNull();
    expect(r1.problems[0]).toMatchObject({ path: 'd.mrk.json', message: 'duplicate landmark id 1' });
    const nan = { markups: [{ type: 'Fiducial', controlPoints: [{ id: '1', position: ['x', 1, 0] }] }] };
    expect(parseSlicerMarkups(JSON.stringify(nan), 'n.mrk.json').problems[0]!.message).toMatch(
      /non-numeric position\[0\] of control point 1/,
    );
    expect(() => parseSlicerMarkups('{"markups": 1}', 'bad.mrk.json')).toThrow(
      /bad\.mrk\.json: not a Slicer markups file/,
    );
  });
});
