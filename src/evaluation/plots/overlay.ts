/**
 * Ground truth vs prediction drawn on the image itself: the radiograph is downscaled (area
 * average), windowed to 8 bits, embedded as a PNG data URI, and markers are placed at pixel
 * centres ((x + 0.5) · scale, since pixel x covers [x, x + 1) on the display).
 */
import type { GrayImage, LandmarkDef, Point } from '../../data';
import { encodePng, pngDataUri } from './png';
import { el, legend, line, svgDocument, text } from './svg';

export interface OverlayPoint {
  landmarkId: number;
  gt: Point | null;
  pred: Point | null;
}

export interface OverlayOptions {
  /** Longest side of the displayed image in pixels (default 900). */
  maxSize?: number;
  title?: string;
  landmarks?: readonly LandmarkDef[];
}

const GT_COLOR = '#00d26a';
const PRED_COLOR = '#ff3b30';
const LINK_COLOR = '#ffd60a';

/** Box-filter downscale of a gray image to w×h, then a 0.5–99.5 percentile window to 8 bits. */
export function downscaleTo8Bit(image: GrayImage, w: number, h: number): Uint8Array {
  const { width: W, height: H, data } = image;
  const sum = new Float64Array(w * h);
  const cnt = new Uint32Array(w * h);
  const xs = new Uint32Array(W);
  for (let x = 0; x < W; x++) xs[x] = Math.min(w - 1, Math.floor((x * w) / W));
  for (let y = 0; y < H; y++) {
    const oy = Math.min(h - 1, Math.floor((y * h) / H)) * w;
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const o = oy + xs[x];
      sum[o] += data[row + x];
      cnt[o]++;
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = cnt[i] ? sum[i] / cnt[i] : 0;
  const sorted = Float64Array.from(sum).sort();
  const lo = sorted[Math.floor(0.005 * (sorted.length - 1))];
  const hi = sorted[Math.ceil(0.995 * (sorted.length - 1))];
  const k = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < sum.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((sum[i] - lo) * k)));
  return out;
}

export function overlaySvg(
  image: GrayImage,
  points: readonly OverlayPoint[],
  opts: OverlayOptions = {},
): string {
  const maxSize = opts.maxSize ?? 900;
  const s = Math.min(1, maxSize / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * s));
  const h = Math.max(1, Math.round(image.height * s));
  // The displayed scale follows the rounded size so markers land on the same pixels.
  const sx = w / image.width;
  const sy = h / image.height;
  const png = encodePng(w, h, 1, downscaleTo8Bit(image, w, h));
  const top = 30;
  const bottom = 30;
  const parts: string[] = [
    el('image', {
      x: 0,
      y: top,
      width: w,
      height: h,
      'xlink:href': pngDataUri(png),
      preserveAspectRatio: 'none',
    }),
  ];
  const r = Math.max(3, Math.min(8, w / 120));
  const names = new Map((opts.landmarks ?? []).map((l) => [l.id, l.abbreviation ?? String(l.id)]));
  for (const p of points) {
    const g = p.gt ? { x: (p.gt.x + 0.5) * sx, y: top + (p.gt.y + 0.5) * sy } : null;
    const q = p.pred ? { x: (p.pred.x + 0.5) * sx, y: top + (p.pred.y + 0.5) * sy } : null;
    if (g && q) parts.push(line(g.x, g.y, q.x, q.y, { stroke: LINK_COLOR, 'stroke-width': 1.2 }));
    if (g)
      parts.push(el('circle', { cx: g.x, cy: g.y, r, fill: 'none', stroke: GT_COLOR, 'stroke-width': 2 }));
    if (q) {
      parts.push(line(q.x - r, q.y - r, q.x + r, q.y + r, { stroke: PRED_COLOR, 'stroke-width': 2 }));
      parts.push(line(q.x - r, q.y + r, q.x + r, q.y - r, { stroke: PRED_COLOR, 'stroke-width': 2 }));
    }
    const at = g ?? q;
    if (at) {
      parts.push(
        text(at.x + r + 2, at.y - r, names.get(p.landmarkId) ?? String(p.landmarkId), {
          'font-size': 11,
          fill: 'white',
          stroke: 'black',
          'stroke-width': 0.4,
        }),
      );
    }
  }
  parts.push(
    text(4, 20, opts.title ?? image.source.path.split(/[\\/]/).pop() ?? '', {
      'font-size': 14,
      'font-weight': 'bold',
    }),
  );
  const ly = top + h + 8;
  parts.push(el('circle', { cx: 10, cy: ly + 7, r: 5, fill: 'none', stroke: GT_COLOR, 'stroke-width': 2 }));
  parts.push(text(20, ly + 11, 'ground truth'));
  parts.push(line(110, ly + 2, 120, ly + 12, { stroke: PRED_COLOR, 'stroke-width': 2 }));
  parts.push(line(110, ly + 12, 120, ly + 2, { stroke: PRED_COLOR, 'stroke-width': 2 }));
  parts.push(text(126, ly + 11, 'prediction'));
  parts.push(legend(210, ly + 1, [{ label: 'error', color: LINK_COLOR, kind: 'line' }]));
  return svgDocument(w, top + h + bottom, parts.join(''), opts.title);
}
