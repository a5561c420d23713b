/**
 * Landmark sets: which landmarks an image carries (ids, names, abbreviations, colours), the ISBI 2015
 * preset and user-defined sets.
 */
import type { LandmarkDef, LandmarkSet } from './types';

/**
 * 20 colours that stay distinguishable on a grey radiograph (Trubetskoy's list); landmark i (1-based)
 * gets entry (i - 1) mod 20 unless it names its own.
 */
export const LANDMARK_PALETTE: readonly string[] = [
  '#e6194b',
  '#3cb44b',
  '#ffe119',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#46f0f0',
  '#f032e6',
  '#bcf60c',
  '#fabebe',
  '#008080',
  '#e6beff',
  '#9a6324',
  '#fffac8',
  '#800000',
  '#aaffc3',
  '#808000',
  '#ffd8b1',
  '#000075',
  '#808080',
];

export function defaultLandmarkColor(id: number): string {
  const n = LANDMARK_PALETTE.length;
  return LANDMARK_PALETTE[(((id - 1) % n) + n) % n]!;
}

/** ISBI 2015 challenge order (1-based), names as in the dataset's README. */
const ISBI_2015: ReadonlyArray<readonly [string, string]> = [
  ['sella', 'S'],
  ['nasion', 'N'],
  ['orbitale', 'Or'],
  ['porion', 'Po'],
  ['subspinale (A point)', 'A'],
  ['supramentale (B point)', 'B'],
  ['pogonion', 'Pog'],
  ['menton', 'Me'],
  ['gnathion', 'Gn'],
  ['gonion', 'Go'],
  ['lower incisal incision', 'LIT'],
  ['upper incisal incision', 'UIT'],
  ['upper lip', 'UL'],
  ['lower lip', 'LL'],
  ['subnasale', 'Sn'],
  ['soft tissue pogonion', "Pog'"],
  ['posterior nasal spine', 'PNS'],
  ['anterior nasal spine', 'ANS'],
  ['articulare', 'Ar'],
];

export const ISBI2015_LANDMARK_SET: LandmarkSet = Object.freeze({
  name: 'ISBI 2015 cephalometric (19)',
  landmarks: ISBI_2015.map(([name, abbreviation], i) =>
    Object.freeze({ id: i + 1, name, abbreviation, color: defaultLandmarkColor(i + 1) }),
  ),
}) as LandmarkSet;

/** Presets by key; the app and CLI list these. */
export const LANDMARK_SET_PRESETS: Readonly<Record<string, LandmarkSet>> = Object.freeze({
  isbi2015: ISBI2015_LANDMARK_SET,
});

export function getLandmarkSetPreset(key: string): LandmarkSet {
  const set = LANDMARK_SET_PRESETS[key.toLowerCase()];
  if (!set) {
    throw new Error(
      `unknown landmark set preset '${key}' (known: ${Object.keys(LANDMARK_SET_PRESETS).join(', ')})`,
    );
  }
  return cloneLandmarkSet(set);
}

export function cloneLandmarkSet(set: LandmarkSet): LandmarkSet {
  return { name: set.name, landmarks: set.landmarks.map((l) => ({ ...l })) };
}

export type LandmarkSpec = string | (Omit<LandmarkDef, 'id'> & { id?: number });

/**
 * A user-defined set. Names alone get ids 1..n in order; a def without an id gets the next free id;
 * landmarks without a colour get the palette's. Throws when the result is invalid (duplicate ids...).
 */
export function createLandmarkSet(name: string, specs: readonly LandmarkSpec[]): LandmarkSet {
  const used = new Set<number>();
  for (const s of specs) if (typeof s !== 'string' && s.id !== undefined) used.add(s.id);
  let next = 1;
  const landmarks: LandmarkDef[] = specs.map((s) => {
    const def = typeof s === 'string' ? { name: s } : s;
    let id = def.id;
    if (id === undefined) {
      while (used.has(next)) next++;
      id = next;
      used.add(id);
    }
    const out: LandmarkDef = { id, name: def.name };
    if (def.abbreviation) out.abbreviation = def.abbreviation;
    out.color = def.color ?? defaultLandmarkColor(id);
    return out;
  });
  const set = { name, landmarks };
  const errors = validateLandmarkSet(set);
  if (errors.length) throw new Error(`landmark set '${name}': ${errors.join('; ')}`);
  return set;
}

/** Problems of a set, as sentences; empty when valid. */
export function validateLandmarkSet(set: LandmarkSet): string[] {
  const errors: string[] = [];
  if (!set || !Array.isArray(set.landmarks)) return ['landmark set has no landmarks array'];
  if (set.landmarks.length === 0) errors.push('landmark set is empty');
  const seen = new Map<number, string>();
  for (const l of set.landmarks) {
    if (!Number.isInteger(l.id) || l.id < 1)
      errors.push(`landmark '${l.name}' has id ${String(l.id)}, expected an integer >= 1`);
    else if (seen.has(l.id))
      errors.push(`duplicate landmark id ${l.id} ('${seen.get(l.id)}' and '${l.name}')`);
    else seen.set(l.id, l.name);
    if (typeof l.name !== 'string' || l.name.trim() === '') errors.push(`landmark ${l.id} has no name`);
    if (l.color !== undefined && (typeof l.color !== 'string' || l.color.trim() === '')) {
      errors.push(`landmark ${l.id} has an invalid colour`);
    }
  }
  return errors;
}

export function findLandmark(set: LandmarkSet, id: number): LandmarkDef | undefined {
  return set.landmarks.find((l) => l.id === id);
}

/** Ids in the set's order. */
export function landmarkIds(set: LandmarkSet): number[] {
  return set.landmarks.map((l) => l.id);
}

/** A set for files that carry only ids (and maybe names): names default to `L<id>`. */
export function landmarkSetFromIds(
  name: string,
  ids: Iterable<number>,
  names: ReadonlyMap<number, string> = new Map(),
): LandmarkSet {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  return {
    name,
    landmarks: sorted.map((id) => ({ id, name: names.get(id) || `L${id}`, color: defaultLandmarkColor(id) })),
  };
}
