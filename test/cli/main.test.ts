import { describe, expect, it } from 'vitest';
import { formatCliError } from '../../src/cli/errors';
import { runCli } from './helpers';

describe('onemark program', () => {
  it('lists its commands in --help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['dataset', 'evaluate', 'convert', 'baseline']) expect(r.stdout).toContain(c);
  });

  it('reports usage errors with a non-zero exit', async () => {
    const r = await runCli(['evaluate', '--pred', 'x.csv']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("required option '--gt");
  });

  it('prints one line for a missing file, and the stack with --verbose', async () => {
    const r = await runCli(['convert', 'missing.csv', 'out.json']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('onemark: error: missing.csv: no such file or folder');
    const v = await runCli(['--verbose', 'convert', 'missing.csv', 'out.json']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('onemark: error: missing.csv: no such file or folder');
    expect(v.stderr).toMatch(/\n\s+at /);
  });
});

describe('formatCliError', () => {
  it('turns a file system error into "path: problem"', () => {
    const err = Object.assign(new Error("ENOENT: no such file or directory, open 'a.csv'"), {
      code: 'ENOENT',
      path: 'a.csv',
    });
    expect(formatCliError(err, false)).toBe('onemark: error: a.csv: no such file or directory');
  });
  it('hints at --verbose for unexpected errors only', () => {
    expect(formatCliError(new TypeError('x is undefined'), false)).toBe(
      'onemark: error: x is undefined\n(run with --verbose for details)',
    );
    const e = new Error('p.csv: bad');
    e.name = 'DataError';
    expect(formatCliError(e, false)).toBe('onemark: error: p.csv: bad');
  });
});
