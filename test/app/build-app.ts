/**
 * Builds the Electron app (main, preload, renderer) with electron-vite into a fresh temporary
 * folder, so tests never clobber out/ while someone runs the app from it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');

export interface BuiltApp {
  /** Holds main/, preload/, renderer/ and a package.json, so `electron <dir>` runs it. */
  dir: string;
  log: string;
}

export async function buildApp(): Promise<BuiltApp> {
  const dir = await mkdtemp(path.join(tmpdir(), 'onemark-app-'));
  const log = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'build', '--outDir', dir, '--logLevel', 'warn'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`electron-vite build failed (exit ${code}):\n${out}`)),
    );
  });
  // The main bundle is ESM; Electron decides that from the nearest package.json.
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'onemark', version: '0.0.0-test', type: 'module', main: 'main/index.js' }),
  );
  return { dir, log };
}
