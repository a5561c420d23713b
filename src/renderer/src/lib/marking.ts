/**
 * Template marking as plain state: one point (or null = missing) per landmark, the landmark the
 * next click places, and undo/redo. No Vue, no API: the store wraps it and saves after changes.
 */
import type { LandmarkSet, Point } from '../../../api/contract/types';

export interface MarkingSnapshot {
  points: Record<number, Point | null | undefined>;
  /** Index into the landmark set of the landmark the next click places. */
  cursor: number;
}

export type LandmarkStatus = 'done' | 'missing' | 'todo';

export class MarkingState {
  points: Record<number, Point | null | undefined> = {};
  cursor = 0;
  private undoStack: MarkingSnapshot[] = [];
  private redoStack: MarkingSnapshot[] = [];

  constructor(
    readonly landmarkSet: LandmarkSet,
    initial: { id: number; point: Point | null }[] = [],
  ) {
    for (const v of initial) this.points[v.id] = v.point ? { ...v.point } : null;
    this.cursor = this.firstTodo() ?? 0;
  }

  get ids(): number[] {
    return this.landmarkSet.landmarks.map((l) => l.id);
  }
  get currentId(): number | undefined {
    return this.ids[this.cursor];
  }
  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  status(id: number): LandmarkStatus {
    const p = this.points[id];
    return p === undefined ? 'todo' : p === null ? 'missing' : 'done';
  }

  get complete(): boolean {
    return this.ids.every((id) => this.status(id) !== 'todo');
  }

  private snapshot(): MarkingSnapshot {
    return { points: structuredClone(this.points), cursor: this.cursor };
  }

  private change(apply: () => void): void {
    this.undoStack.push(this.snapshot());
    this.redoStack = [];
    apply();
  }

  private firstTodo(from = 0): number | undefined {
    const ids = this.ids;
    for (let k = 0; k < ids.length; k++) {
      const i = (from + k) % ids.length;
      if (this.status(ids[i]) === 'todo') return i;
    }
    return undefined;
  }

  /** Places the current landmark and moves to the next one still to do. */
  place(point: Point): void {
    const id = this.currentId;
    if (id === undefined) return;
    this.change(() => {
      this.points[id] = { x: point.x, y: point.y };
      this.cursor = this.firstTodo(this.cursor + 1) ?? Math.min(this.cursor + 1, this.ids.length - 1);
    });
  }

  /** Drag of an already placed landmark. */
  move(id: number, point: Point): void {
    if (!this.ids.includes(id)) return;
    this.change(() => {
      this.points[id] = { x: point.x, y: point.y };
    });
  }

  /** Marks the current landmark missing on the template and moves on. */
  skip(): void {
    const id = this.currentId;
    if (id === undefined) return;
    this.change(() => {
      this.points[id] = null;
      this.cursor = this.firstTodo(this.cursor + 1) ?? Math.min(this.cursor + 1, this.ids.length - 1);
    });
  }

  /** Sets many landmarks at once (an imported file) as one undoable change; others stay. */
  replace(values: readonly { id: number; point: Point | null }[]): number {
    const known = values.filter((v) => this.ids.includes(v.id));
    if (known.length === 0) return 0;
    this.change(() => {
      for (const v of known) this.points[v.id] = v.point ? { x: v.point.x, y: v.point.y } : null;
      this.cursor = this.firstTodo() ?? this.cursor;
    });
    return known.length;
  }

  select(id: number): void {
    const i = this.ids.indexOf(id);
    if (i >= 0) this.cursor = i;
  }
  next(): void {
    this.cursor = Math.min(this.ids.length - 1, this.cursor + 1);
  }
  previous(): void {
    this.cursor = Math.max(0, this.cursor - 1);
  }

  undo(): boolean {
    const s = this.undoStack.pop();
    if (!s) return false;
    this.redoStack.push(this.snapshot());
    this.points = s.points;
    this.cursor = s.cursor;
    return true;
  }
  redo(): boolean {
    const s = this.redoStack.pop();
    if (!s) return false;
    this.undoStack.push(this.snapshot());
    this.points = s.points;
    this.cursor = s.cursor;
    return true;
  }

  /** Values for an AnnotationSet; landmarks still to do are left out. */
  values(): { id: number; point: Point | null; source: string }[] {
    return this.ids
      .filter((id) => this.points[id] !== undefined)
      .map((id) => ({ id, point: this.points[id] ?? null, source: 'template' }));
  }
}

/** Keyboard shortcuts of template marking, as action names (the view maps keys to them). */
export function markingAction(e: {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
}): 'undo' | 'redo' | 'next' | 'previous' | 'skip' | null {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && (e.key === 'z' || e.key === 'Z')) return e.shiftKey ? 'redo' : 'undo';
  if (mod && (e.key === 'y' || e.key === 'Y')) return 'redo';
  if (mod) return null;
  if (e.key === 'ArrowRight' || e.key === 'n' || e.key === 'Tab') return 'next';
  if (e.key === 'ArrowLeft' || e.key === 'p') return 'previous';
  if (e.key === 's' || e.key === 'Delete') return 'skip';
  return null;
}
