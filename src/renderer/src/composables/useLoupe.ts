/**
 * The magnifier beside the cursor: the viewport's canvas around the pointer, ×3, with the
 * landmarks drawn into it and a crosshair, redrawn on every render and pointer move.
 */
import { ref, watch, type Ref } from 'vue';
import type { Point } from '../../../api/contract/types';
import { stagePoint } from './stagePoint';
import type { CornerstoneViewport } from './useCornerstoneViewport';
import type { ShownPoint } from './useOverlay';

export interface Loupe {
  enabled: Ref<boolean>;
  canvas: Ref<HTMLCanvasElement | null>;
  /** The pointer in stage pixels; null while it is outside. */
  cursor: Ref<Point | null>;
  follow(s: Point): void;
  onHover(e: MouseEvent): void;
  onLeave(): void;
}

/** Screen pixels around the cursor the loupe shows (each side). */
const LOUPE_RADIUS = 24;

export function useLoupe(
  vp: CornerstoneViewport,
  stage: Ref<HTMLDivElement | null>,
  points: () => ShownPoint[],
  /** What the marks depend on besides the camera: redrawn when it changes. */
  marks: () => unknown,
): Loupe {
  const enabled = ref(true);
  const canvas = ref<HTMLCanvasElement | null>(null);
  const cursor = ref<Point | null>(null);

  function draw(): void {
    const l = canvas.value;
    const c = cursor.value;
    const viewport = vp.viewport();
    if (!l || !c || !enabled.value || !viewport) return;
    const src = viewport.getCanvas();
    const ctx = l.getContext('2d');
    if (!ctx || !src) return;
    const dpr = src.width / Math.max(1, src.clientWidth);
    const r = LOUPE_RADIUS;
    const k = l.width / (2 * r);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, l.width, l.height);
    ctx.drawImage(src, (c.x - r) * dpr, (c.y - r) * dpr, 2 * r * dpr, 2 * r * dpr, 0, 0, l.width, l.height);
    for (const p of points()) {
      const x = (p.s.x - c.x) * k + l.width / 2;
      const y = (p.s.y - c.y) * k + l.height / 2;
      if (x < -10 || y < -10 || x > l.width + 10 || y > l.height + 10) continue;
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = p.color;
      ctx.stroke();
    }
    ctx.strokeStyle = '#00e0ff';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(l.width / 2, 0);
    ctx.lineTo(l.width / 2, l.height);
    ctx.moveTo(0, l.height / 2);
    ctx.lineTo(l.width, l.height / 2);
    ctx.stroke();
  }

  function follow(s: Point): void {
    cursor.value = s;
    draw();
  }

  vp.onSync(draw);
  watch(marks, () => queueMicrotask(draw), { deep: true });

  return {
    enabled,
    canvas,
    cursor,
    follow,
    onHover: (e) => follow(stagePoint(stage.value!, e)),
    onLeave: () => (cursor.value = null),
  };
}
