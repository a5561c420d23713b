/**
 * What the SVG overlay draws over the image: each landmark at its screen position (a dragged one
 * where the pointer has it) with its label laid out clear of the others (lib/labelLayout.ts), and
 * a scale bar when the pixel spacing is known.
 */
import { computed, type ComputedRef, type ShallowRef } from 'vue';
import type { Point } from '../../../api/contract/types';
import { layoutLabels, leaderEnd, type LabelPlacement } from '../lib/labelLayout';
import type { CornerstoneViewport } from './useCornerstoneViewport';

const LABEL_SIZE = 12;
/** The labels' font: the overlay draws with it and the layout measures with it. */
export const LABEL_FONT = `${LABEL_SIZE}px system-ui, sans-serif`;
/** Marker radii on screen (the circle's r; its 2 px stroke adds 1 outside). */
export const MARKER_RADIUS = 5;
export const ACTIVE_MARKER_RADIUS = 7;

export interface ViewerPoint {
  id: number;
  point: Point;
  color: string;
  label: string;
  /** Drawn as a hollow ring (e.g. a prediction that was corrected, or the template's reference). */
  hollow?: boolean;
  draggable?: boolean;
}

export interface ShownPoint extends ViewerPoint {
  /** Screen position (stage pixels). */
  s: Point;
}

export interface LabelledPoint extends ShownPoint {
  /** The label's box (stage pixels) and the baseline its text sits on. */
  box: LabelPlacement;
  baseline: number;
  /** From the marker's edge to the label, when the label had to move away from the marker. */
  leader: { x1: number; y1: number; x2: number; y2: number } | null;
}

export interface Overlay {
  shownPoints: ComputedRef<ShownPoint[]>;
  labelled: ComputedRef<LabelledPoint[]>;
  scaleBar: ComputedRef<{ px: number; label: string } | null>;
}

interface LabelMetrics {
  width: number;
  ascent: number;
  descent: number;
}

let measureContext: CanvasRenderingContext2D | null = null;
const measured = new Map<string, LabelMetrics>();

/** The box a label's text takes in LABEL_FONT, as the SVG text's bounding box reports it. */
function measureLabel(text: string): LabelMetrics {
  const known = measured.get(text);
  if (known) return known;
  measureContext ??= document.createElement('canvas').getContext('2d');
  // Without a 2D context (never in a browser): a typical sans-serif's proportions.
  const size = LABEL_SIZE;
  let m: LabelMetrics = { width: text.length * size * 0.6, ascent: size * 0.93, descent: size * 0.24 };
  if (measureContext) {
    measureContext.font = LABEL_FONT;
    const t = measureContext.measureText(text);
    // The font's ascent and descent, not the glyphs': SVG text boxes span the whole line.
    m = {
      width: t.width,
      ascent: t.fontBoundingBoxAscent || m.ascent,
      descent: t.fontBoundingBoxDescent || m.descent,
    };
  }
  measured.set(text, m);
  return m;
}

export interface OverlayInputs {
  points: () => ViewerPoint[];
  dragging: ShallowRef<{ id: number; point: Point } | null>;
  activeId: () => number | null | undefined;
  /** mm per original pixel, when known. */
  spacing: () => { x: number; y: number } | null | undefined;
  /** Without a spacing, draw the scale bar in image pixels rather than none. */
  pixelBar: () => boolean;
  /** The stage's size in pixels: labels stay inside it. */
  bounds: () => { width: number; height: number };
}

export function useOverlay(vp: CornerstoneViewport, inputs: OverlayInputs): Overlay {
  const { points, dragging, activeId, spacing, pixelBar, bounds } = inputs;
  const shownPoints = computed(() => {
    void vp.frame.value;
    const d = dragging.value;
    return points().map((p) => {
      const point = d && d.id === p.id ? d.point : p.point;
      return { ...p, point, s: vp.toCanvas(point) };
    });
  });

  const labelled = computed(() => {
    const shown = shownPoints.value;
    const active = activeId();
    const radius = (p: ShownPoint) => (p.id === active ? ACTIVE_MARKER_RADIUS : MARKER_RADIUS) + 1;
    const metrics = shown.map((p) => measureLabel(p.label));
    const visible = shown.map((p) => Number.isFinite(p.s.x) && Number.isFinite(p.s.y));
    const idx = shown.map((_, i) => i).filter((i) => visible[i]);
    const boxes = layoutLabels(
      idx.map((i) => ({
        x: shown[i].s.x,
        y: shown[i].s.y,
        radius: radius(shown[i]),
        width: metrics[i].width,
        height: metrics[i].ascent + metrics[i].descent,
      })),
      bounds(),
    );
    const byIndex = new Map(idx.map((i, k) => [i, boxes[k]]));
    return shown.map((p, i): LabelledPoint => {
      const box = byIndex.get(i) ?? { left: NaN, top: NaN, width: 0, height: 0, displaced: false };
      let leader: LabelledPoint['leader'] = null;
      if (box.displaced) {
        const end = leaderEnd(box, p.s.x, p.s.y);
        const len = Math.hypot(end.x - p.s.x, end.y - p.s.y) || 1;
        const r = radius(p);
        leader = {
          x1: p.s.x + ((end.x - p.s.x) / len) * r,
          y1: p.s.y + ((end.y - p.s.y) / len) * r,
          x2: end.x,
          y2: end.y,
        };
      }
      return { ...p, box, baseline: box.top + metrics[i].ascent, leader };
    });
  });

  /**
   * A scale bar of a round length (1, 2 or 5 × 10^k mm) about 100 screen pixels long; in image
   * pixels when the spacing is unknown and `pixelBar` asks for one.
   */
  const scaleBar = computed(() => {
    const s = spacing();
    const scale = vp.view.value.scale;
    if (!(scale > 0)) return null;
    const mm = !!s && s.x > 0;
    if (!mm && !pixelBar()) return null;
    const unitsPerScreenPx = mm ? s.x / scale : 1 / scale;
    const want = 100 * unitsPerScreenPx;
    const p = 10 ** Math.floor(Math.log10(want));
    let length =
      [1, 2, 5, 10]
        .map((k) => k * p)
        .filter((v) => v <= want * 1.2)
        .pop() ?? p;
    // Pixels come whole.
    if (!mm) length = Math.max(1, Math.round(length));
    const text = mm ? (length >= 1 ? String(length) : length.toPrecision(1)) : String(length);
    return { px: length / unitsPerScreenPx, label: `${text} ${mm ? 'mm' : 'px'}` };
  });

  return { shownPoints, labelled, scaleBar };
}
