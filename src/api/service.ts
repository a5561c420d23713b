/**
 * The OneMark API implemented in plain Node: no Electron import, so it runs in the Electron main
 * process (behind IPC), in tests, and behind `onemark serve` (HTTP + WebSocket). It never loads
 * the engine: training runs in engine processes that the job runner starts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnnotationSet } from '../data/types';
import { addonFileProbe, type EngineProbe } from './engine-probe';
import { findImage, importImagesInto, readDicomFile, readImagePixels } from './images';
import { JobRunner, type SpawnEngine } from './job-runner';
import { JobRegistry } from './jobs';
import { methodSummaries, trainingJobRequest } from './methods';
import {
  evaluateProject,
  exportLandmarks,
  importGroundTruth,
  loadReviewState,
  saveCorrection,
  setReviewed,
} from './review';
import { LANDMARK_SET_PRESETS } from '../data/landmarkSets';
import {
  ANNOTATIONS_FILE,
  hasProjectFile,
  readJson,
  readProject,
  writeJsonAtomic,
  writeProject,
} from './project-file';
import type {
  CreateProjectRequest,
  EngineInfo,
  OneMarkApi,
  Project,
  ProjectSummary,
  TrainingRequest,
} from './types';
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
  /** Runs training jobs; by default one is made on `jobs` with `spawnEngine`. */
  runner?: JobRunner;
  /** How engine processes start; default: Node + tsx on src/api/engine-worker.ts. */
  spawnEngine?: SpawnEngine;
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
  const runner = options.runner ?? new JobRunner({ registry: jobs, spawnEngine: options.spawnEngine });
  const attached = new Set<string>();
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

  /** Follows a project's jobs from the first time it is touched: reattach, or resume the dead. */
  async function attach(dir: string): Promise<void> {
    if (attached.has(dir)) return;
    attached.add(dir);
    await runner.attachProject(dir);
  }

  async function update(project: Project, patch: Partial<Project>): Promise<Project> {
    const next = { ...project, ...patch, modifiedAt: now().toISOString() };
    next.imageCount = next.images.length;
    next.landmarkCount = next.landmarkSet.landmarks.length;
    await writeProject(next);
    return next;
  }

  // Jobs of recently used projects are followed from the start: a training run left going when
  // the window closed shows up (or resumes) without the user opening its project first.
  void readRecent().then(async (paths) => {
    for (const p of paths) {
      if (await hasProjectFile(p)) await attach(p).catch(() => {});
    }
  });

  const service: OneMarkApi = {
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
      await attach(project.path);
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

    async landmarkPresets() {
      return structuredClone(LANDMARK_SET_PRESETS) as Record<string, (typeof LANDMARK_SET_PRESETS)[string]>;
    },

    async setLandmarkSet(dirArg, landmarkSet) {
      const project = await requireProject(dirArg, 'setLandmarkSet(projectPath)');
      const set = validateLandmarkSet(landmarkSet, 'setLandmarkSet(landmarkSet)');
      return update(project, { landmarkSet: structuredClone(set) });
    },

    async importImages(dirArg, request) {
      const project = await requireProject(dirArg, 'importImages(projectPath)');
      return update(project, await importImagesInto(project, request));
    },

    async setTemplate(dirArg, imageId) {
      const project = await requireProject(dirArg, 'setTemplate(projectPath)');
      const image = findImage(project, imageId, 'setTemplate(imageId)');
      return update(project, { templateImageId: image.id });
    },

    async imagePixels(dirArg, imageId, maxSide) {
      const project = await requireProject(dirArg, 'imagePixels(projectPath)');
      return readImagePixels(project, imageId, maxSide);
    },

    async dicomFile(dirArg, imageId) {
      const project = await requireProject(dirArg, 'dicomFile(projectPath)');
      return readDicomFile(project, imageId);
    },

    async listMethods() {
      return methodSummaries();
    },

    async startTraining(request: TrainingRequest) {
      if (typeof request !== 'object' || request === null) {
        throw new ApiInputError('startTraining(request): expected {projectPath, method, preset, device}');
      }
      const project = await requireProject(request.projectPath, 'startTraining(request.projectPath)');
      const jobRequest = trainingJobRequest(request);
      if (!project.templateImageId)
        throw new ApiInputError('startTraining: choose and mark a template image first');
      const annotations = await service.loadAnnotations(project.path);
      const t = annotations.images.find((a) => a.imageId === project.templateImageId);
      if (!t || !t.landmarks.some((v) => v.point)) {
        throw new ApiInputError(
          `startTraining: the template ${project.templateImageId} has no marked landmarks`,
        );
      }
      if (project.images.length < 2)
        throw new ApiInputError('startTraining: import at least one image besides the template');
      const active = jobs.list(project.path).find((j) => j.state === 'running' || j.state === 'queued');
      if (active) throw new ApiInputError(`startTraining: job ${active.id} is still running in this project`);
      await attach(project.path);
      return runner.start(project.path, jobRequest);
    },

    async cancelJob(jobId) {
      await runner.cancel(requireNonEmptyString(jobId, 'cancelJob(jobId)'));
    },

    async jobLog(jobId, limit) {
      const n = limit === undefined ? 200 : Number(limit);
      if (!Number.isInteger(n) || n < 1)
        throw new ApiInputError('jobLog(limit): expected a positive integer');
      return runner.log(requireNonEmptyString(jobId, 'jobLog(jobId)'), n);
    },

    async loadReview(dirArg) {
      const project = await requireProject(dirArg, 'loadReview(projectPath)');
      await attach(project.path);
      return loadReviewState(project);
    },

    async saveCorrection(dirArg, imageId, landmarkId, point) {
      const project = await requireProject(dirArg, 'saveCorrection(projectPath)');
      findImage(project, imageId, 'saveCorrection(imageId)');
      await saveCorrection(project, imageId, landmarkId, point);
    },

    async setReviewed(dirArg, imageId, reviewed) {
      const project = await requireProject(dirArg, 'setReviewed(projectPath)');
      findImage(project, imageId, 'setReviewed(imageId)');
      await setReviewed(project, imageId, reviewed);
    },

    async importGroundTruth(dirArg, file) {
      const project = await requireProject(dirArg, 'importGroundTruth(projectPath)');
      return importGroundTruth(project, file);
    },

    async evaluate(dirArg, values) {
      const project = await requireProject(dirArg, 'evaluate(projectPath)');
      if (values !== 'predicted' && values !== 'corrected') {
        throw new ApiInputError(`evaluate(values): expected 'predicted' or 'corrected'`);
      }
      return evaluateProject(project, values);
    },

    async exportLandmarks(request) {
      if (typeof request !== 'object' || request === null) {
        throw new ApiInputError('exportLandmarks(request): expected {projectPath, format, images, values}');
      }
      const project = await requireProject(request.projectPath, 'exportLandmarks(request.projectPath)');
      return exportLandmarks(project, request);
    },

    async listJobs(projectPath?: string) {
      const filter =
        projectPath === undefined ? undefined : requireAbsolutePath(projectPath, 'listJobs(projectPath)');
      if (filter && (await hasProjectFile(filter))) await attach(filter);
      return jobs.list(filter);
    },

    onJobEvent(listener) {
      if (typeof listener !== 'function')
        throw new ApiInputError('onJobEvent(listener): expected a function');
      return jobs.subscribe(listener);
    },
  };
  return service;
}
