/**
 * Issue 10, "writes outside the chosen folder": one rule (src/data/safeName.ts) for every id that
 * becomes a file name. A fuzz over ids with `..`, separators, NUL, absolute paths and reserved
 * names, through every writer (convert to ISBI txt / Slicer, the CLI's convert, the app's exports,
 * project image import, run folders), shows that nothing is ever written outside its folder.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDir } from '../../src/api/disk/job-files';
import { PROJECT_FILE } from '../../src/api/disk/project-file';
import { createApiService } from '../../src/api/service/service';
import { writeLandmarks } from '../../src/data/formats';
import { evaluate } from '../../src/evaluation/evaluate';
import { writeComparisonReport } from '../../src/evaluation/report';
import {
  isSafeFileStem,
  MAX_FILE_STEM_BYTES,
  resolveInside,
  toSafeFileStem,
  unsafeFileStemReason,
} from '../../src/data/safeName';
import type { AnnotationSet, LandmarkSet } from '../../src/data/types';
import { runCli } from '../cli/helpers';

let sandbox: string;
/** Must stay empty: absolute-path ids aim here. */
let outside: string;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'onemark-names-'));
  outside = path.join(sandbox, 'outside');
  await mkdir(outside);
});
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

/** Every id here must be refused (given ids) or rewritten (ids the program picks). */
function evilIds(): string[] {
  return [
    '../../escaped',
    '../escaped',
    '..',
    '.',
    '',
    'a/../../escaped',
    'sub/x',
    '..\\..\\escaped',
    'a\\b',
    'x\0y',
    '\0',
    path.join(outside, 'abs-escaped'),
    '/etc/onemark-escaped',
    'C:\\escaped',
    'C:escaped',
    '\\\\server\\share\\x',
    'CON',
    'nul',
    'com1.txt',
    'LPT9',
    'a'.repeat(MAX_FILE_STEM_BYTES + 1),
    'é'.repeat(MAX_FILE_STEM_BYTES / 2 + 1),
    'trailing.',
    'trailing ',
    '\u0001ctrl',
    'a:b',
    'what?',
  ];
}

const twoLandmarks: LandmarkSet = {
  name: 'two',
  landmarks: [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
  ],
};

function setOf(ids: string[]): AnnotationSet {
  return {
    landmarkSet: twoLandmarks,
    images: ids.map((imageId) => ({
      imageId,
      landmarks: [
        { id: 1, point: { x: 1, y: 2 } },
        { id: 2, point: { x: 3, y: 4 } },
      ],
    })),
  };
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

describe('the safe-name rule', () => {
  it('refuses every fuzzed id with a reason, and accepts ordinary ids', () => {
    for (const id of evilIds()) expect(unsafeFileStemReason(id), JSON.stringify(id)).not.toBeNull();
    for (const id of ['001', 'img-02', 'scan 3', 'Ünïcode_ß', 'a.b', 'CONSOLE', 'com10', '..x', 'x..y']) {
      expect(unsafeFileStemReason(id), id).toBeNull();
    }
  });

  it('rewrites names the program picks into safe ones and leaves safe ones alone', () => {
    for (const id of evilIds()) {
      const safe = toSafeFileStem(id);
      expect(isSafeFileStem(safe), `${JSON.stringify(id)} -> ${JSON.stringify(safe)}`).toBe(true);
      expect(toSafeFileStem(safe)).toBe(safe);
    }
    expect(toSafeFileStem('ceph_001')).toBe('ceph_001');
  });

  it('resolveInside refuses any name that resolves outside the folder', () => {
    const dir = path.join(sandbox, 'inside');
    expect(resolveInside(dir, 'a.txt')).toBe(path.join(dir, 'a.txt'));
    for (const name of ['../a', '../../a', '/etc/passwd', path.join(outside, 'x'), '.', '', 'a/../../b']) {
      expect(() => resolveInside(dir, name), name).toThrow(/outside this folder/);
    }
  });
});

describe('no writer writes outside its folder, whatever the id', () => {
  it('convert to ISBI txt and Slicer: every fuzzed id is refused before any file is written', async () => {
    const root = path.join(sandbox, 'convert');
    for (const format of ['isbi-txt', 'slicer'] as const) {
      for (const [i, id] of evilIds().entries()) {
        const out = path.join(root, format, `out${i}`);
        // A good id first: a bad one later in the set must still leave no half output.
        await expect(
          writeLandmarks(out, setOf(['good', id]), { format }),
          JSON.stringify(id),
        ).rejects.toThrow(/cannot be used as a file name/);
      }
    }
    expect(await exists(root)).toBe(false);
    expect(await filesUnder(outside)).toEqual([]);
    // Ordinary ids are written as before.
    const ok = path.join(root, 'ok');
    expect(await writeLandmarks(ok, setOf(['001', 'scan 2']), { format: 'isbi-txt' })).toEqual([
      path.join(ok, '001.txt'),
      path.join(ok, 'scan 2.txt'),
    ]);
  });

  it('`onemark convert … --to isbi-txt` exits non-zero naming the id, and writes nothing outside', async () => {
    const dir = path.join(sandbox, 'cli');
    await mkdir(path.join(dir, 'deep', 'er'), { recursive: true });
    const csv = path.join(dir, 'in.csv');
    await writeLandmarks(csv, setOf(['001', '../../escaped']));
    const r = await runCli(['convert', csv, path.join(dir, 'deep', 'er', 'out'), '--to', 'isbi-txt']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('"../../escaped" cannot be used as a file name');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await filesUnder(dir)).toEqual(['in.csv']);
  }, 60_000);

  it('project exports (Slicer per image; CSV/JSON single files) stay in exports/', async () => {
    const dir = path.join(sandbox, 'project');
    const api = createApiService({ stateDir: path.join(sandbox, 'state') });
    await api.createProject({ path: dir, name: 'Evil ids', landmarkSet: twoLandmarks });
    // Ids as a hand-edited (or crafted) project file can hold them; '' is refused on open already.
    const ids = evilIds().filter((id) => id !== '');
    const doc = JSON.parse(
      await (await import('node:fs/promises')).readFile(path.join(dir, PROJECT_FILE), 'utf8'),
    );
    doc.images = ids.map((id, i) => ({ id, file: `scan${i}.png` }));
    await writeFile(path.join(dir, PROJECT_FILE), JSON.stringify(doc));
    const run = path.join(dir, 'runs', '20250101-000000-abcd');
    await mkdir(run, { recursive: true });
    await writeFile(path.join(run, 'status.json'), JSON.stringify({ state: 'done', updatedAt: '' }));
    await writeFile(path.join(run, 'predictions.json'), JSON.stringify(setOf(ids)));

    for (const id of ids) {
      doc.images = [{ id, file: 'scan.png' }];
      await writeFile(path.join(dir, PROJECT_FILE), JSON.stringify(doc));
      await writeFile(path.join(run, 'predictions.json'), JSON.stringify(setOf([id])));
      await expect(
        api.exportLandmarks({ projectPath: dir, format: 'slicer', images: 'all', values: 'predicted' }),
        JSON.stringify(id),
      ).rejects.toThrow(/cannot name a Slicer file/);
      for (const format of ['csv', 'json'] as const) {
        const res = await api.exportLandmarks({
          projectPath: dir,
          format,
          images: 'all',
          values: 'predicted',
        });
        for (const f of res.files) expect(path.dirname(f)).toBe(path.join(dir, 'exports'));
      }
    }
    const written = await filesUnder(dir);
    for (const f of written) {
      expect(
        f === PROJECT_FILE || f.startsWith(`exports${path.sep}`) || f.startsWith(`runs${path.sep}`),
        f,
      ).toBe(true);
    }
    // Two exports of the same second do not overwrite each other: one CSV and one JSON per id.
    expect(written.filter((f) => f.endsWith('.csv'))).toHaveLength(ids.length);
    expect(await filesUnder(outside)).toEqual([]);
    expect(await exists(path.join(sandbox, 'escaped.mrk.json'))).toBe(false);
  });

  it('project image import gives odd file names safe ids and copies them into images/', async () => {
    const dir = path.join(sandbox, 'import');
    const api = createApiService({ stateDir: path.join(sandbox, 'state') });
    await api.createProject({ path: dir, name: 'Import', landmarkSet: twoLandmarks });
    const scans = path.join(sandbox, 'odd-scans');
    await mkdir(scans, { recursive: true });
    const names = [
      'con.png',
      'a:b.png',
      'trail..png',
      'what?.png',
      'back\\slash.png',
      'ok.png',
      '\u0001.png',
    ];
    for (const n of names) await writeFile(path.join(scans, n), '');
    const project = await api.importImages(dir, { paths: [scans], mode: 'copy' });
    expect(project.images).toHaveLength(names.length);
    for (const im of project.images) {
      expect(isSafeFileStem(im.id), im.id).toBe(true);
      expect(path.dirname(im.file)).toBe('images');
    }
    expect((await filesUnder(dir)).filter((f) => !f.startsWith(`images${path.sep}`))).toEqual([PROJECT_FILE]);
  });

  it('evaluation reports: method names taken from prediction files cannot leave the report folder', async () => {
    const root = path.join(sandbox, 'report');
    const out = path.join(root, 'out');
    const spacing = { x: 0.1, y: 0.1, source: 'dataset' as const };
    const withSpacing = (set: AnnotationSet, dx: number): AnnotationSet => ({
      ...set,
      images: set.images.map((a) => ({
        ...a,
        spacing,
        landmarks: a.landmarks.map((v) => ({ ...v, point: v.point && { x: v.point.x + dx, y: v.point.y } })),
      })),
    });
    const gt = withSpacing(setOf(['001', '002']), 0);
    const methods = ['..', '../..', 'CON', path.join(outside, 'abs')];
    const evals = methods.map((method, i) =>
      evaluate(withSpacing(setOf(['001', '002']), i + 1), gt, { method }),
    );
    await writeComparisonReport(evals, { outDir: out, formats: ['svg'] });
    expect((await filesUnder(root)).every((f) => f.startsWith(`out${path.sep}`))).toBe(true);
    expect(await filesUnder(outside)).toEqual([]);
  });

  it('run folders: a run id that is not a plain name is refused', () => {
    const project = path.join(sandbox, 'runs-project');
    expect(runDir(project, '20250101-000000-abcd')).toBe(path.join(project, 'runs', '20250101-000000-abcd'));
    for (const id of evilIds()) expect(() => runDir(project, id), JSON.stringify(id)).toThrow(/run id/);
  });
});
