import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createLandmarkSet,
  getLandmarkSetPreset,
  ISBI2015_LANDMARK_SET,
  landmarkSetFromIds,
  validateLandmarkSet,
} from '../../src/data';

const README = fileURLToPath(new URL('../../../shared/isbi2015/README.md', import.meta.url));

describe('ISBI 2015 preset', () => {
  it('has 19 landmarks with ids 1..19, names, abbreviations and colours', () => {
    const s = ISBI2015_LANDMARK_SET;
    expect(s.landmarks.map((l) => l.id)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(s.landmarks[0]).toMatchObject({ name: 'sella', abbreviation: 'S' });
    expect(s.landmarks[18]).toMatchObject({ name: 'articulare', abbreviation: 'Ar' });
    expect(new Set(s.landmarks.map((l) => l.color)).size).toBe(19);
    expect(validateLandmarkSet(s)).toEqual([]);
  });

  it.skipIf(!existsSync(README))(
    'names match the dataset README (skipped: ../shared/isbi2015 absent)',
    async () => {
      const text = await readFile(README, 'utf8');
      const section = text.slice(text.indexOf('## Landmarks')).replace(/\s+/g, ' ');
      for (const l of ISBI2015_LANDMARK_SET.landmarks) expect(section, l.name).toContain(`${l.id} ${l.name}`);
    },
  );

  it('the preset is returned as a copy', () => {
    const a = getLandmarkSetPreset('isbi2015');
    a.landmarks[0]!.name = 'changed';
    expect(getLandmarkSetPreset('ISBI2015').landmarks[0]!.name).toBe('sella');
    expect(() => getLandmarkSetPreset('nope')).toThrow(/unknown landmark set preset 'nope'/);
  });
});

describe('user-defined sets', () => {
  it('names alone get ids 1..n and palette colours', () => {
    const s = createLandmarkSet('hand', ['thumb tip', 'index tip']);
    expect(s.landmarks).toEqual([
      { id: 1, name: 'thumb tip', color: expect.any(String) },
      { id: 2, name: 'index tip', color: expect.any(String) },
    ]);
  });

  it('explicit ids are kept and free ids filled around them', () => {
    const s = createLandmarkSet('x', [{ id: 2, name: 'b', abbreviation: 'B', color: '#123456' }, 'a']);
    expect(s.landmarks.map((l) => [l.id, l.name])).toEqual([
      [2, 'b'],
      [1, 'a'],
    ]);
    expect(s.landmarks[0]!.color).toBe('#123456');
  });

  it('duplicate ids are refused with both names', () => {
    expect(() =>
      createLandmarkSet('x', [
        { id: 1, name: 'a' },
        { id: 1, name: 'b' },
      ]),
    ).toThrow(/duplicate landmark id 1 \('a' and 'b'\)/);
  });

  it('validation catches bad ids and empty names', () => {
    expect(
      validateLandmarkSet({
        name: 'x',
        landmarks: [
          { id: 0, name: 'a' },
          { id: 2, name: ' ' },
        ],
      }),
    ).toEqual(["landmark 'a' has id 0, expected an integer >= 1", 'landmark 2 has no name']);
  });

  it('sets from ids get placeholder names', () => {
    expect(landmarkSetFromIds('f', [3, 1, 3], new Map([[1, 'one']])).landmarks.map((l) => l.name)).toEqual([
      'one',
      'L3',
    ]);
  });
});
