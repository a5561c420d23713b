/**
 * Cumulative distribution of radial errors: for each x, the share of errors ≤ x. The SDR radii
 * are drawn as dashed lines; SDR is the share strictly below r, i.e. the curve's value just left
 * of the line (they differ only when errors fall exactly on r).
 */
import { el, legend, line, n, niceTicks, scale, SERIES_COLORS, svgDocument, text, tickLabel } from './svg';

export interface CdfSeries {
  label: string;
  color?: string;
  values: readonly number[];
}

export interface CdfOptions {
  unit: 'mm' | 'px';
  radii?: readonly number[];
  title?: string;
  /** Right end of the x axis; default: the pooled 99th percentile, at least the largest radius. */
  xMax?: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

export function cdfSvg(series: readonly CdfSeries[], opts: CdfOptions): string {
  if (series.length === 0) throw new Error('CDF plot needs at least one series');
  const radii = opts.radii ?? [];
  const pooled = Float64Array.from(series.flatMap((s) => [...s.values].filter(Number.isFinite))).sort();
  let xMax = opts.xMax ?? Math.max(quantile(pooled, 0.99), ...radii.map((r) => r * 1.25), 1);
  // End the axis on a tick so the last label sits at the corner.
  const step0 = niceTicks(0, xMax, 8);
  const step = step0.length > 1 ? step0[1] - step0[0] : xMax;
  xMax = Math.ceil(xMax / step - 1e-9) * step;
  const xt = niceTicks(0, xMax, 8);

  const left = 60;
  const right = 24;
  const top = 44;
  const plotH = 300;
  const plotW = 520;
  const legendH = 18 * series.length + 8;
  const width = left + plotW + right;
  const height = top + plotH + 48 + legendH;
  const x = scale(0, xMax, left, left + plotW);
  const y = scale(0, 1, top + plotH, top);

  const parts: string[] = [];
  for (const t of xt) {
    parts.push(line(x(t), top, x(t), top + plotH, { stroke: '#eee' }));
    parts.push(text(x(t), top + plotH + 16, tickLabel(t), { 'text-anchor': 'middle', 'font-size': 11 }));
  }
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(line(left, y(t), left + plotW, y(t), { stroke: '#eee' }));
    parts.push(text(left - 6, y(t) + 4, `${Math.round(t * 100)}`, { 'text-anchor': 'end', 'font-size': 11 }));
  }
  radii.forEach((r, i) => {
    if (r > xMax) return;
    parts.push(line(x(r), top, x(r), top + plotH, { stroke: '#888', 'stroke-dasharray': '4 3' }));
    // Close radii (2, 2.5, 3 mm on a 30 mm axis) would overprint: stagger their labels.
    parts.push(text(x(r) + 2, top + 10 + (i % 3) * 11, `${r}`, { 'font-size': 10, fill: '#666' }));
  });
  series.forEach((s, si) => {
    const color = s.color ?? SERIES_COLORS[si % SERIES_COLORS.length];
    const v = Float64Array.from([...s.values].filter(Number.isFinite)).sort();
    if (v.length === 0) return;
    // Step function: jumps at each value; clipped at xMax so outliers do not stretch the axis.
    const pts: string[] = [`${n(x(0))},${n(y(0))}`];
    for (let i = 0; i < v.length; i++) {
      if (v[i] > xMax) break;
      // Several equal values make one jump.
      if (i + 1 < v.length && v[i + 1] === v[i]) continue;
      pts.push(`${n(x(v[i]))},${n(y(prevFrac(v, i)))}`, `${n(x(v[i]))},${n(y((i + 1) / v.length))}`);
    }
    const last = countAtMost(v, xMax) / v.length;
    pts.push(`${n(x(xMax))},${n(y(last))}`);
    parts.push(el('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
  });
  parts.push(line(left, top + plotH, left + plotW, top + plotH));
  parts.push(line(left, top, left, top + plotH));
  parts.push(
    text(left + plotW / 2, top + plotH + 36, `Radial error (${opts.unit})`, { 'text-anchor': 'middle' }),
  );
  parts.push(
    text(16, top + plotH / 2, 'Errors ≤ x (%)', {
      'text-anchor': 'middle',
      transform: `rotate(-90 16 ${top + plotH / 2})`,
    }),
  );
  parts.push(
    text(left, 22, opts.title ?? 'Cumulative distribution of radial errors', {
      'font-size': 15,
      'font-weight': 'bold',
    }),
  );
  parts.push(
    legend(
      left,
      top + plotH + 48,
      series.map((s, i) => ({
        label: s.label,
        color: s.color ?? SERIES_COLORS[i % SERIES_COLORS.length],
        kind: 'line' as const,
      })),
    ),
  );
  return svgDocument(width, height, parts.join(''), opts.title ?? 'Cumulative distribution of radial errors');
}

/** Share of values strictly before index i's value (the curve's level before the jump at v[i]). */
function prevFrac(v: Float64Array, i: number): number {
  let j = i;
  while (j > 0 && v[j - 1] === v[i]) j--;
  return j / v.length;
}

function countAtMost(v: Float64Array, x: number): number {
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
