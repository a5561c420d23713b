import type { Point } from '../../../api/contract/types';

/** A mouse event's position in the viewer's stage (the element the overlay and canvas fill). */
export function stagePoint(stage: HTMLElement, e: MouseEvent): Point {
  const r = stage.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}
