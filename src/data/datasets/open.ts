/** Open a dataset folder, recognising the ISBI 2015 layout and otherwise treating it as a plain folder. */
import { isIsbi2015Root, openIsbi2015, type IsbiOptions } from './isbi2015';
import { openFolderDataset, type FolderDatasetOptions } from './folder';
import type { Dataset } from './types';

export type OpenDatasetOptions = IsbiOptions & FolderDatasetOptions & { kind?: 'isbi2015' | 'folder' };

export async function openDataset(path: string, opts: OpenDatasetOptions = {}): Promise<Dataset> {
  const kind = opts.kind ?? ((await isIsbi2015Root(path)) ? 'isbi2015' : 'folder');
  return kind === 'isbi2015' ? openIsbi2015(path, opts) : openFolderDataset(path, opts);
}
