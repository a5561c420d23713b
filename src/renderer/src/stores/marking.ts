/**
 * Template marking: wraps MarkingState (lib/marking.ts) and saves the template's landmarks to
 * the project (annotations.json, atomically, by the API) after every change.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef, triggerRef } from 'vue';
import type { AnnotationSet, Point, Project } from '../../../api/types';
import { getApi } from '../api';
import { MarkingState } from '../lib/marking';

export const useMarkingStore = defineStore('marking', () => {
  const state = shallowRef<MarkingState | null>(null);
  const projectPath = shallowRef<string | null>(null);
  const imageId = shallowRef<string | null>(null);
  const saving = shallowRef<Promise<void> | null>(null);
  const error = shallowRef<string | null>(null);
  let others: AnnotationSet['images'] = [];

  async function load(project: Project): Promise<void> {
    const template = project.templateImageId;
    projectPath.value = project.path;
    imageId.value = template;
    error.value = null;
    if (!template) {
      state.value = null;
      return;
    }
    const set = await getApi().loadAnnotations(project.path);
    const mine = set.images.find((a) => a.imageId === template);
    others = set.images.filter((a) => a.imageId !== template);
    state.value = new MarkingState(project.landmarkSet, mine?.landmarks ?? []);
  }

  function save(): Promise<void> {
    const s = state.value;
    if (!s || !projectPath.value || !imageId.value) return Promise.resolve();
    const set: AnnotationSet = {
      landmarkSet: s.landmarkSet,
      images: [...others, { imageId: imageId.value, landmarks: s.values() }],
    };
    const path = projectPath.value;
    // Saves are chained so an older write never lands after a newer one.
    const previous = saving.value ?? Promise.resolve();
    const next = previous
      .then(() => getApi().saveAnnotations(path, set))
      .then(
        () => {
          error.value = null;
        },
        (e: unknown) => {
          error.value = `could not save the template: ${e instanceof Error ? e.message : String(e)}`;
        },
      );
    saving.value = next;
    return next;
  }

  function mutate(f: (s: MarkingState) => unknown, persist = true): void {
    const s = state.value;
    if (!s) return;
    f(s);
    triggerRef(state);
    if (persist) void save();
  }

  return {
    state,
    imageId,
    error,
    currentId: computed(() => state.value?.currentId),
    load,
    save,
    flush: () => saving.value ?? Promise.resolve(),
    place: (p: Point) => mutate((s) => s.place(p)),
    move: (id: number, p: Point) => mutate((s) => s.move(id, p)),
    skip: () => mutate((s) => s.skip()),
    undo: () => mutate((s) => s.undo()),
    redo: () => mutate((s) => s.redo()),
    next: () => mutate((s) => s.next(), false),
    previous: () => mutate((s) => s.previous(), false),
    select: (id: number) => mutate((s) => s.select(id), false),
  };
});
