import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './build-app';

// tsc does not read .vue files; vue-tsc checks the templates against the store and API types.
describe('renderer type check', () => {
  it('vue-tsc finds no errors in src/renderer (templates included)', () => {
    const cli = path.join(repoRoot, 'node_modules', 'vue-tsc', 'bin', 'vue-tsc.js');
    const run = spawnSync(process.execPath, [cli, '--noEmit', '-p', 'src/renderer/tsconfig.json'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  }, 120_000);
});
