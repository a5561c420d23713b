import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DTYPE_SIZE,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  type SafetensorsDType,
  type TensorRecord,
} from '../../../src/engine/io/safetensorsFormat';

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

/** Build a raw file from a header object and data bytes, exactly as the spec says (for error cases). */
function rawFile(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = JSON.stringify(header);
  if (pad) while ((json.length + 8) % 8 !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/**
 * An independent reader written from the format description only (no code shared with the module):
 * returns header JSON, the data section and the padding bytes.
 */
function independentParse(file: Uint8Array) {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const n = Number(buf.readBigUInt64LE(0));
  const headerText = buf.subarray(8, 8 + n).toString('utf8');
  const header = JSON.parse(headerText) as Record<string, any>;
  const data = buf.subarray(8 + n);
  const tensors: Record<string, { dtype: string; shape: number[]; bytes: Buffer }> = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    tensors[k] = {
      dtype: v.dtype,
      shape: v.shape,
      bytes: data.subarray(v.data_offsets[0], v.data_offsets[1]),
    };
  }
  return { n, headerText, header, tensors, dataLength: data.length };
}

const ALL: SafetensorsDType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

describe('safetensors byte layer', () => {
  it('round-trips every dtype, shapes including scalars and empty tensors', () => {
    const recs: Record<string, TensorRecord> = {};
    ALL.forEach((dt, i) => {
      const shape = [2, 3, i + 1];
      let bytes = bytesOf(6 * (i + 1) * DTYPE_SIZE[dt], i + 7);
      if (dt === 'BOOL') bytes = bytes.map((b) => b & 1);
      recs[`t.${dt.toLowerCase()}`] = { dtype: dt, shape, bytes };
    });
    recs.scalar = { dtype: 'F32', shape: [], bytes: new Uint8Array(new Float32Array([3.5]).buffer) };
    recs.empty = { dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) };
    const meta = { format: 'pt', note: 'ünïcode ok' };
    const file = encodeSafetensors(recs, meta);
    const back = decodeSafetensors(file);
    expect(back.metadata).toEqual(meta);
    expect([...back.tensors.keys()].sort()).toEqual(Object.keys(recs).sort());
    for (const [name, rec] of Object.entries(recs)) {
      const got = back.tensors.get(name)!;
      expect(got.dtype).toBe(rec.dtype);
      expect(got.shape).toEqual(rec.shape);
      expect(Buffer.from(got.bytes).equals(Buffer.from(rec.bytes))).toBe(true);
    }
  });

  it('writes a hand-built file byte for byte', () => {
    const a = new Uint8Array(new Float32Array([1, -2]).buffer); // little-endian on every supported host
    const b = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]); // I64 value 1
    const file = encodeSafetensors(
      { weight: { dtype: 'F32', shape: [2], bytes: a }, count: { dtype: 'I64', shape: [], bytes: b } },
      { format: 'pt' },
    );
    // Reference writer order: metadata first, then I64 (higher dtype rank) before F32.
    const json =
      '{"__metadata__":{"format":"pt"},"count":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"weight":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const padLen = (8 - (json.length % 8)) % 8;
    const expected = Buffer.concat([
      Buffer.from([json.length + padLen, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(json + ' '.repeat(padLen), 'utf8'),
      Buffer.from(b),
      Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]), // 1.0f, -2.0f
    ]);
    expect(Buffer.from(file).toString('hex')).toBe(expected.toString('hex'));
    expect((8 + json.length + padLen) % 8).toBe(0);
  });

  it('produces files an independent parser reads correctly', () => {
    const w = new Float32Array([0.5, 1.5, -3, 1e-7, 42, 7]);
    const ids = new Int32Array([1, -1, 2147483647]);
    const file = encodeSafetensors(
      {
        'layer.0.weight': { dtype: 'F32', shape: [2, 3], bytes: new Uint8Array(w.buffer) },
        'layer.0.ids': { dtype: 'I32', shape: [3], bytes: new Uint8Array(ids.buffer) },
        flag: { dtype: 'BOOL', shape: [1], bytes: new Uint8Array([1]) },
      },
      { producer: 'onemark' },
    );
    const p = independentParse(file);
    expect((8 + p.n) % 8).toBe(0);
    expect(p.headerText.trimEnd().length).toBeLessThanOrEqual(p.n);
    expect(/^ *$/.test(p.headerText.slice(p.headerText.trimEnd().length))).toBe(true);
    expect(p.header.__metadata__).toEqual({ producer: 'onemark' });
    expect(Array.from(new Float32Array(new Uint8Array(p.tensors['layer.0.weight'].bytes).buffer))).toEqual(
      Array.from(w),
    );
    expect(Array.from(new Int32Array(new Uint8Array(p.tensors['layer.0.ids'].bytes).buffer))).toEqual(
      Array.from(ids),
    );
    expect(p.tensors.flag.bytes[0]).toBe(1);
    expect(p.dataLength).toBe(24 + 12 + 1);
  });

  it('reads files with tensors stored in any order and no metadata', () => {
    const data = new Uint8Array([9, 9, 9, 9, 1, 2]);
    const file = rawFile(
      {
        b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] },
        a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
      },
      data,
      false, // the reference reader accepts unpadded headers too
    );
    const back = decodeSafetensors(file);
    expect(back.metadata).toEqual({});
    expect(Array.from(back.tensors.get('b')!.bytes)).toEqual([1, 2]);
    expect(Array.from(back.tensors.get('a')!.bytes)).toEqual([9, 9, 9, 9]);
  });

  describe('rejects malformed files with errors naming the file', () => {
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short', new Uint8Array(4), /shorter than the 8-byte header length/],
      [
        'header length past end',
        (() => {
          const f = rawFile(ok, new Uint8Array(8));
          new DataView(f.buffer).setBigUint64(0, 10_000n, true);
          return f;
        })(),
        /runs past the end of the file/,
      ],
      [
        'absurd header length',
        (() => {
          const f = rawFile(ok, new Uint8Array(8));
          new DataView(f.buffer).setBigUint64(0, 1n << 40n, true);
          return f;
        })(),
        /exceeds the/,
      ],
      [
        'not JSON',
        (() => {
          const f = rawFile(ok, new Uint8Array(8));
          f[12] = 0x7d;
          f[13] = 0x7d;
          return f;
        })(),
        /not valid UTF-8 JSON/,
      ],
      [
        'unknown dtype',
        rawFile({ a: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
        /unknown dtype "F8"/,
      ],
      [
        'size mismatch',
        rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
        /size mismatch/,
      ],
      [
        'out of range',
        rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
        /out of range/,
      ],
      [
        'overlap',
        rawFile(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
        /overlap/,
      ],
      [
        'gap',
        rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
        /gap in the data section/,
      ],
      ['trailing bytes', rawFile(ok, new Uint8Array(12)), /trailing bytes/],
      [
        'negative shape',
        rawFile({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8)),
        /non-negative integers/,
      ],
      [
        'metadata not string',
        rawFile({ __metadata__: { n: 3 }, ...ok }, new Uint8Array(8)),
        /metadata "n" must be a string/,
      ],
    ];
    for (const [name, bytes, re] of cases) {
      it(name, () => {
        expect(() => decodeSafetensors(bytes, 'bad.safetensors')).toThrowError(re);
        try {
          decodeSafetensors(bytes, 'bad.safetensors');
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
          expect((e as Error).message).toContain('bad.safetensors');
        }
      });
    }
    it('refuses to encode a record whose bytes do not match its shape', () => {
      expect(() =>
        encodeSafetensors(
          { a: { dtype: 'F32', shape: [3], bytes: new Uint8Array(8) } },
          {},
          'out.safetensors',
        ),
      ).toThrowError(/out\.safetensors.*"a".*needs 12/);
    });
  });

  it('writes files atomically and reads them back by path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onemark-st-'));
    try {
      const file = path.join(dir, 'sub', 'w.safetensors');
      const rec = {
        dtype: 'F64' as const,
        shape: [2],
        bytes: new Uint8Array(new Float64Array([Math.PI, -1]).buffer),
      };
      await writeSafetensorsFile(file, { x: rec });
      expect(readdirSync(path.dirname(file))).toEqual(['w.safetensors']); // no temp file left behind
      const back = readSafetensorsFile(file);
      expect(Array.from(new Float64Array(back.tensors.get('x')!.bytes.slice().buffer))).toEqual([
        Math.PI,
        -1,
      ]);
      expect(readFileSync(file).byteLength).toBe(8 + readFileSync(file).readUInt32LE(0) + 16);
      writeFileSync(path.join(dir, 'trunc.safetensors'), readFileSync(file).subarray(0, 20));
      expect(() => readSafetensorsFile(path.join(dir, 'trunc.safetensors'))).toThrowError(
        /trunc\.safetensors/,
      );
      expect(() => readSafetensorsFile(path.join(dir, 'missing.safetensors'))).toThrowError(
        /missing\.safetensors: cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
