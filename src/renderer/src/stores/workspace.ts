/**
 * What the shell shows: engine status, known projects, the open project and its current view.
 * Every call goes through the typed API; errors are kept as text for the UI instead of being
 * thrown into Vue (a broken project file shows its message, never a blank window).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  EngineInfo,
  ImportImagesRequest,
  LandmarkSet,
  Project,
  ProjectSummary,
} from '../../../api/types';
import { getApi } from '../api';

export type ProjectView = 'images' | 'template' | 'training' | 'review' | 'export';

export const useWorkspaceStore = defineStore('workspace', () => {
  const engine = ref<EngineInfo | null>(null);
  const projects = ref<ProjectSummary[]>([]);
  const current = ref<Project | null>(null);
  const view = ref<ProjectView>('images');
  const loading = ref(false);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);

  async function guarded(work: () => Promise<void>): Promise<boolean> {
    loading.value = true;
    error.value = null;
    try {
      await work();
      return true;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      return false;
    } finally {
      loading.value = false;
    }
  }

  function refresh(): Promise<boolean> {
    return guarded(async () => {
      const api = getApi();
      // The engine probe may start an engine process (seconds): the list must not wait for it.
      const info = api.engineInfo().then((i) => (engine.value = i));
      const list = await api.listProjects();
      // A project opened or created meanwhile stays listed even if the answer predates it.
      const open = current.value;
      projects.value = open && !list.some((p) => p.path === open.path) ? [summaryOf(open), ...list] : list;
      await info;
    });
  }

  function openProject(path: string): Promise<boolean> {
    return guarded(async () => {
      setCurrent(await getApi().openProject(path));
      const p = current.value!;
      view.value = p.images.length === 0 ? 'images' : p.templateImageId ? 'template' : 'images';
    });
  }

  function createProject(path: string, name: string, landmarkSet?: LandmarkSet): Promise<boolean> {
    return guarded(async () => {
      setCurrent(await getApi().createProject({ path, name, ...(landmarkSet ? { landmarkSet } : {}) }));
      view.value = 'images';
    });
  }

  function closeProject(): void {
    current.value = null;
  }

  function summaryOf(p: Project): ProjectSummary {
    const { landmarkSet: _l, images: _i, templateImageId: _t, ...summary } = p;
    return summary;
  }

  /** Keeps the sidebar's summary of the open project in step with it. */
  function setCurrent(p: Project): void {
    current.value = p;
    const summary = summaryOf(p);
    const i = projects.value.findIndex((x) => x.path === p.path);
    if (i >= 0) projects.value[i] = summary;
    else projects.value.unshift(summary);
  }

  function requireCurrent(): Project {
    if (!current.value) throw new Error('no project is open');
    return current.value;
  }

  function importImages(request: ImportImagesRequest): Promise<boolean> {
    return guarded(async () => {
      const before = requireCurrent().images.length;
      setCurrent(await getApi().importImages(requireCurrent().path, request));
      notice.value = `imported ${current.value!.images.length - before} image(s)`;
    });
  }

  function setTemplate(imageId: string): Promise<boolean> {
    return guarded(async () => {
      setCurrent(await getApi().setTemplate(requireCurrent().path, imageId));
    });
  }

  function setLandmarkSet(set: LandmarkSet): Promise<boolean> {
    return guarded(async () => {
      setCurrent(await getApi().setLandmarkSet(requireCurrent().path, set));
    });
  }

  return {
    engine,
    projects,
    current,
    view,
    loading,
    error,
    notice,
    guarded,
    refresh,
    openProject,
    createProject,
    closeProject,
    importImages,
    setTemplate,
    setLandmarkSet,
  };
});
