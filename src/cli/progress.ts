/**
 * A progress bar with ETA on stderr, shared by long commands (evaluate, train, predict...).
 * On a terminal it redraws one line at most 10 times a second; in a log (not a TTY) it prints a
 * line at each 10% so CI logs stay short. stdout stays clean for results.
 */

export interface ProgressOptions {
  total: number;
  label: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Set false to print nothing (e.g. --quiet). */
  enabled?: boolean;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export interface Progress {
  tick(n?: number, note?: string): void;
  update(done: number, note?: string): void;
  /** Finishes the line; prints the elapsed time. */
  done(note?: string): void;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** "label [#####.....] 50/100 50% ETA 12s note" */
export function formatProgressLine(
  label: string,
  done: number,
  total: number,
  elapsedMs: number,
  note = '',
  width = 24,
): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const eta =
    done > 0 && done < total
      ? formatDuration((elapsedMs / done) * (total - done))
      : done >= total
        ? '0s'
        : '?';
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.floor(frac * 100)}% ETA ${eta}${note ? ` ${note}` : ''}`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.enabled ?? true;
  const now = opts.now ?? Date.now;
  const tty = !!stream.isTTY;
  const start = now();
  let done = 0;
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let finished = false;

  const draw = (note?: string, force = false) => {
    if (!enabled || finished) return;
    const t = now();
    const line = formatProgressLine(opts.label, done, opts.total, t - start, note);
    if (tty) {
      if (!force && t - lastDraw < 100) return;
      lastDraw = t;
      const cols = stream.columns ?? 100;
      stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
    } else {
      const decile = opts.total > 0 ? Math.floor((done / opts.total) * 10) : 10;
      if (!force && decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${line}\n`);
    }
  };

  return {
    tick(n = 1, note) {
      done += n;
      draw(note);
    },
    update(d, note) {
      done = d;
      draw(note);
    },
    done(note) {
      if (!enabled || finished) return;
      done = Math.max(done, opts.total);
      const msg = `${opts.label}: done ${done}/${opts.total} in ${formatDuration(now() - start)}${note ? ` ${note}` : ''}`;
      stream.write(tty ? `\r${msg}\x1b[K\n` : `${msg}\n`);
      finished = true;
    },
  };
}
