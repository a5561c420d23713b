/**
 * The run's events log (RUN/events.jsonl): one JSON line per progress event worth keeping, stamped
 * with the time. Trainers and the engine job write it through here, so it has one format.
 */
import * as fs from 'node:fs';
import type { ProgressEvent, ProgressStream } from './progress';

/** Which events a log keeps (default: notes, every 10th step and each stage's last). */
export type EventFilter = (e: ProgressEvent, now: number) => boolean;

export const EVERY_TENTH_STEP: EventFilter = (e) => !!e.message || e.step % 10 === 0 || e.step === e.total;

/** Appends `line` (a JSON value) to a JSON-lines file. */
export function appendJsonLine(file: string, line: unknown): string {
  const text = JSON.stringify(line);
  fs.appendFileSync(file, text + '\n');
  return text;
}

/** Logs `progress` into `file` until the returned function is called. */
export function logEvents(
  progress: ProgressStream,
  file: string,
  keep: EventFilter = EVERY_TENTH_STEP,
): () => void {
  return progress.on((e) => {
    const now = Date.now();
    if (keep(e, now)) appendJsonLine(file, { t: new Date(now).toISOString(), ...e });
  });
}
