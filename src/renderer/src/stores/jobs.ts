/**
 * Training jobs as the window sees them: the list, live progress from job events (stage, step,
 * loss curve, ETA), the log, start and cancel, and a desktop notification when one ends.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobEvent, JobSummary, TrainingRequest } from '../../../api/contract/types';
import { getApi } from '../api';
import { onReconnect } from '../connection';

export interface JobLive {
  stage?: string;
  step?: number;
  totalSteps?: number;
  etaSec?: number;
  loss?: number;
  landmark?: number;
  /** (stage, loss) samples for the curve, thinned to at most 400. */
  losses: { stage: string; loss: number }[];
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<JobSummary[]>([]);
  const live = ref<Record<string, JobLive>>({});
  const logs = ref<Record<string, string[]>>({});
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;
  let projectPath: string | null = null;
  const endListeners = new Set<(job: JobSummary) => void>();

  function liveOf(id: string): JobLive {
    if (!live.value[id]) live.value[id] = { losses: [] };
    return live.value[id];
  }

  function apply(event: JobEvent): void {
    const job = jobs.value.find((j) => j.id === event.jobId);
    if (event.type === 'progress') {
      if (job) job.progress = event.progress;
      const l = liveOf(event.jobId);
      Object.assign(l, {
        stage: event.stage ?? l.stage,
        step: event.step,
        totalSteps: event.totalSteps,
        etaSec: event.etaSec,
        loss: event.loss ?? l.loss,
        landmark: event.landmark,
      });
      if (event.loss !== undefined && event.stage) {
        l.losses.push({ stage: event.stage, loss: event.loss });
        if (l.losses.length > 400) l.losses = l.losses.filter((_, i) => i % 2 === 0);
      }
    } else if (event.type === 'state') {
      if (job) {
        job.state = event.state;
        if (event.message) job.message = event.message;
        if (event.state === 'done') job.progress = 1;
        if (['done', 'failed', 'cancelled'].includes(event.state)) {
          for (const f of endListeners) f({ ...job });
          notify(job);
        }
      } else {
        void refresh();
      }
    } else {
      const list = (logs.value[event.jobId] ??= []);
      list.push(event.message);
      if (list.length > 500) list.splice(0, list.length - 500);
    }
  }

  function notify(job: JobSummary): void {
    const N = globalThis.Notification;
    if (!N) return;
    const show = () => {
      try {
        new N('OneMark', {
          body: `Training ${job.id}: ${job.state}${job.message ? ` (${job.message})` : ''}`,
        });
      } catch {
        // notifications unavailable here (permission, platform): the view still shows the state
      }
    };
    if (N.permission === 'granted') show();
    else if (N.permission !== 'denied') void N.requestPermission?.().then((p) => p === 'granted' && show());
  }

  async function refresh(): Promise<void> {
    if (!projectPath) return;
    try {
      jobs.value = (await getApi().listJobs(projectPath)).sort((a, b) =>
        b.createdAt.localeCompare(a.createdAt),
      );
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function attach(path: string): Promise<void> {
    projectPath = path;
    if (!unsubscribe) {
      unsubscribe = getApi().onJobEvent(apply);
      // Events sent while the server was away are lost: ask for the jobs' state instead.
      onReconnect(() => void refresh());
    }
    await refresh();
  }

  async function start(request: TrainingRequest): Promise<JobSummary | null> {
    try {
      const job = await getApi().startTraining(request);
      error.value = null;
      await refresh();
      return job;
    } catch (e) {
      error.value = (e as Error).message;
      return null;
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      await getApi().cancelJob(id);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function loadLog(id: string): Promise<void> {
    try {
      logs.value[id] = await getApi().jobLog(id, 300);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function onJobEnd(f: (job: JobSummary) => void): () => void {
    endListeners.add(f);
    return () => endListeners.delete(f);
  }

  return { jobs, live, logs, error, attach, refresh, start, cancel, loadLog, apply, onJobEnd };
});
