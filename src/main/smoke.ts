/**
 * `--smoke-test`: load the window, ask the page what it sees, print one line, quit. Used by
 * test/app/electron-smoke.test.ts and usable on a packaged build to check it starts at all.
 */
import type { BrowserWindow } from 'electron';

export const SMOKE_FLAG = '--smoke-test';
export const SMOKE_PREFIX = 'ONEMARK_SMOKE ';

export interface SmokeReport {
  ok: boolean;
  title: string;
  header: string | null;
  /** Keys of window.onemark as the page sees them. */
  api: string[];
  /** What window.onemark.engineInfo() answered, through the whole IPC path. */
  engineState: string | null;
  /** Node must not leak into the sandboxed page. */
  hasRequire: boolean;
  error?: string;
}

const PAGE_PROBE = `(async () => {
  const api = window.onemark ? Object.keys(window.onemark).sort() : [];
  let engineState = null;
  if (window.onemark) engineState = (await window.onemark.engineInfo()).engine.state;
  return {
    title: document.title,
    header: document.querySelector('h1') ? document.querySelector('h1').textContent : null,
    api,
    engineState,
    hasRequire: typeof require !== 'undefined',
  };
})()`;

/** `loaded` is the promise of win.loadFile/loadURL: it settles when the page finished or failed loading. */
export async function runSmoke(
  win: BrowserWindow,
  loaded: Promise<void>,
  quit: (code: number) => void,
): Promise<void> {
  let done = false;
  // Quit only once the line is flushed: stdout may be an async pipe, and app.exit does not wait.
  const finish = (report: Partial<SmokeReport>, code: number) => {
    if (done) return;
    done = true;
    process.stdout.write(SMOKE_PREFIX + JSON.stringify(report) + '\n', () => quit(code));
  };
  const timer = setTimeout(() => finish({ ok: false, error: 'page did not load in 30 s' }, 2), 30_000);
  try {
    await loaded;
    // The Vue app mounts after load; give it a moment to render the header.
    await new Promise((r) => setTimeout(r, 500));
    const seen = (await win.webContents.executeJavaScript(PAGE_PROBE)) as Omit<SmokeReport, 'ok'>;
    const report: SmokeReport = {
      ok: seen.api.length > 0 && !seen.hasRequire && seen.header === 'OneMark',
      ...seen,
    };
    finish(report, report.ok ? 0 : 1);
  } catch (e) {
    finish({ ok: false, error: (e as Error).message }, 1);
  } finally {
    clearTimeout(timer);
  }
}
