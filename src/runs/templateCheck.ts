/**
 * Checks on the one label a one-shot run learns from. A point outside the template image (a
 * negative coordinate, a typo of 99999, a file of another image's size) would be trained on as
 * if it were right, and every prediction would inherit the mistake.
 */
import type { LandmarkSet, Point } from '../data/types';

export interface TemplateProblem {
  landmarkId: number;
  name: string;
  point: Point;
}

/** Points that do not lie on the image: outside [0, width) × [0, height) (pixel centres at .5). */
export function pointsOutsideImage(
  points: readonly (Point | null)[],
  landmarkSet: LandmarkSet,
  size: { width: number; height: number },
): TemplateProblem[] {
  const out: TemplateProblem[] = [];
  points.forEach((p, j) => {
    if (!p) return;
    const inside =
      Number.isFinite(p.x) &&
      Number.isFinite(p.y) &&
      p.x >= 0 &&
      p.y >= 0 &&
      p.x <= size.width &&
      p.y <= size.height;
    if (!inside) {
      const lm = landmarkSet.landmarks[j];
      out.push({ landmarkId: lm?.id ?? j + 1, name: lm?.name ?? `landmark ${j + 1}`, point: p });
    }
  });
  return out;
}

/** One sentence naming the source, the image size and every bad point (the first five). */
export function describeOutside(
  source: string,
  templateId: string,
  size: { width: number; height: number },
  problems: readonly TemplateProblem[],
): string {
  const shown = problems
    .slice(0, 5)
    .map((q) => `${q.landmarkId} ${q.name} at (${q.point.x}, ${q.point.y})`)
    .join('; ');
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  return `${source}: ${problems.length} landmark(s) of template ${templateId} lie outside its ${size.width}×${size.height} image: ${shown}${more}`;
}
