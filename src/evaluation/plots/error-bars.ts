/**
 * Per-landmark error bars: the mean radial error of each landmark with ±1 std whiskers, one bar
 * per method when several are compared, and a dashed line at a reference radius (2 mm).
 */
import { el, legend, line, niceTicks, scale, SERIES_COLORS, svgDocument, text, tickLabel } from './svg';

export interface BarSeries {
  label: string;
  color?: string;
  /** One entry per landmark, in the same order for every series. */
  values: { landmarkId: number; mean: number; std: number }[];
}

export interface ErrorBarOptions {
  unit: 'mm' | 'px';
  title?: string;
  /** Dashed horizontal line, e.g. the 2 mm SDR radius. */
  referenceRadius?: number;
}

export function errorBarsSvg(series: readonly BarSeries[], opts: ErrorBarOptions): string {
  if (series.length === 0) throw new Error('error bar plot needs at least one series');
  const ids = series[0].values.map((v) => v.landmarkId);
  const groupW = Math.max(28, 14 * series.length + 12);
  const left = 64;
  const right = 20;
  const top = series.length > 1 ? 44 + 18 * series.length : 44;
  const bottom = 48;
  const width = Math.max(560, left + right + groupW * ids.length);
  const height = top + 260 + bottom;

  let yMax = 0;
  for (const s of series)
    for (const v of s.values)
      if (Number.isFinite(v.mean)) yMax = Math.max(yMax, v.mean + (Number.isFinite(v.std) ? v.std : 0));
  if (opts.referenceRadius) yMax = Math.max(yMax, opts.referenceRadius);
  yMax = yMax > 0 ? yMax * 1.08 : 1;
  const ticks = niceTicks(0, yMax);
  yMax = Math.max(yMax, ticks[ticks.length - 1]);
  const y = scale(0, yMax, top + 260, top);
  const plotW = width - left - right;
  const gw = plotW / ids.length;
  const barW = Math.min(22, (gw - 8) / series.length);

  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(line(left, y(t), width - right, y(t), { stroke: '#e3e3e3' }));
    parts.push(text(left - 6, y(t) + 4, tickLabel(t), { 'text-anchor': 'end', 'font-size': 11 }));
  }
  series.forEach((s, si) => {
    const color = s.color ?? SERIES_COLORS[si % SERIES_COLORS.length];
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v.mean)) return;
      const x0 = left + i * gw + (gw - barW * series.length) / 2 + si * barW;
      parts.push(
        el('rect', {
          x: x0 + 1,
          y: y(v.mean),
          width: barW - 2,
          height: y(0) - y(v.mean),
          fill: color,
          'fill-opacity': 0.85,
        }),
      );
      if (Number.isFinite(v.std) && v.std > 0) {
        const cx = x0 + barW / 2;
        const lo = Math.max(0, v.mean - v.std);
        parts.push(line(cx, y(lo), cx, y(v.mean + v.std), { stroke: '#333' }));
        parts.push(
          line(cx - barW / 4, y(v.mean + v.std), cx + barW / 4, y(v.mean + v.std), { stroke: '#333' }),
        );
        parts.push(line(cx - barW / 4, y(lo), cx + barW / 4, y(lo), { stroke: '#333' }));
      }
    });
  });
  ids.forEach((id, i) =>
    parts.push(
      text(left + i * gw + gw / 2, top + 260 + 16, String(id), { 'text-anchor': 'middle', 'font-size': 11 }),
    ),
  );
  if (opts.referenceRadius) {
    const ry = y(opts.referenceRadius);
    parts.push(line(left, ry, width - right, ry, { stroke: '#c00', 'stroke-dasharray': '6 4' }));
    // A white halo keeps the label readable where it crosses a bar.
    parts.push(
      text(left + 4, ry - 4, `${opts.referenceRadius} ${opts.unit}`, {
        'font-size': 11,
        fill: '#c00',
        stroke: 'white',
        'stroke-width': 3,
        'paint-order': 'stroke',
      }),
    );
  }
  parts.push(line(left, top + 260, width - right, top + 260));
  parts.push(line(left, top, left, top + 260));
  parts.push(text(left + plotW / 2, height - 10, 'Landmark', { 'text-anchor': 'middle' }));
  parts.push(
    text(16, top + 130, `Radial error (${opts.unit}), mean ± std`, {
      'text-anchor': 'middle',
      transform: `rotate(-90 16 ${top + 130})`,
    }),
  );
  parts.push(
    text(left, 22, opts.title ?? 'Radial error per landmark', { 'font-size': 15, 'font-weight': 'bold' }),
  );
  if (series.length > 1) {
    parts.push(
      legend(
        left,
        34,
        series.map((s, i) => ({ label: s.label, color: s.color ?? SERIES_COLORS[i % SERIES_COLORS.length] })),
      ),
    );
  }
  return svgDocument(width, height, parts.join(''), opts.title ?? 'Radial error per landmark');
}
