/**
 * The OneMark API implemented in plain Node: no Electron import, so it runs in the Electron main
 * process (behind IPC), in tests, and later behind `onemark serve`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnnotationSet } from '../data/types';
import { addonFileProbe, type EngineProbe } from './engine-probe';
import { JobRegistry } from './jobs';
import {
  ANNOTATIONS_FILE,
  hasProjectFile,
  readJson,
  readProject,
  writeJsonAtomic,
  writeProject,
} from './project-file';
import type { CreateProjectRequest, EngineInfo, OneMarkApi, Project, ProjectSummary } from './types';
import {
  ApiInputError,
  requireAbsolutePath,
  requireNonEmptyString,
  validateAnnotationSet,
  validateLandmarkSet,
} from './validate';

export interface ApiServiceOptions {
  /** Folder for the app's own state: `projects/` (default project home) and the recent-projects list. */
  stateDir: string;
  app?: { name: string; version: string };
  /** How to learn the engine's status; defaults to looking for the addon at `addonCandidates`. */
  engineProbe?: EngineProbe;
  addonCandidates?: readonly string[];
  jobs?: JobRegistry;
  /** Injectable clock so tests get stable timestamps. */
  now?: () => Date;
}

const RECENT_FILE = 'recent-projects.json';
const MAX_RECENT = 20;

export function createApiService(options: ApiServiceOptions): OneMarkApi {
  const stateDir = path.resolve(options.stateDir);
  const projectsDir = path.join(stateDir, 'projects');
  const recentFile = path.join(stateDir, RECENT_FILE);
  const probe = options.engineProbe ?? addonFileProbe(options.addonCandidates ?? []);
  const jobs = options.jobs ?? new JobRegistry();
  const now = options.now ?? (() => new Date());
  const app = options.app ?? { name: 'OneMark', version: 'unknown' };

  async function readRecent(): Promise<string[]> {
    try {
      const doc = (await readJson(recentFile)) as { paths?: unknown };
      return Array.isArray(doc.paths) ? doc.paths.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      // A lost or damaged recent list only costs the user a re-open; never block the app on it.
      return [];
    }
  }

  async function remember(dir: string): Promise<void> {
    const paths = [dir, ...(await readRecent()).filter((p) => p !== dir)].slice(0, MAX_RECENT);
    await fs.mkdir(stateDir, { recursive: true });
    await writeJsonAtomic(recentFile, { version: 1, paths });
  }

  async function requireProject(value: unknown, what: string): Promise<Project> {
    return readProject(requireAbsolutePath(value, what));
  }

  return {
    async engineInfo(): Promise<EngineInfo> {
      let engine;
      try {
        engine = await probe();
      } catch (e) {
        engine = { state: 'error' as const, addonPath: null, searched: [], message: (e as Error).message };
      }
      return {
        app,
        runtime: {
          node: process.versions.node,
          electron: process.versions.electron,
          chrome: process.versions.chrome,
          platform: process.platform,
          arch: process.arch,
        },
        engine,
      };
    },

    async listProjects(): Promise<ProjectSummary[]> {
      const candidates = new Set<string>();
      try {
        for (const entry of await fs.readdir(projectsDir, { withFileTypes: true })) {
          if (entry.isDirectory()) candidates.add(path.join(projectsDir, entry.name));
        }
      } catch {
        // no projects folder yet: nothing created there
      }
      for (const p of await readRecent()) candidates.add(p);

      const found: ProjectSummary[] = [];
      for (const dir of candidates) {
        if (!(await hasProjectFile(dir))) continue;
        try {
          const { landmarkSet: _l, images: _i, templateImageId: _t, ...summary } = await readProject(dir);
          found.push(summary);
        } catch (e) {
          // A broken project must not hide the others; opening it shows the full error.
          console.warn(`skipping project: ${(e as Error).message}`);
        }
      }
      return found.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
    },

    async openProject(dirArg: string): Promise<Project> {
      const project = await requireProject(dirArg, 'openProject(path)');
      await remember(project.path);
      return project;
    },

    async createProject(request: CreateProjectRequest): Promise<Project> {
      if (typeof request !== 'object' || request === null) {
        throw new ApiInputError('createProject(request): expected {path, name, landmarkSet?}');
      }
      const dir = requireAbsolutePath(request.path, 'createProject(request.path)');
      const name = requireNonEmptyString(request.name, 'createProject(request.name)');
      const landmarkSet = request.landmarkSet
        ? validateLandmarkSet(request.landmarkSet, 'createProject(request.landmarkSet)')
        : { name, landmarks: [] };
      if (await hasProjectFile(dir)) {
        throw new ApiInputError(`createProject: ${dir} already holds a OneMark project; open it instead`);
      }
      await fs.mkdir(dir, { recursive: true });
      const stamp = now().toISOString();
      const project: Project = {
        path: dir,
        name,
        createdAt: stamp,
        modifiedAt: stamp,
        imageCount: 0,
        landmarkCount: landmarkSet.landmarks.length,
        landmarkSet,
        images: [],
        templateImageId: null,
      };
      await writeProject(project);
      await remember(dir);
      return project;
    },

    async loadAnnotations(dirArg: string): Promise<AnnotationSet> {
      const project = await requireProject(dirArg, 'loadAnnotations(projectPath)');
      const file = path.join(project.path, ANNOTATIONS_FILE);
      try {
        await fs.access(file);
      } catch {
        return { landmarkSet: project.landmarkSet, images: [] };
      }
      return validateAnnotationSet(await readJson(file), file);
    },

    async saveAnnotations(dirArg: string, annotations: AnnotationSet): Promise<void> {
      const project = await requireProject(dirArg, 'saveAnnotations(projectPath)');
      const checked = validateAnnotationSet(annotations, 'saveAnnotations(annotations)');
      const projectIds = new Set(project.landmarkSet.landmarks.map((l) => l.id));
      const extra = checked.landmarkSet.landmarks.filter((l) => !projectIds.has(l.id));
      if (extra.length > 0) {
        throw new ApiInputError(
          `saveAnnotations: landmark ids ${extra.map((l) => l.id).join(', ')} are not in the landmark set ` +
            `of project ${project.path}`,
        );
      }
      await writeJsonAtomic(path.join(project.path, ANNOTATIONS_FILE), checked);
      await writeProject({ ...project, modifiedAt: now().toISOString() });
    },

    async listJobs(projectPath?: string) {
      const filter =
        projectPath === undefined ? undefined : requireAbsolutePath(projectPath, 'listJobs(projectPath)');
      return jobs.list(filter);
    },

    onJobEvent(listener) {
      if (typeof listener !== 'function')
        throw new ApiInputError('onJobEvent(listener): expected a function');
      return jobs.subscribe(listener);
    },
  };
}
