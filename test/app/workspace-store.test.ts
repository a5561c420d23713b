import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiService } from '../../src/api/service/service';
import { useWorkspaceStore } from '../../src/renderer/src/stores/workspace';

// The renderer store driven by the real service in Node: what the window would see, minus IPC.
let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-store-'));
  setActivePinia(createPinia());
});

afterEach(async () => {
  delete (globalThis as { window?: unknown }).window;
  // Opening and closing a project saves the UI state without waiting (src/renderer/src/stores):
  // that write may still land while the folder is removed.
  await rm(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

describe('workspace store', () => {
  it('loads engine info and projects, then opens one', async () => {
    const api = createApiService({ stateDir: tmp });
    const created = await api.createProject({ path: path.join(tmp, 'projects', 'ceph'), name: 'Ceph' });
    (globalThis as { window?: unknown }).window = { onemark: api };

    const store = useWorkspaceStore();
    await store.refresh();
    expect(store.error).toBeNull();
    expect(store.engine?.engine.state).toBe('missing');
    expect(store.projects.map((p) => p.name)).toEqual(['Ceph']);

    await store.openProject(created.path);
    expect(store.current?.name).toBe('Ceph');
    expect(store.loading).toBe(false);
    store.closeProject();
    expect(store.current).toBeNull();
  });

  it('keeps API errors as text instead of throwing into the UI', async () => {
    (globalThis as { window?: unknown }).window = { onemark: createApiService({ stateDir: tmp }) };
    const store = useWorkspaceStore();
    await store.openProject(path.join(tmp, 'nothing-here'));
    expect(store.error).toMatch(/no OneMark project in/);
    expect(store.current).toBeNull();
  });

  it('says the page must run inside the app when window.onemark is absent', async () => {
    const store = useWorkspaceStore();
    await store.refresh();
    expect(store.error).toMatch(/window\.onemark is missing/);
  });
});
