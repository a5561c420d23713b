/**
 * Issue 10, the Electron side of "the API confines project and import paths to what the user
 * chose": typed paths must lie under the app's roots; a folder picked in the system's file dialog
 * (choosePaths, answered in the main process) is allowed from then on. Plain Node has no dialog.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pathsUnder } from '../../src/api/service/path-policy';
import { createApiService } from '../../src/api/service/service';
import { withDialogPicks, type ShowOpenDialog } from '../../src/main/ipc';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-dialog-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('paths picked in a native dialog', () => {
  it('allows a picked folder outside the roots, and nothing the dialog did not return', async () => {
    const home = path.join(tmp, 'home');
    const picked = path.join(tmp, 'mnt', 'data');
    const other = path.join(tmp, 'mnt', 'other');
    await mkdir(home, { recursive: true });
    await mkdir(picked, { recursive: true });
    await mkdir(other, { recursive: true });
    await writeFile(path.join(picked, 'a.png'), '');
    const policy = pathsUnder([home]);
    const asked: Parameters<ShowOpenDialog>[0][] = [];
    let answer = { canceled: false, filePaths: [picked] };
    const api = withDialogPicks(
      createApiService({ stateDir: path.join(tmp, 'state'), paths: policy }),
      policy,
      async (o) => {
        asked.push(o);
        return answer;
      },
    );

    await expect(api.createProject({ path: path.join(picked, 'p'), name: 'P' })).rejects.toThrow(
      /outside the folders this workstation may use/,
    );
    expect(await api.choosePaths({ kind: 'folder', title: 'Project folder' })).toEqual([picked]);
    expect(asked[0]).toEqual({ title: 'Project folder', properties: ['openDirectory', 'createDirectory'] });
    const project = await api.createProject({ path: path.join(picked, 'p'), name: 'P' });
    expect(
      (await api.importImages(project.path, { paths: [picked], mode: 'reference' })).images,
    ).toHaveLength(1);
    await expect(api.createProject({ path: path.join(other, 'p'), name: 'O' })).rejects.toThrow(/outside/);
    await expect(
      api.createProject({ path: path.join(picked, '..', 'other', 'q'), name: 'Q' }),
    ).rejects.toThrow(/outside/);

    answer = { canceled: true, filePaths: [] };
    expect(await api.choosePaths({ kind: 'files' })).toBeNull();
    expect(asked[1]?.properties).toEqual(['openFile', 'multiSelections']);
    await expect(api.choosePaths({ kind: 'anything' } as never)).rejects.toThrow(/expected \{kind/);
  });

  it('plain Node (onemark serve) has no dialog: choosePaths answers null', async () => {
    const api = createApiService({ stateDir: path.join(tmp, 'state') });
    expect(await api.choosePaths({ kind: 'folder' })).toBeNull();
  });
});
