/**
 * The app-side list of jobs and the fan-out of their events. Whatever runs jobs (the engine
 * process spawner, later) reports here; the API lists jobs and forwards events to listeners.
 */
import type { JobEvent, JobSummary, Unsubscribe } from '../contract/types';

export class JobRegistry {
  private readonly jobs = new Map<string, JobSummary>();
  private readonly listeners = new Set<(event: JobEvent) => void>();

  add(job: JobSummary): void {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} is already registered`);
    this.jobs.set(job.id, { ...job });
  }

  /** Merges fields into a known job's summary (no event: the runner publishes what the UI needs). */
  update(patch: Partial<JobSummary> & { id: string }): void {
    const job = this.jobs.get(patch.id);
    if (!job) throw new Error(`update of unknown job ${patch.id}`);
    Object.assign(job, patch);
  }

  list(projectPath?: string): JobSummary[] {
    const all = [...this.jobs.values()].map((j) => ({ ...j }));
    return projectPath === undefined ? all : all.filter((j) => j.projectPath === projectPath);
  }

  /** Applies the event to the job's summary, then tells every listener. */
  publish(event: JobEvent): void {
    const job = this.jobs.get(event.jobId);
    if (!job) throw new Error(`job event for unknown job ${event.jobId}`);
    if (event.type === 'state') {
      job.state = event.state;
      if (event.message !== undefined) job.message = event.message;
    }
    if (event.type === 'progress') job.progress = event.progress;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        // One broken listener (a closed window) must not stop the others from hearing the job.
        console.error(`job event listener failed: ${(e as Error).message}`);
      }
    }
  }

  subscribe(listener: (event: JobEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
