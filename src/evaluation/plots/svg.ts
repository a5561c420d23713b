/**
 * Just enough SVG to draw charts as strings: no DOM, no browser, the same text for the files we
 * write and for the rasteriser. One font family everywhere, the one the rasteriser ships with.
 */

export const FONT_FAMILY = 'DejaVu Sans, Verdana, sans-serif';

/** A colour-blind-safe cycle (Okabe–Ito) for series. */
export const SERIES_COLORS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Rounds coordinates so files stay small and diffs stable. */
export function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? n(v) : escapeXml(v!)}"`)
    .join('');
}

export function el(tag: string, a: Attrs, children?: string): string {
  return children === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children}</${tag}>`;
}

export function text(x: number, y: number, s: string, a: Attrs = {}): string {
  return el('text', { x, y, 'font-size': 12, fill: '#222', ...a }, escapeXml(s));
}

export function line(x1: number, y1: number, x2: number, y2: number, a: Attrs = {}): string {
  return el('line', { x1, y1, x2, y2, stroke: '#222', 'stroke-width': 1, ...a });
}

export function svgDocument(width: number, height: number, body: string, title?: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="${escapeXml(FONT_FAMILY)}">` +
    (title ? `<title>${escapeXml(title)}</title>` : '') +
    el('rect', { x: 0, y: 0, width, height, fill: 'white' }) +
    body +
    '</svg>\n'
  );
}

/** "Nice" tick values covering [min, max] (1-2-5 steps). */
export function niceTicks(min: number, max: number, target = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Math.round(v / step) * step);
  return ticks;
}

export function tickLabel(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A linear map from data to pixels. */
export function scale(d0: number, d1: number, p0: number, p1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (p1 - p0) / (d1 - d0);
  return (v) => p0 + (v - d0) * k;
}

/** A legend of coloured swatches, top-left at (x, y). */
export function legend(
  x: number,
  y: number,
  items: { label: string; color: string; kind?: 'line' | 'box' }[],
): string {
  return items
    .map((it, i) => {
      const yy = y + i * 18;
      const sw =
        it.kind === 'line'
          ? line(x, yy + 6, x + 18, yy + 6, { stroke: it.color, 'stroke-width': 2.5 })
          : el('rect', { x, y: yy, width: 14, height: 12, fill: it.color });
      return sw + text(x + 24, yy + 11, it.label);
    })
    .join('');
}
