/**
 * The OneMark API implemented in plain Node: no Electron import, so it runs in the Electron main
 * process (behind IPC), in tests, and behind `onemark serve` (HTTP + WebSocket). It never loads
 * the engine: training runs in engine processes that the job runner starts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertWritableRealDir } from '../../data/realDir';
import { clusterInfoOf } from './cluster';
import {
  clusterJobSummaries,
  clusterRunStatusOf,
  hasClusterPlan,
  jobIds,
  type OnemarkCli,
} from './cluster-job';
import { MODEL_DIR, readJobFile, readStatus, runDir } from '../disk/job-files';
import { addonFileProbe, type EngineProbe } from './engine-probe';
import { findImage, importImagesInto, readDicomFile, readImagePixels } from './images';
import { JobRunner, type SpawnEngine } from './job-runner';
import { JobRegistry } from './jobs';
import { methodSummaries, trainingJobRequest } from './methods';
import { anyPath, type PathPolicy } from './path-policy';
import { withKeyLock, withProjectLock } from './project-lock';
import { checkRevision, storedRevision } from '../disk/revision';
import {
  evaluateProject,
  exportLandmarks,
  importGroundTruth,
  loadReviewState,
  saveCorrection,
  setReviewed,
} from './review';
import { LANDMARK_SET_PRESETS } from '../../data/landmarkSets';
import { projectSpacing, setProjectSpacing, usedSpacings } from './spacing';
import { readLandmarks } from '../../data';
import { readExportFile } from './downloads';
import {
  ANNOTATIONS_FILE,
  PROJECT_FILE,
  hasProjectFile,
  readJson,
  readProject,
  removeStaleTempFiles,
  writeJsonAtomic,
  writeProject,
} from '../disk/project-file';
import type {
  RevisedAnnotationSet,
  CreateProjectRequest,
  EngineInfo,
  OneMarkApi,
  Project,
  ProjectSummary,
  TrainingRequest,
  UiState,
} from '../contract/types';
import { ApiInputError } from '../contract/errors';
import {
  requireAbsolutePath,
  requireNonEmptyString,
  validateAnnotationSet,
  validateLandmarkSet,
} from '../disk/validate';

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
  /** How engine processes start; default: Node + tsx on src/api/worker/engine-worker.ts. */
  spawnEngine?: SpawnEngine;
  /** How Slurm jobs are submitted (the CLI, src/api/service/cluster-job.ts); default bin/onemark.mjs. */
  onemarkCli?: OnemarkCli;
  /** Injectable clock so tests get stable timestamps. */
  now?: () => Date;
  /**
   * Which folders project and import paths may lie in (src/api/service/path-policy.ts). Default: any
   * absolute path (tests, scripts); `onemark serve` and the app pass their own.
   */
  paths?: PathPolicy;
}

const RECENT_FILE = 'recent-projects.json';
const UI_STATE_FILE = 'ui-state.json';
const MAX_RECENT = 20;

/** Keeps the known fields of a window state with the right types; drops anything else. */
function checkUiState(value: unknown): UiState {
  if (typeof value !== 'object' || value === null)
    throw new ApiInputError('window state: expected an object');
  const v = value as Record<string, unknown>;
  const out: UiState = {};
  if (v.lastProject === null || (typeof v.lastProject === 'string' && path.isAbsolute(v.lastProject))) {
    out.lastProject = v.lastProject;
  }
  if (typeof v.view === 'string' && v.view.length < 40) out.view = v.view;
  if (typeof v.training === 'object' && v.training !== null) {
    const t = v.training as Record<string, unknown>;
    out.training = {};
    if (typeof t.method === 'string' && t.method.length < 40) out.training.method = t.method;
    if (t.preset === 'tiny' || t.preset === 'quick' || t.preset === 'full') out.training.preset = t.preset;
    if (typeof t.device === 'string' && t.device.length < 40) out.training.device = t.device;
  }
  return out;
}

export function createApiService(options: ApiServiceOptions): OneMarkApi {
  const stateDir = path.resolve(options.stateDir);
  const projectsDir = path.join(stateDir, 'projects');
  const recentFile = path.join(stateDir, RECENT_FILE);
  const probe = options.engineProbe ?? addonFileProbe(options.addonCandidates ?? []);
  const jobs = options.jobs ?? new JobRegistry();
  const runner =
    options.runner ??
    new JobRunner({ registry: jobs, spawnEngine: options.spawnEngine, onemarkCli: options.onemarkCli });
  const attached = new Set<string>();
  const now = options.now ?? (() => new Date());
  const app = options.app ?? { name: 'OneMark', version: 'unknown' };
  const pathPolicy = options.paths ?? anyPath();

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
    // The recent list is read-modify-write too: two projects opened at once must both stay listed.
    await withKeyLock(recentFile, async () => {
      const recent = [dir, ...(await readRecent()).filter((p) => p !== dir)].slice(0, MAX_RECENT);
      await fs.mkdir(stateDir, { recursive: true });
      await writeJsonAtomic(recentFile, { version: 1, paths: recent });
    });
  }

  /** An absolute path argument that the path policy allows. */
  async function allowedPath(value: unknown, what: string): Promise<string> {
    const p = requireAbsolutePath(value, what);
    await pathPolicy.check(p, what);
    return p;
  }

  async function requireProject(value: unknown, what: string): Promise<Project> {
    return readProject(await allowedPath(value, what));
  }

  /**
   * Read-modify-write of a project: the project is read inside the project's writer queue, so
   * no other write of this process can slip between this read and this write.
   */
  async function mutate<T>(value: unknown, what: string, fn: (project: Project) => Promise<T>): Promise<T> {
    const dir = await allowedPath(value, what);
    return withProjectLock(dir, async () => fn(await readProject(dir)));
  }

  /** Follows a project's jobs from the first time it is touched: reattach, or resume the dead. */
  async function attach(dir: string): Promise<void> {
    if (attached.has(dir)) return;
    attached.add(dir);
    await runner.attachProject(dir);
  }

  /** Writes a content change of the project file; call inside `mutate`. */
  async function update(project: Project, patch: Partial<Project>): Promise<Project> {
    const next = {
      ...project,
      ...patch,
      modifiedAt: now().toISOString(),
      revision: (project.revision ?? 0) + 1,
    };
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
    async clusterInfo(request) {
      if (request === undefined) return clusterInfoOf();
      const project = await requireProject(request?.projectPath, 'clusterInfo(request.projectPath)');
      return clusterInfoOf({ projectPath: project.path, jobId: request.jobId });
    },

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
          const {
            landmarkSet: _l,
            images: _i,
            templateImageId: _t,
            revision: _r,
            ...summary
          } = await readProject(dir);
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
      // Scratch files of a write killed half-way would otherwise stay forever; sweep them while
      // no write of ours can be in flight.
      await withProjectLock(project.path, () => removeStaleTempFiles(project.path));
      await remember(project.path);
      await attach(project.path);
      return project;
    },

    async createProject(request: CreateProjectRequest): Promise<Project> {
      if (typeof request !== 'object' || request === null) {
        throw new ApiInputError('createProject(request): expected {path, name, landmarkSet?}');
      }
      const dir = await allowedPath(request.path, 'createProject(request.path)');
      const name = requireNonEmptyString(request.name, 'createProject(request.name)');
      const landmarkSet = request.landmarkSet
        ? validateLandmarkSet(request.landmarkSet, 'createProject(request.landmarkSet)')
        : { name, landmarks: [] };
      // Before mkdir: under /proc or /sys, Node's recursive mkdir never returns.
      try {
        await assertWritableRealDir(dir, 'createProject: project folder');
      } catch (e) {
        throw new ApiInputError((e as Error).message);
      }
      return withProjectLock(dir, async () => {
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
          revision: 0,
        };
        await writeProject(project);
        await remember(dir);
        return project;
      });
    },

    async choosePaths(request) {
      if (typeof request !== 'object' || request === null || !['folder', 'files'].includes(request.kind)) {
        throw new ApiInputError(`choosePaths(request): expected {kind: 'folder' | 'files'}`);
      }
      // Plain Node has no native dialog; the Electron main process replaces this method
      // (src/main/ipc.ts withDialogPicks).
      return null;
    },

    async loadAnnotations(dirArg: string): Promise<RevisedAnnotationSet> {
      const project = await requireProject(dirArg, 'loadAnnotations(projectPath)');
      const file = path.join(project.path, ANNOTATIONS_FILE);
      try {
        await fs.access(file);
      } catch {
        return { landmarkSet: project.landmarkSet, images: [], revision: 0 };
      }
      const doc = await readJson(file);
      return { ...validateAnnotationSet(doc, file), revision: storedRevision(doc) };
    },

    async saveAnnotations(dirArg, annotations) {
      return mutate(dirArg, 'saveAnnotations(projectPath)', async (project) => {
        const checked = validateAnnotationSet(annotations, 'saveAnnotations(annotations)');
        const projectIds = new Set(project.landmarkSet.landmarks.map((l) => l.id));
        const extra = checked.landmarkSet.landmarks.filter((l) => !projectIds.has(l.id));
        if (extra.length > 0) {
          throw new ApiInputError(
            `saveAnnotations: landmark ids ${extra.map((l) => l.id).join(', ')} are not in the landmark set ` +
              `of project ${project.path}`,
          );
        }
        const file = path.join(project.path, ANNOTATIONS_FILE);
        const current = await fs
          .readFile(file, 'utf8')
          .then((text) => storedRevision(JSON.parse(text)))
          // No file yet is revision 0; a damaged one is replaced (this save is the user's work).
          .catch(() => 0);
        checkRevision(annotations.revision, current, ANNOTATIONS_FILE, 'saveAnnotations');
        const revision = current + 1;
        await writeJsonAtomic(file, { ...checked, revision });
        await writeProject({ ...project, modifiedAt: now().toISOString() });
        return { revision };
      });
    },

    async landmarkPresets() {
      return structuredClone(LANDMARK_SET_PRESETS) as Record<string, (typeof LANDMARK_SET_PRESETS)[string]>;
    },

    async setLandmarkSet(dirArg, landmarkSet, expectedRevision) {
      return mutate(dirArg, 'setLandmarkSet(projectPath)', async (project) => {
        checkRevision(expectedRevision, project.revision ?? 0, PROJECT_FILE, 'setLandmarkSet');
        const set = validateLandmarkSet(landmarkSet, 'setLandmarkSet(landmarkSet)');
        return update(project, { landmarkSet: structuredClone(set) });
      });
    },

    async importImages(dirArg, request) {
      if (typeof request === 'object' && request !== null && Array.isArray(request.paths)) {
        for (const [i, p] of request.paths.entries()) {
          if (typeof p === 'string' && path.isAbsolute(p)) await allowedPath(p, `importImages(paths[${i}])`);
        }
      }
      return mutate(dirArg, 'importImages(projectPath)', async (project) => {
        const { skipped, ...imported } = await importImagesInto(project, request);
        return { ...(await update(project, imported)), skipped };
      });
    },

    async setTemplate(dirArg, imageId, expectedRevision) {
      return mutate(dirArg, 'setTemplate(projectPath)', async (project) => {
        checkRevision(expectedRevision, project.revision ?? 0, PROJECT_FILE, 'setTemplate');
        const image = findImage(project, imageId, 'setTemplate(imageId)');
        return update(project, { templateImageId: image.id });
      });
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
          `The template ${project.templateImageId} has no marked landmarks: mark them first (Template tab)`,
        );
      }
      // A landmark neither placed nor marked missing would train into an empty column on every image.
      const valued = new Set(t.landmarks.map((v) => v.id));
      const unmarked = project.landmarkSet.landmarks.filter((l) => !valued.has(l.id));
      if (unmarked.length > 0) {
        throw new ApiInputError(
          `${project.landmarkSet.landmarks.length - unmarked.length} of ${project.landmarkSet.landmarks.length} ` +
            `landmarks are marked on the template; place or mark missing the other ${unmarked.length} ` +
            `(${unmarked.map((l) => l.name).join(', ')}) before training`,
        );
      }
      if (project.images.length < 2)
        throw new ApiInputError('startTraining: import at least one image besides the template');
      // In the project's queue: two quick clicks must not both pass the "no job running" check.
      return withProjectLock(project.path, async () => {
        const active = jobs.list(project.path).find((j) => j.state === 'running' || j.state === 'queued');
        if (active)
          throw new ApiInputError(`startTraining: job ${active.id} is still running in this project`);
        await attach(project.path);
        if (jobRequest.backend === 'slurm') return runner.startCluster(project, annotations, jobRequest);
        return runner.start(project.path, jobRequest);
      });
    },

    async clusterRunStatus(dirArg, runIdArg) {
      const project = await requireProject(dirArg, 'clusterRunStatus(projectPath)');
      const runId = requireNonEmptyString(runIdArg, 'clusterRunStatus(runId)');
      const dir = runDir(project.path, runId);
      await attach(project.path);
      if (!hasClusterPlan(dir))
        throw new ApiInputError(`clusterRunStatus: job ${runId} of ${project.path} was not trained in parts`);
      // The job's state first (it may take the merged predictions in), so both answers agree.
      await runner.refreshCluster(runId);
      const s = await clusterRunStatusOf(dir);
      const job = jobs.list(project.path).find((j) => j.id === runId);
      const status = await readStatus(dir);
      const message = job?.message ?? status?.message;
      return {
        runId,
        backend: s.backend,
        method: s.method,
        parts: s.parts,
        state: job?.state ?? status?.state ?? 'running',
        ...(message ? { message } : {}),
        jobIds: jobIds(path.join(dir, MODEL_DIR)),
        jobs: clusterJobSummaries(s),
        predictions: !!s.predictions,
      };
    },

    async cancelClusterRun(dirArg, runIdArg) {
      const project = await requireProject(dirArg, 'cancelClusterRun(projectPath)');
      const runId = requireNonEmptyString(runIdArg, 'cancelClusterRun(runId)');
      const dir = runDir(project.path, runId);
      await attach(project.path);
      const job = await readJobFile(dir).catch(() => null);
      if (job?.request.backend !== 'slurm')
        throw new ApiInputError(`cancelClusterRun: job ${runId} of ${project.path} is not a Slurm job`);
      await runner.cancel(runId);
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
      // A Slurm job's merged predictions are taken in when its state is read: read it now.
      for (const j of jobs.list(project.path))
        if (j.backend === 'slurm' && j.state === 'running') await runner.refreshCluster(j.id);
      return loadReviewState(project);
    },

    async saveCorrection(dirArg, imageId, landmarkId, point) {
      await mutate(dirArg, 'saveCorrection(projectPath)', async (project) => {
        findImage(project, imageId, 'saveCorrection(imageId)');
        await saveCorrection(project, imageId, landmarkId, point);
      });
    },

    async setReviewed(dirArg, imageId, reviewed) {
      await mutate(dirArg, 'setReviewed(projectPath)', async (project) => {
        findImage(project, imageId, 'setReviewed(imageId)');
        await setReviewed(project, imageId, reviewed);
      });
    },

    async importGroundTruth(dirArg, file) {
      await allowedPath(file, 'importGroundTruth(file)');
      return mutate(dirArg, 'importGroundTruth(projectPath)', (project) => importGroundTruth(project, file));
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
      return mutate(request.projectPath, 'exportLandmarks(request.projectPath)', (project) =>
        exportLandmarks(project, request),
      );
    },

    async listJobs(projectPath?: string) {
      const filter =
        projectPath === undefined ? undefined : await allowedPath(projectPath, 'listJobs(projectPath)');
      if (filter && (await hasProjectFile(filter))) await attach(filter);
      return jobs.list(filter);
    },

    async readLandmarkFile(dirArg, fileArg) {
      const project = await requireProject(dirArg, 'readLandmarkFile(projectPath)');
      const file = await allowedPath(fileArg, 'readLandmarkFile(file)');
      const spacing = (await usedSpacings(project)).get(project.templateImageId ?? '');
      return readLandmarks(file, { landmarkSet: project.landmarkSet, spacingFor: () => spacing });
    },

    async exportFile(dirArg, file) {
      return readExportFile(await requireProject(dirArg, 'exportFile(projectPath)'), file);
    },

    async pixelSpacing(dirArg) {
      return projectSpacing(await requireProject(dirArg, 'pixelSpacing(projectPath)'));
    },

    async setPixelSpacing(dirArg, spacing, imageId) {
      // Read-modify-write of the spacing file: in the project's writer queue like the others.
      return mutate(dirArg, 'setPixelSpacing(projectPath)', (project) =>
        setProjectSpacing(project, spacing, imageId),
      );
    },

    async uiState() {
      try {
        return checkUiState(await readJson(path.join(stateDir, UI_STATE_FILE)));
      } catch {
        // Lost or damaged: the window starts on the project list, as on a first start.
        return {};
      }
    },

    async saveUiState(state) {
      const file = path.join(stateDir, UI_STATE_FILE);
      // Merged into what is stored: two windows saving at once must not drop each other's fields.
      await withKeyLock(file, async () => {
        const next = { ...(await service.uiState()), ...checkUiState(state) };
        await fs.mkdir(stateDir, { recursive: true });
        await writeJsonAtomic(file, next);
      });
    },

    onJobEvent(listener) {
      if (typeof listener !== 'function')
        throw new ApiInputError('onJobEvent(listener): expected a function');
      return jobs.subscribe(listener);
    },
  };
  return service;
}
