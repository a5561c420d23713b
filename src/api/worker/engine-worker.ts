/**
 * Entry point of the engine process: `node --import tsx src/api/worker/engine-worker.ts <runDir>`.
 * Started detached by the job runner so it outlives the window and the server; SIGTERM asks it
 * to stop after the current step (a checkpoint follows), which is how cancel works.
 */
import { runTrainingJob } from './engine-job';
import { writeStatus } from '../disk/job-files';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: engine-worker <runDir>\n');
  process.exit(2);
}
const controller = new AbortController();
process.on('SIGTERM', () => {
  process.stderr.write('engine: stop requested; stopping after this step\n');
  controller.abort();
});
try {
  await runTrainingJob(dir, controller.signal);
  process.exitCode = 0;
} catch (e) {
  const message = (e as Error).message ?? String(e);
  process.stderr.write(`engine: job failed: ${(e as Error).stack ?? message}\n`);
  await writeStatus(dir, 'failed', message).catch(() => {});
  process.exitCode = 1;
}
