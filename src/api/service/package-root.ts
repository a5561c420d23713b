/**
 * The folder holding package.json above this module: the checkout from source (src/api/service),
 * the app folder once electron-vite has bundled the service into out/main. The two sit at
 * different depths, so a fixed '../..' would be right for one of them only.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..', '..');
  }
}
