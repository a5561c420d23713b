/**
 * Editing the landmark set as "one name a line" without losing what the names stand for. Marks,
 * predictions and corrections are stored by landmark id, so an edit must keep each surviving
 * landmark's id (and its abbreviation and colour); renumbering 1..N would silently move every
 * mark below a deleted line onto the next landmark.
 */
import type { LandmarkSet } from '../../../api/contract/types';

type LandmarkDef = LandmarkSet['landmarks'][number];

export interface NamesEdit {
  /** The new set: surviving landmarks keep id, abbreviation and colour; new ones get fresh ids. */
  set: LandmarkSet;
  /** Landmarks of the old set that are gone (their marks stop counting). */
  removed: LandmarkDef[];
  /** Old landmarks whose name changed: [before, after]. */
  renamed: [LandmarkDef, LandmarkDef][];
  added: LandmarkDef[];
}

/**
 * Lines whose name is already in the set keep that landmark. The other lines are renames when
 * they take the place of an old landmark that no line names any more (same position in the
 * order of the leftovers), else additions; old landmarks left over are removals.
 */
export function editLandmarkNames(old: LandmarkSet, lines: readonly string[], setName: string): NamesEdit {
  const names = lines.map((s) => s.trim()).filter(Boolean);
  const byName = new Map<string, LandmarkDef>();
  for (const l of old.landmarks) if (!byName.has(l.name)) byName.set(l.name, l);
  const used = new Set<number>();
  const kept: (LandmarkDef | null)[] = names.map((n) => {
    const l = byName.get(n);
    if (!l || used.has(l.id)) return null;
    used.add(l.id);
    return l;
  });
  const leftovers = old.landmarks.filter((l) => !used.has(l.id));
  let nextId = Math.max(0, ...old.landmarks.map((l) => l.id)) + 1;
  const renamed: [LandmarkDef, LandmarkDef][] = [];
  const added: LandmarkDef[] = [];
  const landmarks = names.map((name, i) => {
    const k = kept[i];
    if (k) return { ...k };
    const was = leftovers.shift();
    if (was) {
      const next: LandmarkDef = { ...was, name };
      // An abbreviation that spelled the old name would now mislabel the point.
      if (was.abbreviation && was.abbreviation === was.name) delete next.abbreviation;
      renamed.push([was, next]);
      used.add(was.id);
      return next;
    }
    const fresh: LandmarkDef = { id: nextId++, name };
    added.push(fresh);
    return fresh;
  });
  return {
    set: { name: setName, landmarks },
    removed: old.landmarks.filter((l) => !used.has(l.id)),
    renamed,
    added,
  };
}
