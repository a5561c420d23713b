import { describe, expect, it } from 'vitest';
import { ProgressStream, logProgress } from '../../src/runs/progress';

describe('logProgress', () => {
  it('writes notes and stage ends always, other steps at most once per interval', () => {
    const s = new ProgressStream();
    const lines: string[] = [];
    const off = logProgress(s, (l) => lines.push(l), { everyMs: 60_000 });
    const ev = { stage: 'stage1', total: 10, itPerSec: 2, etaSec: 4 };
    s.emit({ ...ev, step: 1, loss: 1.5 }); // first line: the interval has passed since 0
    s.emit({ ...ev, step: 2 }); // within the interval: dropped
    s.emit({ ...ev, step: 3, message: 'checkpoint saved' });
    s.emit({ ...ev, step: 10 });
    off();
    s.emit({ ...ev, step: 10 });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\d+s\] stage1 1\/10 loss 1\.500 2\.00 it\/s ETA 4s\n$/);
    expect(lines[1]).toMatch(/stage1 3\/10 .*checkpoint saved\n$/);
    expect(lines[2]).toMatch(/stage1 10\/10/);
  });
});
