import { describe, expect, it } from 'vitest';
import {
  formatLandmarkCsv,
  ISBI2015_LANDMARK_SET,
  parseLandmarkCsv,
  type AnnotationSet,
} from '../../../src/data';

const set: AnnotationSet = {
  landmarkSet: ISBI2015_LANDMARK_SET,
  images: [
    {
      imageId: '001',
      spacing: { x: 0.1, y: 0.1, source: 'dataset' },
      landmarks: [
        { id: 1, point: { x: 835, y: 996 }, confidence: 0.93, source: 'cc2d' },
        { id: 2, point: null, source: 'cc2d' },
        { id: 3, point: { x: 12.25, y: 0 } },
      ],
    },
    {
      imageId: 'odd, "name"',
      spacing: { x: 0.1, y: 0.1, source: 'dataset' },
      landmarks: [{ id: 19, point: { x: 1, y: 2 } }],
    },
  ],
  meta: { seed: 7, method: 'cc2d', note: 'a, "quoted" note' },
};

describe('OneMark CSV', () => {
  it('writes the documented columns, mm from spacing, missing as empty cells', () => {
    const text = formatLandmarkCsv(set);
    const lines = text.trim().split('\n');
    expect(lines).toContain('image,landmark_id,name,x_px,y_px,x_mm,y_mm,confidence,source');
    expect(lines).toContain('001,1,sella,835,996,83.5,99.6,0.93,cc2d');
    expect(lines).toContain('001,2,nasion,,,,,,cc2d');
    expect(lines).toContain('"odd, ""name""",19,articulare,1,2,0.1,0.2,,');
    expect(lines[0]).toBe('# onemark-landmarks: 1');
  });

  it('round-trips points, missing points, confidence, source, spacing and meta', () => {
    const { set: back, problems } = parseLandmarkCsv(formatLandmarkCsv(set), 'rt.csv', {
      landmarkSet: ISBI2015_LANDMARK_SET,
    });
    expect(problems).toEqual([]);
    expect(back.images).toEqual(set.images);
    expect(back.meta).toEqual(set.meta);
  });

  it('without a set, builds one from ids and names in the file', () => {
    const { set: back } = parseLandmarkCsv(formatLandmarkCsv(set), 'rt.csv');
    expect(back.landmarkSet.name).toBe(ISBI2015_LANDMARK_SET.name);
    expect(back.landmarkSet.landmarks.map((l) => [l.id, l.name])).toEqual([
      [1, 'sella'],
      [2, 'nasion'],
      [3, 'orbitale'],
      [19, 'articulare'],
    ]);
  });

  it('accepts any column order and no mm columns', () => {
    const { set: back, problems } = parseLandmarkCsv('y_px,x_px,landmark_id,image\n5,4,1,a\n', 'min.csv');
    expect(problems).toEqual([]);
    expect(back.images).toEqual([{ imageId: 'a', landmarks: [{ id: 1, point: { x: 4, y: 5 } }] }]);
  });

  it('a missing required column is an error naming file and columns', () => {
    expect(() => parseLandmarkCsv('image,x_px,y_px\na,1,2\n', 'bad.csv')).toThrow(
      /bad\.csv:1: CSV header lacks column\(s\) landmark_id/,
    );
  });

  it('duplicate ids: the image is reported with both lines and left out, the rest loads', () => {
    const text = 'image,landmark_id,x_px,y_px\na,1,1,1\na,2,2,2\na,1,3,3\nb,1,4,4\n';
    const { set: back, problems } = parseLandmarkCsv(text, 'dup.csv');
    expect(problems).toEqual([
      {
        kind: 'landmarks',
        path: 'dup.csv',
        line: 4,
        itemId: 'a',
        message: "image 'a': duplicate landmark id 1 (first on line 2)",
      },
    ]);
    expect(back.images.map((a) => a.imageId)).toEqual(['b']);
  });

  it('non-numeric coordinates are reported with the line, the rest loads', () => {
    const { set: back, problems } = parseLandmarkCsv(
      'image,landmark_id,x_px,y_px\na,1,1x,1\nb,1,4,4\n',
      'nn.csv',
    );
    expect(problems[0]).toMatchObject({
      line: 2,
      message: "image 'a': non-numeric x_px of landmark 1: '1x'",
    });
    expect(back.images.map((a) => a.imageId)).toEqual(['b']);
  });

  it('NaN coordinates are reported, not read as NaN', () => {
    const { set: back, problems } = parseLandmarkCsv('image,landmark_id,x_px,y_px\na,1,3,NaN\n', 'nan.csv');
    expect(problems[0]!.message).toBe("image 'a': y_px of landmark 1 is not a finite number: 'NaN'");
    expect(back.images).toEqual([]);
  });

  it('half a point and ids outside the set are problems', () => {
    const { problems } = parseLandmarkCsv(
      'image,landmark_id,x_px,y_px\na,1,3,\nb,20,1,1\nc,0,1,1\n',
      'p.csv',
      { landmarkSet: ISBI2015_LANDMARK_SET },
    );
    expect(problems.map((p) => p.message)).toEqual([
      "image 'a': y_px of landmark 1 is empty",
      "image 'b': landmark id 20 is not in the landmark set 'ISBI 2015 cephalometric (19)'",
      "image 'c': landmark_id must be an integer >= 1, found '0'",
    ]);
  });
});
