/** What C-F2's fine stage does to the coarse answers, whichever its form (FM-OSD's matcher or a cascade level). */
import type { Point } from '../../data/types';
import type { ImageRef } from '../../runs/imageStack';
import type { StageMeter } from '../../runs/progress';

/** One image's fine answers (original pixels). */
export interface Refined {
  points: (Point | null)[];
  /** Per landmark: the fine stage's confidence, or null where it kept the coarse point. */
  confidence: (number | null)[];
}

export interface FineRefiner {
  /** Fine answers for `images` given the coarse ones (original pixels; null: no such landmark). */
  refineAll(images: readonly ImageRef[], coarse: (Point | null)[][], meter?: StageMeter): Promise<Refined[]>;
  dispose(): void;
}
