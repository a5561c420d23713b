/**
 * Template marking: wraps MarkingState (lib/marking.ts) and saves the template's landmarks to
 * the project (annotations.json, atomically, by the API) after every change.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef, triggerRef } from 'vue';
import type { AnnotationSet, Point, Project } from '../../../api/contract/types';
import { getApi } from '../api';
import { MarkingState } from '../lib/marking';

export const useMarkingStore = defineStore('marking', () => {
  const state = shallowRef<MarkingState | null>(null);
  const projectPath = shallowRef<string | null>(null);
  const imageId = shallowRef<string | null>(null);
  const saving = shallowRef<Promise<void> | null>(null);
  const error = shallowRef<string | null>(null);
  /** Set when another tab or window saved the template since this one loaded it. */
  const stale = shallowRef(false);
  let others: AnnotationSet['images'] = [];
  /** The revision of annotations.json this window's edits build on; sent with every save. */
  let revision: number | undefined;
  let loadedProject: Project | null = null;

  async function load(project: Project, force = false): Promise<void> {
    const template = project.templateImageId;
    // Back on the tab: keep the marking and its undo history (a change another tab saved
    // meanwhile is caught by the revision on the next save).
    if (
      !force &&
      state.value &&
      !stale.value &&
      projectPath.value === project.path &&
      imageId.value === template &&
      JSON.stringify(state.value.landmarkSet) === JSON.stringify(project.landmarkSet)
    ) {
      loadedProject = project;
      return;
    }
    projectPath.value = project.path;
    imageId.value = template;
    error.value = null;
    stale.value = false;
    loadedProject = project;
    if (!template) {
      state.value = null;
      return;
    }
    const set = await getApi().loadAnnotations(project.path);
    revision = set.revision;
    const mine = set.images.find((a) => a.imageId === template);
    others = set.images.filter((a) => a.imageId !== template);
    state.value = new MarkingState(project.landmarkSet, mine?.landmarks ?? []);
  }

  function save(): Promise<void> {
    const s = state.value;
    if (!s || !projectPath.value || !imageId.value) return Promise.resolve();
    const landmarks = s.values();
    const path = projectPath.value;
    const image = imageId.value;
    // Saves are chained so an older write never lands after a newer one.
    const previous = saving.value ?? Promise.resolve();
    const next = previous
      .then(() => {
        // Once refused as stale, every later save would overwrite the other tab's work too.
        if (stale.value) return;
        const set: AnnotationSet & { revision?: number } = {
          landmarkSet: s.landmarkSet,
          images: [...others, { imageId: image, landmarks }],
          revision,
        };
        return getApi()
          .saveAnnotations(path, set)
          .then((r: { revision?: number } | undefined) => {
            // An API without revisions answers nothing: keep saving without the check.
            revision = r?.revision;
            error.value = null;
          });
      })
      .catch((e: unknown) => {
        const err = e as { name?: string; status?: number; message?: string };
        if (err.name === 'StaleWriteError' || err.status === 409) {
          stale.value = true;
          error.value =
            'The template was changed in another tab or window after this one loaded it, so this change ' +
            'was not saved (nothing of theirs was overwritten). Reload to see the saved landmarks, then redo it.';
        } else {
          error.value = `could not save the template: ${err.message ?? String(e)}`;
        }
      });
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

  /**
   * The template's landmarks from a file: the entry for the template image, or the file's only
   * image whatever its name (a file exported from another tool rarely uses our image ids).
   */
  async function importFile(file: string): Promise<string | null> {
    const s = state.value;
    if (!s || !projectPath.value || !imageId.value) return null;
    try {
      const set = await getApi().readLandmarkFile(projectPath.value, file);
      const entry =
        set.images.find((a) => a.imageId === imageId.value) ??
        (set.images.length === 1 ? set.images[0] : undefined);
      if (!entry) {
        throw new Error(
          `${file} holds landmarks of ${set.images.length} images, none of them the template (${imageId.value})`,
        );
      }
      let n = 0;
      mutate((m) => (n = m.replace(entry.landmarks)));
      if (n === 0) throw new Error(`${file}: none of its landmarks is in this project's landmark set`);
      error.value = null;
      return `imported ${n} landmark(s) from ${file.split(/[\\/]/).pop()}`;
    } catch (e) {
      error.value = `could not import the template's landmarks: ${(e as Error).message}`;
      return null;
    }
  }

  /** Drops this window's unsaved state and loads what is saved now. */
  async function reload(): Promise<void> {
    if (loadedProject) await load(loadedProject, true);
  }

  return {
    state,
    imageId,
    error,
    stale,
    reload,
    importFile,
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
