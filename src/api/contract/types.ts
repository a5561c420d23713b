/**
 * The one typed API the renderer uses. The same interface is implemented by the plain-Node
 * service (src/api/service/service.ts) and by the preload bridge (window.onemark), so the renderer can
 * never reach anything the service does not offer.
 *
 * Rules for methods (checked by src/api/contract/channels.ts):
 * - request methods return a Promise of structured-clonable data (they travel over IPC);
 * - event methods are named `on<Something>`, take one listener and return an unsubscribe function.
 *
 * Typed arrays (image pixels) are structured-clonable for IPC; the HTTP transport encodes them
 * (src/api/http/wire.ts), so both transports carry the same values.
 */
import type { AnnotationSet, LandmarkSet, Point, Spacing } from '../../data/types';
import type { Device } from '../../engine/deviceType';
import type { MethodName } from '../../methods/catalog';

export type { AnnotationSet, ImageAnnotation, LandmarkSet, LandmarkValue, Point } from '../../data/types';
export type { Device } from '../../engine/deviceType';

/** Where the native engine (the libtorch addon) stands, as seen from the app. */
export interface EngineStatus {
  /**
   * 'loaded': the engine answered (fields below are filled);
   * 'found': the addon file exists but this process did not load it (the engine runs in its own process);
   * 'missing': no addon file at any searched place; 'error': loading or probing failed.
   */
  state: 'loaded' | 'found' | 'missing' | 'error';
  addonPath: string | null;
  /** Places looked at, in order, so a 'missing' can be fixed. */
  searched: string[];
  libtorchVersion?: string;
  cuda?: boolean;
  cudaDeviceCount?: number;
  message?: string;
}

export interface EngineInfo {
  app: { name: string; version: string };
  runtime: {
    node: string;
    /** Absent when the service runs in plain Node (tests, `onemark serve`). */
    electron?: string;
    chrome?: string;
    platform: string;
    arch: string;
  };
  engine: EngineStatus;
}

/** An image of a project; `file` is relative to the project folder so projects can move. */
export interface ProjectImage {
  id: string;
  file: string;
}

export interface ProjectSummary {
  /** Absolute path of the project folder; also the project's identity in the API. */
  path: string;
  name: string;
  createdAt: string;
  modifiedAt: string;
  imageCount: number;
  landmarkCount: number;
}

export interface Project extends ProjectSummary {
  landmarkSet: LandmarkSet;
  images: ProjectImage[];
  /** The one annotated image that training starts from; null until chosen. */
  templateImageId: string | null;
  /**
   * Counts changes of the project's content (landmark set, images, template); saving annotations
   * or corrections does not change it. Send it back to setLandmarkSet/setTemplate to have a change
   * made on an outdated copy refused (StaleWriteError) instead of undoing another tab's change.
   */
  revision?: number;
}

/**
 * Annotations as loadAnnotations returns them: `revision` counts saves of annotations.json (0: none
 * yet). Pass the object (or its revision) back to saveAnnotations: a save based on an older
 * revision is refused with a StaleWriteError (HTTP 409) because another tab or window saved since.
 */
export interface RevisedAnnotationSet extends AnnotationSet {
  revision: number;
}

/** What saveAnnotations answers: the revision the file now has (send it with the next save). */
export interface SaveResult {
  revision: number;
}

/** What choosePaths asks the system's file dialog for. */
export interface ChoosePathsRequest {
  /** 'folder': one folder (a project folder, a folder of images); 'files': one or more files. */
  kind: 'folder' | 'files';
  /** The dialog's title, e.g. "Folder for the new project". */
  title?: string;
}

export interface CreateProjectRequest {
  /** Absolute path of the folder to create the project in (created if absent, must not hold a project). */
  path: string;
  name: string;
  landmarkSet?: LandmarkSet;
}

/** Decoded pixels for display: the server decodes every format with src/data (DICOM, TIFF, ...). */
export interface ImagePixels {
  imageId: string;
  /** Size of `pixels` (may be downscaled for display). */
  width: number;
  height: number;
  /** Size of the original image: landmark coordinates are in this frame. */
  originalWidth: number;
  originalHeight: number;
  /** 8-bit images travel as Uint8Array, deeper ones as Uint16Array (0..65535 after min/max mapping). */
  pixels: Uint8Array | Uint16Array;
  /** Largest value `pixels` can hold (255 or 65535): window centres/widths below use this scale. */
  maxValue: number;
  /** Window presets (first = default): centre and width in `pixels` units. */
  windows: { name: string; center: number; width: number }[];
}

export interface ImportImagesRequest {
  /** Absolute paths of image files, or of folders whose image files are all imported. */
  paths: string[];
  /** 'reference' keeps the files where they are; 'copy' copies them into the project's images/. */
  mode: 'reference' | 'copy';
}

/** A path importImages left out, and why (the others were imported). */
export interface ImportSkip {
  path: string;
  reason: string;
}

/** The project after an import, with the paths that could not be imported. */
export interface ImportResult extends Project {
  skipped: ImportSkip[];
}

/** A detection method's name; `listMethods()` lists them (src/methods/catalog.ts is the one list). */
export type TrainingMethod = MethodName;
export type BudgetPreset = 'tiny' | 'quick' | 'full';

/** The TrainingRequest fields beyond method/preset/device/seed that a method may take. */
export type TrainingSetting = 'stage1Iterations' | 'stage2Iterations' | 'fineIterations';

/** One detection method, for a method picker. */
export interface MethodSummary {
  name: TrainingMethod;
  /** The paper's name, e.g. 'C-Adapter'. */
  title: string;
  /** One line. */
  describe: string;
  presets: BudgetPreset[];
  /** Models in the paper's sense (Table 1's model count): a number, or one per landmark. */
  modelCount: number | 'per-landmark';
  /** Which optional TrainingRequest fields it reads; startTraining refuses the others. */
  settings: TrainingSetting[];
  /**
   * Trains one model per landmark in parts that separate jobs can run: the methods that
   * `backend: 'slurm'` takes.
   */
  trainsInParts: boolean;
}

export interface TrainingRequest {
  projectPath: string;
  method: TrainingMethod;
  preset: BudgetPreset;
  /** 'cpu' or 'cuda'; see engineInfo().engine.cuda. */
  device: Device;
  seed?: number;
  /**
   * Override the preset's iteration counts (tests, quick looks). stage1: CC2D's stage 1 (every
   * method trains one); stage2: the stage trained on its pseudo-labels (CC2D's stage 2, the
   * sla/atd/adapter network, f2's coarse adapter); fine: f2's fine stage only.
   */
  stage1Iterations?: number;
  stage2Iterations?: number;
  fineIterations?: number;
  /**
   * Where the job runs. 'local' (default): an engine process on this machine. 'slurm' (a method
   * whose summary says trainsInParts, when clusterInfo().sbatch): stage 1, an array of `parts`
   * jobs and a merge job submitted with sbatch, as `onemark train --parts N --slurm` does
   * (docs/cluster.md); clusterRunStatus follows it.
   */
  backend?: TrainingBackend;
  /** slurm: how many parts (array tasks); landmark j goes to part j mod parts. Default 3. */
  parts?: number;
  /** slurm: the partition (default: the cluster's default). */
  partition?: string;
  /** slurm: time limit per job, as sbatch --time takes it (e.g. 2:00:00). */
  time?: string;
  /** slurm: GPUs per job; default 1 with device 'cuda', none (CPU jobs) with 'cpu'. */
  gpusPerTask?: number;
}

export type TrainingBackend = 'local' | 'slurm';

/** A spacing in mm per pixel and where it came from (src/data's SpacingSource). */
export interface SpacingValue {
  x: number;
  y: number;
  source: Spacing['source'];
}

/** One image's pixel spacing: the file's own, the user's, and the one figures use. */
export interface ImageSpacing {
  file: SpacingValue | null;
  user: { x: number; y: number } | null;
  /** The user's value for the image, else the file's, else the project's; null: figures in pixels. */
  used: SpacingValue | null;
  /** The image's size in pixels from its header (null: unreadable), for the image list. */
  size: { width: number; height: number } | null;
}

export interface ProjectSpacing {
  /** The user's value for every image without its own (mm per pixel); null: not entered. */
  project: { x: number; y: number } | null;
  images: Record<string, ImageSpacing>;
}

/** Landmarks of the latest finished run, the user's corrections, and which images were reviewed. */
export interface ReviewState {
  /** Run the predictions come from; null when no run finished yet. */
  runId: string | null;
  predictions: AnnotationSet;
  /** Kept apart from predictions: a new run never overwrites them. */
  corrections: AnnotationSet;
  reviewed: string[];
  /** The imported ground truth (ground-truth.json), for errors per landmark; null when none. */
  groundTruth?: AnnotationSet | null;
  /**
   * `calibration.json` of the project when present (written by `npm run bench:calibration --
   * --out PROJECT/calibration.json`): turns a confidence c into an expected radial error
   * exp(a + b·c) in `unit`. Null: the review shows the model's raw confidence only.
   */
  calibration?: { a: number; b: number; unit: 'mm' | 'px'; n: number } | null;
}

export interface ExportRequest {
  projectPath: string;
  format: 'csv' | 'json' | 'slicer';
  images: 'all' | 'reviewed';
  /** 'corrected': predictions with the user's corrections applied (template: its marked points). */
  values: 'predicted' | 'corrected';
}

export interface ExportResult {
  /** Files written under the project's exports/ folder. */
  files: string[];
  imageCount: number;
}

/** Per-landmark errors against ground truth, from src/evaluation. */
export interface EvaluationSummary {
  unit: 'mm' | 'px';
  imageCount: number;
  mre: number;
  sd: number;
  perLandmark: { id: number; name: string; mre: number; sd: number }[];
  sdr: { threshold: number; rate: number }[];
}

export type JobKind = 'train' | 'predict' | 'export';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobSummary {
  id: string;
  kind: JobKind;
  projectPath: string;
  state: JobState;
  createdAt: string;
  /** 0..1 when known. */
  progress?: number;
  /** Training settings, for display. */
  method?: string;
  preset?: string;
  device?: string;
  message?: string;
  /** Process id of the engine process while it runs. */
  pid?: number;
  /** How many times the engine process was (re)started: > 1 after a resume. */
  attempts?: number;
  /** 'slurm': submitted to Slurm in `parts` parts (clusterRunStatus has the parts); absent: local. */
  backend?: TrainingBackend;
  parts?: number;
}

/** Pushed from the main process to the renderer while jobs run. */
export type JobEvent =
  | { type: 'state'; jobId: string; state: JobState; message?: string }
  | {
      type: 'progress';
      jobId: string;
      progress: number;
      step?: number;
      totalSteps?: number;
      metrics?: Record<string, number>;
      /** Stage of the run ('cache 64px', 'stage1', 'pseudo-labels', 'stage2', 'predict'). */
      stage?: string;
      landmark?: number;
      loss?: number;
      etaSec?: number;
    }
  | { type: 'log'; jobId: string; level: 'info' | 'warn' | 'error'; message: string };

export type Unsubscribe = () => void;

/**
 * What the window restores when it starts again: kept by the service (not the browser), because
 * `onemark serve` restarted on another port is another origin with empty browser storage.
 */
export interface UiState {
  /** The project that was open (null: it was closed). */
  lastProject?: string | null;
  /** Its tab: images | template | training | review | export. */
  view?: string;
  /** The training form's last choices. */
  training?: { method?: string; preset?: BudgetPreset; device?: string };
}

/** One job of a run trained in parts (src/cluster/status.ts): stage 1, a part, or the merge. */
export interface ClusterJobSummary {
  name: string;
  part?: number;
  /** Slurm job id, or the local process id. */
  job?: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'stopped' | 'unknown';
  reason?: string;
  step?: number;
  total?: number;
  etaSec?: number;
  resumedAt?: number;
}

/** A Slurm training job of a project as clusterRunStatus reports it: every part, from src/cluster/status.ts. */
export interface ClusterRunStatus {
  runId: string;
  backend: 'slurm' | 'local';
  method: string;
  parts: number;
  /** The job's state as listJobs shows it: 'done' once the merge job's predictions were taken in. */
  state: JobState;
  message?: string;
  /** Slurm job ids as submitted: stage 1, the parts array, the merge (latest of each). */
  jobIds: { stage1?: string; parts?: string; merge?: string };
  /** stage1, part 1..N, merge. */
  jobs: ClusterJobSummary[];
  /** The merge job has written the predictions (loadReview shows them once `state` is 'done'). */
  predictions: boolean;
}

/** Whether Slurm is reachable from here, and the parts of a job's run when it was trained in parts. */
export interface ClusterInfo {
  /** sbatch is on PATH: the training panel offers Slurm besides this machine. */
  sbatch: boolean;
  slurmVersion?: string;
  /** Partitions (sinfo), the default first. */
  partitions: string[];
  /** The job's run, when it was trained with --parts (RUN/cluster/plan.json exists). */
  run?: { backend: 'slurm' | 'local'; method: string; parts: number; jobs: ClusterJobSummary[] };
}

export interface OneMarkApi {
  engineInfo(): Promise<EngineInfo>;
  /**
   * Slurm's availability (sbatch, version, partitions) and, given a project's job, the state of
   * each part of its run when it was trained in parts (docs/cluster.md).
   */
  clusterInfo(request?: { projectPath: string; jobId: string }): Promise<ClusterInfo>;
  /** Projects in the app's projects folder plus recently opened ones that still exist, newest first. */
  listProjects(): Promise<ProjectSummary[]>;
  openProject(path: string): Promise<Project>;
  createProject(request: CreateProjectRequest): Promise<Project>;
  /**
   * Opens the system's file dialog (the Electron app) and returns the chosen paths, which
   * createProject, openProject, importImages and importGroundTruth then accept wherever they are
   * (typed paths must lie in the home folder or the app's folder). null: cancelled, or no native
   * dialog (`onemark serve`: type a path under the folders given with --root).
   */
  choosePaths(request: ChoosePathsRequest): Promise<string[] | null>;
  /** The project's annotations (template and corrections); an empty set when none were saved. */
  loadAnnotations(projectPath: string): Promise<RevisedAnnotationSet>;
  /**
   * Replaces annotations.json. With `annotations.revision` set, refuses (StaleWriteError, HTTP 409)
   * when the file was saved since that revision; without it, the save is accepted as before.
   */
  saveAnnotations(
    projectPath: string,
    annotations: AnnotationSet & { revision?: number },
  ): Promise<SaveResult>;
  /** Landmark set presets (ISBI 2015's 19, ...), by key. */
  landmarkPresets(): Promise<Record<string, LandmarkSet>>;
  /** `expectedRevision`: the project's revision the change was made on (stale: StaleWriteError). */
  setLandmarkSet(projectPath: string, landmarkSet: LandmarkSet, expectedRevision?: number): Promise<Project>;
  /** Imports what it can; paths missing or not images come back in `skipped` (all missing: an error). */
  importImages(projectPath: string, request: ImportImagesRequest): Promise<ImportResult>;
  setTemplate(projectPath: string, imageId: string, expectedRevision?: number): Promise<Project>;
  /** Decoded pixels of one image, long side at most `maxSide` (default 1024). */
  imagePixels(projectPath: string, imageId: string, maxSide?: number): Promise<ImagePixels>;
  /**
   * The stored bytes of a DICOM project image, for the viewer's DICOM loader (Cornerstone's
   * dicom-image-loader decodes them in the renderer); refuses images that are not DICOM.
   */
  dicomFile(projectPath: string, imageId: string): Promise<Uint8Array>;
  /** The detection methods startTraining accepts, in the order to offer them (cc2d first). */
  listMethods(): Promise<MethodSummary[]>;
  /**
   * Starts a training job: an engine process here, or (backend 'slurm') jobs submitted to Slurm,
   * in which case it answers once sbatch accepted them (a refused submission is an error).
   */
  startTraining(request: TrainingRequest): Promise<JobSummary>;
  /** Every part of a Slurm job (pending/running/done/failed/cancelled, steps, ETA) and the job ids. */
  clusterRunStatus(projectPath: string, runId: string): Promise<ClusterRunStatus>;
  /** Cancels a Slurm job's jobs still pending or running (scancel); the job becomes 'cancelled'. */
  cancelClusterRun(projectPath: string, runId: string): Promise<void>;
  cancelJob(jobId: string): Promise<void>;
  /** The job's log lines (engine process output and runner notes), last `limit` lines. */
  jobLog(jobId: string, limit?: number): Promise<string[]>;
  loadReview(projectPath: string): Promise<ReviewState>;
  /** Stores a corrected point (null: remove the correction). */
  saveCorrection(
    projectPath: string,
    imageId: string,
    landmarkId: number,
    point: Point | null,
  ): Promise<void>;
  setReviewed(projectPath: string, imageId: string, reviewed: boolean): Promise<void>;
  /** Imports ground truth (a landmark file) so the evaluation view can score predictions. */
  importGroundTruth(projectPath: string, file: string): Promise<number>;
  /** Errors of the latest predictions (corrected or not) against the ground truth; null when there is none. */
  evaluate(projectPath: string, values: 'predicted' | 'corrected'): Promise<EvaluationSummary | null>;
  exportLandmarks(request: ExportRequest): Promise<ExportResult>;
  /**
   * Reads a landmark file (OneMark CSV or JSON, Slicer .mrk.json, ISBI txt) against the project's
   * landmark set, e.g. to import the template's landmarks; Slicer mm become pixels with the
   * template's spacing. Writes nothing.
   */
  readLandmarkFile(projectPath: string, file: string): Promise<AnnotationSet>;
  /** The bytes of one exported file (a path exportLandmarks returned), for a browser download. */
  exportFile(projectPath: string, file: string): Promise<Uint8Array>;
  listJobs(projectPath?: string): Promise<JobSummary[]>;
  /** Pixel spacing of the project and of each image (from DICOM, or entered). */
  pixelSpacing(projectPath: string): Promise<ProjectSpacing>;
  /**
   * Sets the user's spacing (mm per pixel) for the project (`imageId` omitted) or one image;
   * null removes it. Exports, evaluation and the review's figures use it from then on.
   */
  setPixelSpacing(
    projectPath: string,
    spacing: { x: number; y: number } | null,
    imageId?: string,
  ): Promise<ProjectSpacing>;
  /** The window's state at its last change (empty when none was saved). */
  uiState(): Promise<UiState>;
  /** Merges `state` into the saved window state. */
  saveUiState(state: UiState): Promise<void>;
  onJobEvent(listener: (event: JobEvent) => void): Unsubscribe;
}
