import { describe, expect, it } from 'vitest';
import { DataError, formatIsbiTxt, parseIsbiTxt } from '../../../src/data';

const nineteen = Array.from({ length: 19 }, (_, i) => `${100 + i},${200 + 2 * i}`);

describe('ISBI txt', () => {
  it('reads the first 19 lines and ignores the trailing classification lines', () => {
    const text = [...nineteen, '1', '3', '2', '', '4'].join('\r\n');
    const pts = parseIsbiTxt(text, 'a.txt');
    expect(pts).toHaveLength(19);
    expect(pts[0]).toEqual({ x: 100, y: 200 });
    expect(pts[18]).toEqual({ x: 118, y: 236 });
  });

  it('round-trips', () => {
    const pts = parseIsbiTxt(nineteen.join('\n'), 'a.txt');
    expect(parseIsbiTxt(formatIsbiTxt(pts), 'b.txt')).toEqual(pts);
    expect(formatIsbiTxt([{ x: 1.5, y: -2 }])).toBe('1.5,-2\n');
  });

  it('tolerates spaces and a BOM', () => {
    const text = '\uFEFF' + nineteen.map((l) => ' ' + l.replace(',', ' , ')).join('\n');
    expect(parseIsbiTxt(text, 'a.txt')[3]).toEqual({ x: 103, y: 206 });
  });

  it('wrong number of landmarks: says expected and found', () => {
    const text = [...nineteen.slice(0, 17), '1', '2'].join('\n');
    const err = (() => {
      try {
        parseIsbiTxt(text, '/ann/017.txt');
      } catch (e) {
        return e as DataError;
      }
    })();
    expect(err).toBeInstanceOf(DataError);
    expect(err!.message).toBe(
      "/ann/017.txt: wrong number of landmarks: expected 19 lines 'x,y', found 17 (line 18 is '1')",
    );
    expect(() => parseIsbiTxt(nineteen.slice(0, 5).join('\n'), 'short.txt')).toThrow(
      /short\.txt: wrong number of landmarks: expected 19 lines 'x,y', found 5/,
    );
  });

  it('non-numeric coordinate: names file, line and value', () => {
    const lines = [...nineteen];
    lines[4] = 'abc,12';
    expect(() => parseIsbiTxt(lines.join('\n'), 'bad.txt')).toThrow(
      "bad.txt:5: non-numeric x of landmark 5: 'abc'",
    );
  });

  it('NaN coordinate: names file, line and value', () => {
    const lines = [...nineteen];
    lines[7] = '12,NaN';
    expect(() => parseIsbiTxt(lines.join('\n'), 'nan.txt')).toThrow(
      "nan.txt:8: y of landmark 8 is not a finite number: 'NaN'",
    );
  });

  it('a missing landmark cannot be written in this format', () => {
    expect(() => formatIsbiTxt([{ x: 1, y: 2 }, null], 'out.txt')).toThrow(/out\.txt: landmark 2 is missing/);
  });
});
