import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatProgressLine } from '../../src/cli/progress';

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  s.text = '';
  s.isTTY = isTTY;
  return s;
}

describe('progress', () => {
  it('formats bar, counts and ETA from the elapsed time', () => {
    expect(formatProgressLine('train', 25, 100, 10_000, '', 8)).toBe('train [##......] 25/100 25% ETA 30s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });

  it('prints one line per 10% when not on a terminal', () => {
    let t = 0;
    const s = sink(false);
    const p = createProgress({ total: 100, label: 'x', stream: s, now: () => t });
    for (let i = 0; i < 100; i++) {
      t += 100;
      p.tick();
    }
    p.done();
    const lines = s.text.trim().split('\n');
    expect(lines).toHaveLength(12); // 0%..100% in tenths... first tick at 1% prints decile 0
    expect(lines[lines.length - 1]).toBe('x: done 100/100 in 10s');
  });

  it('redraws in place on a terminal, throttled', () => {
    let t = 0;
    const s = sink(true);
    const p = createProgress({ total: 1000, label: 'y', stream: s, now: () => t });
    for (let i = 0; i < 1000; i++) {
      t += 1;
      p.tick();
    }
    expect(s.text.split('\r').length - 1).toBeLessThanOrEqual(11);
    expect(s.text).not.toContain('\n');
  });

  it('stays silent when disabled', () => {
    const s = sink(false);
    const p = createProgress({ total: 3, label: 'z', stream: s, enabled: false });
    p.tick();
    p.done();
    expect(s.text).toBe('');
  });
});
