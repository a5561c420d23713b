/**
 * Where each landmark's label goes on screen so that no two labels overlap and none hides another
 * landmark's marker: greedy placement, crowded markers first, over rings of candidate positions
 * around the marker (8 beside it, then 16 per ring further out). A label that had to leave the
 * first ring is `displaced` and gets a leader line to its marker. Screen pixels throughout; kept
 * apart from the viewer so it can be tested without a DOM.
 */

export interface LabelRequest {
  /** The marker's centre on screen. */
  x: number;
  y: number;
  /** The marker's radius on screen, stroke included. */
  radius: number;
  /** The label's box size. */
  width: number;
  height: number;
}

export interface LabelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface LabelPlacement extends LabelBox {
  displaced: boolean;
}

export interface LayoutOptions {
  /** Free space kept between a label and its marker, and around every label. */
  gap?: number;
  /** Distance between rings of candidates. */
  ringStep?: number;
  /** Rings beyond the first one before giving up on a free place. */
  extraRings?: number;
}

/** Unit directions of the first ring, most preferred first: right-above is where labels sat before. */
const FIRST_RING: [number, number][] = [
  [1, -1],
  [1, 0],
  [1, 1],
  [-1, -1],
  [-1, 0],
  [-1, 1],
  [0, -1],
  [0, 1],
];

/** 16 directions, right first, for the rings further out. */
const OUTER_RING: [number, number][] = Array.from({ length: 16 }, (_, i) => {
  const a = (i * Math.PI) / 8;
  return [Math.round(Math.cos(a) * 1000) / 1000, Math.round(-Math.sin(a) * 1000) / 1000];
});

/**
 * The box touching the point at distance `d` from the marker in direction (dx, dy): its side (or
 * corner, diagonally) facing the marker sits on that point.
 */
function boxAt(r: LabelRequest, dx: number, dy: number, d: number): LabelBox {
  const norm = Math.hypot(dx, dy) || 1;
  const px = r.x + (dx / norm) * d;
  const py = r.y + (dy / norm) * d;
  const ux = dx / norm;
  const uy = dy / norm;
  const left = ux > 0.3 ? px : ux < -0.3 ? px - r.width : px - r.width / 2;
  const top = uy > 0.3 ? py : uy < -0.3 ? py - r.height : py - r.height / 2;
  return { left, top, width: r.width, height: r.height };
}

function overlapArea(a: LabelBox, b: LabelBox, pad: number): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left) + pad;
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top) + pad;
  return w > 0 && h > 0 ? w * h : 0;
}

function outside(b: LabelBox, bounds: { width: number; height: number }): number {
  const over =
    Math.max(0, -b.left) +
    Math.max(0, b.left + b.width - bounds.width) +
    Math.max(0, -b.top) +
    Math.max(0, b.top + b.height - bounds.height);
  return over * Math.max(b.width, b.height);
}

/** Places every label; the result is in the order of `requests`. */
export function layoutLabels(
  requests: readonly LabelRequest[],
  bounds: { width: number; height: number },
  options: LayoutOptions = {},
): LabelPlacement[] {
  const gap = options.gap ?? 3;
  const step = options.ringStep ?? 14;
  const rings = 1 + (options.extraRings ?? 5);
  const markers: LabelBox[] = requests.map((r) => ({
    left: r.x - r.radius,
    top: r.y - r.radius,
    width: 2 * r.radius,
    height: 2 * r.radius,
  }));
  // Crowded markers first: they have the fewest free places, and a lone one finds room anyway.
  const reach = (r: LabelRequest) => r.radius + gap + r.width + step;
  const crowding = requests.map(
    (r, i) =>
      requests.filter((o, j) => j !== i && Math.hypot(o.x - r.x, o.y - r.y) < reach(r) + reach(o)).length,
  );
  const order = requests.map((_, i) => i).sort((a, b) => crowding[b] - crowding[a] || a - b);
  const placed: (LabelPlacement | undefined)[] = new Array(requests.length);
  const taken: LabelBox[] = [];
  for (const i of order) {
    const r = requests[i];
    // A marker off screen (zoomed in) keeps its label beside it, wherever that is.
    const onScreen = r.x >= 0 && r.y >= 0 && r.x <= bounds.width && r.y <= bounds.height;
    let best: { box: LabelBox; cost: number; ring: number } | null = null;
    for (let ring = 0; ring < rings && !(best && best.cost === 0); ring++) {
      const d = r.radius + gap + ring * step;
      for (const [dx, dy] of ring === 0 ? FIRST_RING : OUTER_RING) {
        const box = boxAt(r, dx, dy, d);
        // Other labels weigh most, then other markers, then the edge of the view.
        let cost = 0;
        for (const t of taken) cost += 100 * overlapArea(box, t, gap);
        markers.forEach((m, j) => {
          if (j !== i) cost += 10 * overlapArea(box, m, gap);
        });
        if (onScreen) cost += outside(box, bounds);
        // Equal costs: nearer rings first, then the direction order.
        if (!best || cost < best.cost) best = { box, cost, ring };
        if (cost === 0) break;
      }
    }
    const b = best!;
    taken.push(b.box);
    placed[i] = { ...b.box, displaced: b.ring > 0 };
  }
  return placed as LabelPlacement[];
}

/** The end of a leader line: the point of the label's box nearest the marker. */
export function leaderEnd(box: LabelBox, x: number, y: number): { x: number; y: number } {
  return {
    x: Math.min(box.left + box.width, Math.max(box.left, x)),
    y: Math.min(box.top + box.height, Math.max(box.top, y)),
  };
}
