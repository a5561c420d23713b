/**
 * IPC channel names of the OneMark API. Pure data with no imports at runtime, because the sandboxed
 * preload bundles it and may only require 'electron'.
 *
 * The `satisfies` clauses make the compiler reject a channel table that misses a method of
 * OneMarkApi or names one it does not have, so preload, main and the interface cannot drift apart.
 */
import type { OneMarkApi } from './types';

/** The global the preload defines in the renderer: `window.onemark`. */
export const API_GLOBAL = 'onemark';

/** Methods named `on<Something>`: main pushes, renderer listens. */
export type EventMethod = {
  [K in keyof OneMarkApi]: K extends `on${Capitalize<string>}` ? K : never;
}[keyof OneMarkApi];

/** Every other method: renderer asks, main answers (ipcRenderer.invoke / ipcMain.handle). */
export type InvokeMethod = Exclude<keyof OneMarkApi, EventMethod>;

type Channel = `onemark:${string}`;

export const INVOKE_CHANNELS = {
  engineInfo: 'onemark:engine:info',
  clusterInfo: 'onemark:cluster:info',
  clusterRunStatus: 'onemark:cluster:run-status',
  cancelClusterRun: 'onemark:cluster:cancel',
  listProjects: 'onemark:projects:list',
  openProject: 'onemark:projects:open',
  createProject: 'onemark:projects:create',
  choosePaths: 'onemark:dialog:choose-paths',
  loadAnnotations: 'onemark:annotations:load',
  saveAnnotations: 'onemark:annotations:save',
  landmarkPresets: 'onemark:landmarks:presets',
  setLandmarkSet: 'onemark:projects:landmark-set',
  importImages: 'onemark:images:import',
  setTemplate: 'onemark:images:template',
  imagePixels: 'onemark:images:pixels',
  dicomFile: 'onemark:images:dicom-file',
  listMethods: 'onemark:methods:list',
  startTraining: 'onemark:jobs:train',
  cancelJob: 'onemark:jobs:cancel',
  jobLog: 'onemark:jobs:log',
  loadReview: 'onemark:review:load',
  saveCorrection: 'onemark:review:correct',
  setReviewed: 'onemark:review:reviewed',
  importGroundTruth: 'onemark:review:ground-truth',
  evaluate: 'onemark:review:evaluate',
  exportLandmarks: 'onemark:export:landmarks',
  listJobs: 'onemark:jobs:list',
  exportFile: 'onemark:export:file',
  readLandmarkFile: 'onemark:landmarks:read-file',
  pixelSpacing: 'onemark:spacing:get',
  setPixelSpacing: 'onemark:spacing:set',
  uiState: 'onemark:ui:state',
  saveUiState: 'onemark:ui:save-state',
} as const satisfies Record<InvokeMethod, Channel>;

export const EVENT_CHANNELS = {
  onJobEvent: 'onemark:jobs:event',
} as const satisfies Record<EventMethod, Channel>;

/** The payload an event channel carries: the argument of the listener of that `on...` method. */
export type EventPayload<K extends EventMethod> = Parameters<Parameters<OneMarkApi[K]>[0]>[0];

export const INVOKE_METHODS = Object.keys(INVOKE_CHANNELS) as InvokeMethod[];
export const EVENT_METHODS = Object.keys(EVENT_CHANNELS) as EventMethod[];
