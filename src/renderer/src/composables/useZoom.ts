/**
 * The viewer's camera: fit, zoom by a factor (keys, buttons) or by the wheel about the cursor, 1:1,
 * and centring on a landmark. Remembers the fitted scale, so "zoom to a landmark" and the zoom
 * limits are relative to it.
 */
import type { Types as csTypes } from '@cornerstonejs/core';
import { ref, type Ref } from 'vue';
import type { Point } from '../../../api/contract/types';
import { originalToWorld } from '../lib/imageGeometry';
import type { CornerstoneViewport } from './useCornerstoneViewport';

export interface Zoom {
  /** Screen pixels per original pixel of the fitted view (taken at the first render after a fit). */
  fitScale: Ref<number>;
  fit(): void;
  /** Zoom by `factor`; about the stage point `at` (it stays where it is on screen), else the centre. */
  zoomBy(factor: number, at?: Point): void;
  /** One wheel notch is one step of WHEEL_STEP about the cursor. */
  onWheel(e: WheelEvent, at: Point): void;
  oneToOne(): void;
  zoomTo(p: Point, minZoom?: number): void;
  /** + / - zoom, 0 fits, 1 shows 1:1; false for any other key. */
  zoomKey(key: string): boolean;
}

/** Zoom factor of one wheel notch: fit to 1:1 of a radiograph is a handful of notches, not dozens. */
export const WHEEL_STEP = 1.25;
/** How far out and in the wheel and keys go, relative to the fitted view and in screen px per pixel. */
const MIN_OF_FIT = 0.25;
const MAX_SCALE = 64;
/** Pixel-mode deltas at least this large are a mouse wheel's notch; smaller ones a trackpad's glide. */
const NOTCH_PX = 50;

/** Notches a wheel event stands for: one per event at most, a fraction for a trackpad's small deltas. */
export function wheelNotches(e: Pick<WheelEvent, 'deltaY' | 'deltaMode'>): number {
  // Browsers report a notch as 100 or 120 px (Chromium), 53 px (older Linux builds), 3 lines
  // (Firefox) or a page: count each event as one notch whatever its size.
  const n =
    e.deltaMode === 1
      ? e.deltaY / 3
      : e.deltaMode === 2
        ? e.deltaY
        : Math.abs(e.deltaY) >= NOTCH_PX
          ? Math.sign(e.deltaY)
          : e.deltaY / NOTCH_PX;
  return Math.max(-1, Math.min(1, n));
}

export function useZoom(vp: CornerstoneViewport): Zoom {
  const fitScale = ref(1);
  let fitPending = true;

  const refit = () => (fitPending = true);
  vp.onImage(refit);
  vp.onResize(refit);
  vp.onSync(() => {
    if (fitPending && vp.view.value.scale > 0) {
      fitScale.value = vp.view.value.scale;
      fitPending = false;
    }
  });

  function fit(): void {
    const viewport = vp.viewport();
    if (!viewport) return;
    fitPending = true;
    viewport.resetCamera();
    viewport.render();
  }

  // Zoom through the camera's parallelScale, as Cornerstone's ZoomTool does: setZoom needs the
  // initial camera, which the CPU rendering path (no WebGL) does not keep.
  function zoomBy(factor: number, at?: Point): void {
    const viewport = vp.viewport();
    if (!viewport) return;
    const cam = viewport.getCamera();
    const ps = cam.parallelScale;
    if (!ps || !(factor > 0)) return;
    const scale = vp.view.value.scale;
    if (scale > 0) {
      const target = Math.min(
        Math.max(scale * factor, fitScale.value * MIN_OF_FIT),
        Math.max(MAX_SCALE, scale),
      );
      factor = target / scale;
    }
    if (!at || !cam.focalPoint || !cam.position) {
      viewport.setCamera({ parallelScale: ps / factor });
      viewport.render();
      return;
    }
    // The world point under the cursor stays put: its distance to the focal point (the canvas
    // centre) shrinks by the zoom factor, so the focal point moves towards it.
    const w = viewport.canvasToWorld([at.x, at.y]);
    const f = cam.focalPoint;
    const d = [0, 1, 2].map((k) => (w[k] - f[k]) * (1 - 1 / factor));
    viewport.setCamera({
      parallelScale: ps / factor,
      focalPoint: [f[0] + d[0], f[1] + d[1], f[2] + d[2]] as csTypes.Point3,
      position: [cam.position[0] + d[0], cam.position[1] + d[1], cam.position[2] + d[2]] as csTypes.Point3,
    });
    viewport.render();
  }

  function onWheel(e: WheelEvent, at: Point): void {
    e.preventDefault();
    const n = wheelNotches(e);
    if (n !== 0) zoomBy(WHEEL_STEP ** -n, at);
  }

  function oneToOne(): void {
    if (vp.view.value.scale > 0) zoomBy(1 / vp.view.value.scale);
  }

  /** Centres `p` (original pixels) and zooms in to at least `minZoom` times the fitted size. */
  function zoomTo(p: Point, minZoom = 3): void {
    const viewport = vp.viewport();
    const geometry = vp.geometry();
    if (!viewport || !geometry) return;
    const w = originalToWorld(p, geometry) as csTypes.Point3;
    const cam = viewport.getCamera();
    if (!cam.focalPoint || !cam.position) return;
    const d = [w[0] - cam.focalPoint[0], w[1] - cam.focalPoint[1], w[2] - cam.focalPoint[2]];
    viewport.setCamera({
      focalPoint: w,
      position: [cam.position[0] + d[0], cam.position[1] + d[1], cam.position[2] + d[2]] as csTypes.Point3,
    });
    const want = fitScale.value * minZoom;
    const scale = vp.view.value.scale;
    if (scale > 0 && scale < want) zoomBy(want / scale);
    else viewport.render();
  }

  function zoomKey(key: string): boolean {
    if (key === '+' || key === '=') zoomBy(1.25);
    else if (key === '-' || key === '_') zoomBy(0.8);
    else if (key === '0') fit();
    else if (key === '1') oneToOne();
    else return false;
    return true;
  }

  return { fitScale, fit, zoomBy, onWheel, oneToOne, zoomTo, zoomKey };
}
