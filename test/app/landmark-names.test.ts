import { describe, expect, it } from 'vitest';
import { INVOKE_METHODS } from '../../src/api/contract/channels';
import { LANDMARK_SET_PRESETS } from '../../src/data/landmarkSets';
import { userMessage } from '../../src/renderer/src/lib/errors';
import { editLandmarkNames } from '../../src/renderer/src/lib/landmarkNames';

const isbi = LANDMARK_SET_PRESETS.isbi2015;
const names = isbi.landmarks.map((l) => l.name);

describe('editing landmark names', () => {
  it('a rename keeps the id, abbreviation and colour of every landmark', () => {
    const lines = [...names];
    lines[1] = 'Nasion point';
    const e = editLandmarkNames(isbi, lines, isbi.name);
    expect(e.set.landmarks.map((l) => l.id)).toEqual(isbi.landmarks.map((l) => l.id));
    expect(e.set.landmarks.map((l) => l.abbreviation)).toEqual(isbi.landmarks.map((l) => l.abbreviation));
    expect(e.set.landmarks.map((l) => l.color)).toEqual(isbi.landmarks.map((l) => l.color));
    expect(e.set.landmarks[1].name).toBe('Nasion point');
    expect(e.renamed).toHaveLength(1);
    expect(e.removed).toEqual([]);
  });

  it('deleting a line removes that landmark only; the others keep their ids', () => {
    const e = editLandmarkNames(isbi, names.slice(1), isbi.name);
    expect(e.removed.map((l) => l.id)).toEqual([1]);
    expect(e.set.landmarks.map((l) => l.id)).toEqual(isbi.landmarks.slice(1).map((l) => l.id));
  });

  it('new names get fresh ids after the largest one, reordering keeps ids', () => {
    const e = editLandmarkNames(isbi, [names[2], names[0], ...names.slice(3), names[1], 'Extra'], isbi.name);
    expect(e.set.landmarks[0].id).toBe(3);
    expect(e.set.landmarks[1].id).toBe(1);
    expect(e.set.landmarks.at(-1)).toEqual({ id: 20, name: 'Extra' });
    expect(e.removed).toEqual([]);
  });
});

describe('error messages for people', () => {
  it('drops the API call and names the field', () => {
    const m = userMessage(
      'createProject(request.path): expected an absolute path, got "proj"',
      INVOKE_METHODS,
    );
    expect(m).not.toMatch(/createProject|request\.path/);
    expect(m).toMatch(/^The project folder: "proj" is not a full path/);
    expect(userMessage('startTraining: job x is still running in this project', INVOKE_METHODS)).toBe(
      'Job x is still running in this project',
    );
    expect(userMessage('Failed to fetch', INVOKE_METHODS)).toMatch(/Lost the connection/);
    expect(userMessage('no OneMark project in /p', INVOKE_METHODS)).toBe('no OneMark project in /p');
  });
});
