import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnnotationSet, OneMarkApi, Project } from '../../src/api/contract/types';
import { useMarkingStore } from '../../src/renderer/src/stores/marking';

const landmarkSet = {
  name: 's',
  landmarks: [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
  ],
};
const project = { path: '/p', templateImageId: 't', landmarkSet } as unknown as Project;

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => delete (globalThis as { window?: unknown }).window);

describe('marking store', () => {
  it('loads the template, saves after every change in order, and keeps other images', async () => {
    const saves: AnnotationSet[] = [];
    const other = { imageId: 'x', landmarks: [{ id: 1, point: { x: 9, y: 9 } }] };
    const api = {
      loadAnnotations: async () => ({
        landmarkSet,
        images: [other, { imageId: 't', landmarks: [{ id: 1, point: { x: 1, y: 1 } }] }],
      }),
      saveAnnotations: async (_p: string, set: AnnotationSet) => {
        await new Promise((r) => setTimeout(r, 5));
        saves.push(structuredClone(set));
      },
    } as unknown as OneMarkApi;
    (globalThis as { window?: unknown }).window = { onemark: api };
    const store = useMarkingStore();
    await store.load(project);
    expect(store.currentId).toBe(2);
    store.place({ x: 2, y: 3 });
    store.move(1, { x: 4, y: 4 });
    store.undo();
    await store.flush();
    expect(saves).toHaveLength(3);
    expect(saves[0].images).toEqual([
      other,
      {
        imageId: 't',
        landmarks: [
          { id: 1, point: { x: 1, y: 1 }, source: 'template' },
          { id: 2, point: { x: 2, y: 3 }, source: 'template' },
        ],
      },
    ]);
    expect(saves[1].images[1].landmarks[0].point).toEqual({ x: 4, y: 4 });
    expect(saves[2].images[1].landmarks[0].point).toEqual({ x: 1, y: 1 });
    expect(store.error).toBeNull();
  });

  it('reports a failed save as a message', async () => {
    const api = {
      loadAnnotations: async () => ({ landmarkSet, images: [] }),
      saveAnnotations: async () => {
        throw new Error('/p/annotations.json: cannot write (EACCES)');
      },
    } as unknown as OneMarkApi;
    (globalThis as { window?: unknown }).window = { onemark: api };
    const store = useMarkingStore();
    await store.load(project);
    store.place({ x: 1, y: 1 });
    await store.flush();
    expect(store.error).toMatch(/could not save the template: .*EACCES/);
  });
});
