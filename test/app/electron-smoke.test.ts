/**
 * Starts the real app in Electron, lets the page call the API through preload and IPC, and quits.
 * Needs the Electron binary, which npm may not have downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD or
 * a blocked postinstall): then the test is skipped and says why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_METHODS, INVOKE_METHODS } from '../../src/api/contract/channels';
import { SMOKE_FLAG, SMOKE_PREFIX, type SmokeReport } from '../../src/main/smoke';
import { buildApp, type BuiltApp } from './build-app';

function findElectron(): { binary?: string; reason?: string } {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { reason: `electron binary missing at ${String(binary)}` };
  } catch (e) {
    return { reason: `electron binary not installed (${(e as Error).message.split('\n')[0]})` };
  }
}

/** A Linux machine without a display needs xvfb-run; without either the window cannot open. */
function displayWrapper(): { argv: string[]; reason?: string } {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return { argv: [] };
  const which = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' });
  if (which.status === 0) return { argv: [which.stdout.trim(), '-a'] };
  return { argv: [], reason: 'no display (DISPLAY unset) and no xvfb-run' };
}

const electron = findElectron();
const display = displayWrapper();
const skipReason = electron.reason ?? display.reason;
if (skipReason) console.warn(`electron smoke test skipped: ${skipReason}`);

let built: BuiltApp | undefined;
afterAll(async () => {
  if (built) await rm(built.dir, { recursive: true, force: true });
});

describe('electron smoke', () => {
  it.skipIf(!!skipReason)(
    `opens the window, reaches the API through preload + IPC, and quits${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    async () => {
      built = await buildApp();
      const userData = path.join(built.dir, 'user-data');
      await mkdir(userData);
      const args = [built.dir, SMOKE_FLAG];
      // Chromium refuses to start as root with its OS sandbox; the page stays context-isolated.
      if (process.getuid?.() === 0) args.push('--no-sandbox');
      const [cmd, ...pre] = [...display.argv, electron.binary!];
      const env: NodeJS.ProcessEnv = { ...process.env, ONEMARK_USER_DATA_DIR: userData };
      delete env.ELECTRON_RUN_AS_NODE;
      delete env.ELECTRON_RENDERER_URL;

      const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(cmd, [...pre, ...args], { env });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out }));
      });
      const line = out.split('\n').find((l) => l.startsWith(SMOKE_PREFIX));
      expect(line, `no smoke report in Electron output:\n${out}`).toBeDefined();
      const report = JSON.parse(line!.slice(SMOKE_PREFIX.length)) as SmokeReport;
      expect(report.error).toBeUndefined();
      expect(report.title).toBe('OneMark');
      expect(report.header).toBe('OneMark');
      expect(report.api).toEqual([...INVOKE_METHODS, ...EVENT_METHODS].sort());
      expect(report.hasRequire).toBe(false);
      expect(report.engineState).toBe('missing'); // the temp build has no native/ beside it
      expect(report.ok).toBe(true);
      expect(code).toBe(0);
    },
    120_000,
  );
});
