/**
 * ISBI 2015 annotation files: the first N lines are `x,y` in original pixels, landmark 1 first; the
 * challenge's files add classification labels after them, which are ignored.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DataError, unreadableFileError } from '../errors';
import type { Point } from '../types';
import { formatNumber, parseFiniteNumber } from './numbers';

export const ISBI_LANDMARK_COUNT = 19;

/** Parse an ISBI txt; throws a DataError naming the file and line. */
export function parseIsbiTxt(text: string, path: string, count: number = ISBI_LANDMARK_COUNT): Point[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    const lineNo = i + 1;
    const t = line?.trim() ?? '';
    const parts = t === '' ? [] : t.split(/\s*[,;\s]\s*/);
    if (parts.length !== 2) {
      // Fewer coordinate lines than landmarks: say so plainly instead of "bad line 18".
      throw new DataError(
        path,
        `wrong number of landmarks: expected ${count} lines 'x,y', found ${i}` +
          (line === undefined ? ' (file ends)' : ` (line ${lineNo} is '${t.slice(0, 40)}')`),
        { kind: 'landmarks' },
      );
    }
    const x = parseFiniteNumber(parts[0], `x of landmark ${lineNo}`);
    if (!x.ok) throw new DataError(path, x.why, { line: lineNo, kind: 'landmarks' });
    const y = parseFiniteNumber(parts[1], `y of landmark ${lineNo}`);
    if (!y.ok) throw new DataError(path, y.why, { line: lineNo, kind: 'landmarks' });
    points.push({ x: x.value, y: y.value });
  }
  return points;
}

export async function readIsbiTxt(path: string, count: number = ISBI_LANDMARK_COUNT): Promise<Point[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw unreadableFileError(path, e, 'landmarks');
  }
  return parseIsbiTxt(text, path, count);
}

/** One `x,y` line per landmark. The format has no way to say "missing", so a missing point is an error. */
export function formatIsbiTxt(points: ReadonlyArray<Point | null>, path = 'ISBI txt'): string {
  return (
    points
      .map((p, i) => {
        if (!p)
          throw new DataError(
            path,
            `landmark ${i + 1} is missing: the ISBI txt format cannot store missing landmarks`,
            { kind: 'landmarks' },
          );
        return `${formatNumber(p.x)},${formatNumber(p.y)}`;
      })
      .join('\n') + '\n'
  );
}

export async function writeIsbiTxt(path: string, points: ReadonlyArray<Point | null>): Promise<void> {
  await writeFile(path, formatIsbiTxt(points, path), 'utf8');
}
