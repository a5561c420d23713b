/**
 * Mouse on the viewer's stage: a click (not a drag, no modifier) places a landmark when placing;
 * a landmark's marker is dragged to move it. Pan, zoom and window/level drags stay Cornerstone's.
 */
import { shallowRef, type Ref, type ShallowRef } from 'vue';
import type { Point } from '../../../api/contract/types';
import { clampToImage, insideImage } from '../lib/imageGeometry';
import { stagePoint } from './stagePoint';
import type { CornerstoneViewport } from './useCornerstoneViewport';

export interface LandmarkDragEvents {
  place(point: Point): void;
  move(id: number, point: Point): void;
  select(id: number): void;
  /** The pointer moved during a drag (the loupe follows it). */
  pointer(s: Point): void;
}

export interface LandmarkDrag {
  /** The landmark being dragged and where it is now (original pixels). */
  dragging: ShallowRef<{ id: number; point: Point } | null>;
  onStageDown(e: MouseEvent): void;
  onStageUp(e: MouseEvent): void;
  onPointDown(e: MouseEvent, id: number, point: Point): void;
}

/** A press and release closer than this (screen pixels) is a click, not a pan. */
const CLICK_SLOP = 4;
/** A landmark released closer than this to where it was pressed has not moved. */
const MOVE_SLOP = 2;

export function useLandmarkDrag(
  vp: CornerstoneViewport,
  stage: Ref<HTMLDivElement | null>,
  placing: () => boolean,
  on: LandmarkDragEvents,
): LandmarkDrag {
  const dragging = shallowRef<{ id: number; point: Point } | null>(null);
  let down: { x: number; y: number; button: number; modified: boolean } | null = null;
  const local = (e: MouseEvent) => stagePoint(stage.value!, e);

  function onStageDown(e: MouseEvent): void {
    down = { ...local(e), button: e.button, modified: e.shiftKey || e.ctrlKey || e.altKey || e.metaKey };
  }

  function onStageUp(e: MouseEvent): void {
    const start = down;
    down = null;
    const image = vp.current.value;
    if (!start || !placing() || !image || start.button !== 0 || start.modified) return;
    const s = local(e);
    if (Math.hypot(s.x - start.x, s.y - start.y) >= CLICK_SLOP) return;
    const p = vp.toOriginal(s);
    const { originalWidth: w, originalHeight: h } = image;
    if (p && insideImage(p, w, h)) on.place(clampToImage(p, w, h));
  }

  function onPointDown(e: MouseEvent, id: number, point: Point): void {
    if (e.button !== 0) return;
    e.preventDefault();
    const start = local(e);
    dragging.value = { id, point };
    on.select(id);
    const move = (ev: MouseEvent) => {
      const p = vp.toOriginal(local(ev));
      const image = vp.current.value;
      if (p && image && dragging.value) {
        dragging.value = { id, point: clampToImage(p, image.originalWidth, image.originalHeight) };
      }
      on.pointer(local(ev));
    };
    const up = (ev: MouseEvent) => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      const d = dragging.value;
      dragging.value = null;
      const s = local(ev);
      if (d && Math.hypot(s.x - start.x, s.y - start.y) >= MOVE_SLOP) on.move(d.id, d.point);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }

  return { dragging, onStageDown, onStageUp, onPointDown };
}
