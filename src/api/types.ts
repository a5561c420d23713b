/**
 * The one typed API the renderer uses. The same interface is implemented by the plain-Node
 * service (src/api/service.ts) and by the preload bridge (window.onemark), so the renderer can
 * never reach anything the service does not offer.
 *
 * Rules for methods (checked by src/api/contract.ts):
 * - request methods return a Promise of structured-clonable data (they travel over IPC);
 * - event methods are named `on<Something>`, take one listener and return an unsubscribe function.
 *
 * First version: engine status, projects, annotations, job listing and job events. Training,
 * prediction and export requests come with the full workstation.
 */
import type { AnnotationSet, LandmarkSet } from '../data/types';

export type { AnnotationSet, LandmarkSet } from '../data/types';

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
}

export interface CreateProjectRequest {
  /** Absolute path of the folder to create the project in (created if absent, must not hold a project). */
  path: string;
  name: string;
  landmarkSet?: LandmarkSet;
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
    }
  | { type: 'log'; jobId: string; level: 'info' | 'warn' | 'error'; message: string };

export type Unsubscribe = () => void;

export interface OneMarkApi {
  engineInfo(): Promise<EngineInfo>;
  /** Projects in the app's projects folder plus recently opened ones that still exist, newest first. */
  listProjects(): Promise<ProjectSummary[]>;
  openProject(path: string): Promise<Project>;
  createProject(request: CreateProjectRequest): Promise<Project>;
  /** The project's annotations (template and corrections); an empty set when none were saved. */
  loadAnnotations(projectPath: string): Promise<AnnotationSet>;
  saveAnnotations(projectPath: string, annotations: AnnotationSet): Promise<void>;
  listJobs(projectPath?: string): Promise<JobSummary[]>;
  onJobEvent(listener: (event: JobEvent) => void): Unsubscribe;
}
