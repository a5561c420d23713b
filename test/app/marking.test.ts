import { describe, expect, it } from 'vitest';
import { MarkingState, markingAction } from '../../src/renderer/src/lib/marking';

const set = { name: 's', landmarks: [1, 2, 3].map((id) => ({ id, name: `L${id}` })) };

describe('template marking state', () => {
  it('places landmarks in order, prompting the next one', () => {
    const m = new MarkingState(set);
    expect(m.currentId).toBe(1);
    m.place({ x: 1, y: 2 });
    expect(m.currentId).toBe(2);
    m.place({ x: 3, y: 4 });
    m.place({ x: 5, y: 6 });
    expect(m.complete).toBe(true);
    expect(m.values()).toEqual([
      { id: 1, point: { x: 1, y: 2 }, source: 'template' },
      { id: 2, point: { x: 3, y: 4 }, source: 'template' },
      { id: 3, point: { x: 5, y: 6 }, source: 'template' },
    ]);
  });

  it('skips as missing, jumps to the next landmark still to do, and drags', () => {
    const m = new MarkingState(set, [{ id: 2, point: { x: 9, y: 9 } }]);
    expect(m.currentId).toBe(1); // first one still to do
    m.skip();
    expect(m.status(1)).toBe('missing');
    expect(m.currentId).toBe(3); // 2 is done already
    m.move(2, { x: 8, y: 7 });
    expect(m.points[2]).toEqual({ x: 8, y: 7 });
    expect(m.complete).toBe(false);
    expect(m.values().map((v) => v.point)).toEqual([null, { x: 8, y: 7 }]);
  });

  it('undoes and redoes every change, and a new change clears redo', () => {
    const m = new MarkingState(set);
    m.place({ x: 1, y: 1 });
    m.place({ x: 2, y: 2 });
    expect(m.undo()).toBe(true);
    expect(m.status(2)).toBe('todo');
    expect(m.currentId).toBe(2);
    expect(m.redo()).toBe(true);
    expect(m.points[2]).toEqual({ x: 2, y: 2 });
    m.undo();
    m.move(1, { x: 5, y: 5 });
    expect(m.canRedo).toBe(false);
    m.undo();
    m.undo();
    expect(m.undo()).toBe(false);
    expect(m.status(1)).toBe('todo');
  });

  it('maps keyboard shortcuts to actions', () => {
    expect(markingAction({ key: 'z', ctrlKey: true })).toBe('undo');
    expect(markingAction({ key: 'Z', ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(markingAction({ key: 'y', metaKey: true })).toBe('redo');
    expect(markingAction({ key: 'ArrowRight' })).toBe('next');
    expect(markingAction({ key: 'p' })).toBe('previous');
    expect(markingAction({ key: 's' })).toBe('skip');
    expect(markingAction({ key: 's', ctrlKey: true })).toBeNull();
    expect(markingAction({ key: 'x' })).toBeNull();
  });
});
