/**
 * What the shell shows: engine status, known projects, the open project and its current view.
 * Every call goes through the typed API; errors are kept as text for the UI instead of being
 * thrown into Vue (a broken project file shows its message, never a blank window).
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type {
  EngineInfo,
  ImportImagesRequest,
  LandmarkSet,
  Project,
  ProjectSummary,
  UiState,
} from '../../../api/contract/types';
import { getApi } from '../api';

export type ProjectView = 'images' | 'template' | 'training' | 'review' | 'export';
const VIEWS: readonly string[] = ['images', 'template', 'training', 'review', 'export'];

function isView(v: unknown): v is ProjectView {
  return typeof v === 'string' && VIEWS.includes(v);
}

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
      remember({ lastProject: p.path, view: view.value });
    });
  }

  function createProject(path: string, name: string, landmarkSet?: LandmarkSet): Promise<boolean> {
    return guarded(async () => {
      setCurrent(await getApi().createProject({ path, name, ...(landmarkSet ? { landmarkSet } : {}) }));
      view.value = 'images';
      remember({ lastProject: current.value!.path, view: 'images' });
    });
  }

  function closeProject(): void {
    current.value = null;
    remember({ lastProject: null });
  }

  /** Saved on the server so a restarted `onemark serve` (new port, new origin) still knows. */
  function remember(state: UiState): void {
    // Not remembered (an API without it, a failed write): the next start shows the project
    // list, nothing else is lost.
    try {
      void getApi()
        .saveUiState(state)
        .catch(() => {});
    } catch {
      // see above
    }
  }
  watch(view, (v) => {
    if (current.value) remember({ lastProject: current.value.path, view: v });
  });

  /** Reopens the project (and tab) that was open when the window last closed. */
  async function restore(): Promise<void> {
    let state: UiState;
    try {
      state = await getApi().uiState();
    } catch {
      return;
    }
    if (!state.lastProject || current.value) return;
    const path = state.lastProject;
    if (await openProject(path)) {
      if (isView(state.view)) view.value = state.view;
    } else {
      // Moved or deleted since: say so once, then start from the list.
      error.value = `The last project (${path}) could not be reopened: ${error.value ?? 'unknown error'}`;
      remember({ lastProject: null });
    }
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
      const { skipped, ...project } = await getApi().importImages(requireCurrent().path, request);
      setCurrent(project);
      const imported = `imported ${current.value!.images.length - before} image(s)`;
      notice.value = skipped.length
        ? `${imported}; not imported: ${skipped.map((s) => `${s.path} (${s.reason})`).join(', ')}`
        : imported;
    });
  }

  function setTemplate(imageId: string): Promise<boolean> {
    return guarded(async () => {
      // The revision this window shows: a change made on an outdated copy is refused (409).
      const p = requireCurrent();
      setCurrent(await getApi().setTemplate(p.path, imageId, p.revision));
    });
  }

  function setLandmarkSet(set: LandmarkSet): Promise<boolean> {
    return guarded(async () => {
      const p = requireCurrent();
      setCurrent(await getApi().setLandmarkSet(p.path, set, p.revision));
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
    restore,
    remember,
    importImages,
    setTemplate,
    setLandmarkSet,
  };
});
