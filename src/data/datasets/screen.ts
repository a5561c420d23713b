/**
 * Screening a batch before a long job: one unreadable file among 150 should cost that file, not
 * the other 149. Each image is decoded once and dropped (never all held at once), so the cost is
 * one decode per image and the memory one image.
 */
import { formatProblem, toProblem, type DataProblem } from '../errors';
import { mapLimit } from './dataset';
import type { Dataset, DatasetItem } from './types';

export interface ScreenResult {
  readable: DatasetItem[];
  skipped: { item: DatasetItem; problem: DataProblem }[];
}

export async function screenImages(
  ds: Dataset,
  items: readonly DatasetItem[],
  onProgress?: (done: number, total: number) => void,
): Promise<ScreenResult> {
  let done = 0;
  const verdicts = await mapLimit(items, 2, async (item) => {
    try {
      await ds.loadImage(item);
      return null;
    } catch (e) {
      return toProblem(e, 'image', item.imagePath, item.id);
    } finally {
      onProgress?.(++done, items.length);
    }
  });
  const readable: DatasetItem[] = [];
  const skipped: ScreenResult['skipped'] = [];
  items.forEach((item, i) => {
    const problem = verdicts[i];
    if (problem) skipped.push({ item, problem });
    else readable.push(item);
  });
  return { readable, skipped };
}

/** "skipped 2 of 150 image(s) that cannot be read:" and one `file: problem` line each. */
export function describeSkipped(result: ScreenResult, total: number): string {
  return [
    `skipped ${result.skipped.length} of ${total} image(s) that cannot be read:`,
    ...result.skipped.map((s) => `  ${formatProblem(s.problem)}`),
  ].join('\n');
}
