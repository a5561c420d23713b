/**
 * What the shell shows: engine status, known projects, the open project. Every call goes through
 * the typed API; errors are kept as text for the UI instead of being thrown into Vue.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { EngineInfo, Project, ProjectSummary } from '../../../api/types';
import { getApi } from '../api';

export const useWorkspaceStore = defineStore('workspace', () => {
  const engine = ref<EngineInfo | null>(null);
  const projects = ref<ProjectSummary[]>([]);
  const current = ref<Project | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function guarded(work: () => Promise<void>): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      await work();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  function refresh(): Promise<void> {
    return guarded(async () => {
      const api = getApi();
      const [info, list] = await Promise.all([api.engineInfo(), api.listProjects()]);
      engine.value = info;
      projects.value = list;
    });
  }

  function openProject(path: string): Promise<void> {
    return guarded(async () => {
      current.value = await getApi().openProject(path);
    });
  }

  function closeProject(): void {
    current.value = null;
  }

  return { engine, projects, current, loading, error, refresh, openProject, closeProject };
});
