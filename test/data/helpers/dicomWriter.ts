/**
 * A small DICOM Part 10 writer for tests: meta group in Explicit VR Little Endian, the data set in
 * the requested transfer syntax, native or encapsulated pixel data. Independent of the reader
 * (which uses dicom-parser), so a test file is a real check of the reader.
 */
import { deflateRawSync } from 'node:zlib';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLSLossless: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
  htj2k: '1.2.840.10008.1.2.4.201',
  mpeg2: '1.2.840.10008.1.2.4.100',
} as const;

type Value = string | number | number[] | Uint8Array;
export interface El {
  tag: number; // (group << 16) | element
  vr: string;
  value: Value;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function valueBytes(vr: string, v: Value, bigEndian: boolean): Uint8Array {
  if (v instanceof Uint8Array) return v.length % 2 ? Uint8Array.from([...v, 0]) : v;
  if (vr === 'US' || vr === 'SS') {
    const arr = Array.isArray(v) ? v : [v as number];
    const b = new Uint8Array(arr.length * 2);
    const dv = new DataView(b.buffer);
    arr.forEach((n, i) =>
      vr === 'US' ? dv.setUint16(i * 2, n, !bigEndian) : dv.setInt16(i * 2, n, !bigEndian),
    );
    return b;
  }
  if (vr === 'UL') {
    const arr = Array.isArray(v) ? v : [v as number];
    const b = new Uint8Array(arr.length * 4);
    const dv = new DataView(b.buffer);
    arr.forEach((n, i) => dv.setUint32(i * 4, n, !bigEndian));
    return b;
  }
  let s = Array.isArray(v) ? v.join('\\') : String(v);
  if (s.length % 2) s += vr === 'UI' ? '\0' : ' ';
  return new TextEncoder().encode(s);
}

function encodeElement(e: El, explicit: boolean, bigEndian: boolean): Uint8Array {
  const val = valueBytes(e.vr, e.value, bigEndian);
  const group = e.tag >>> 16;
  const elem = e.tag & 0xffff;
  const headLen = !explicit ? 8 : LONG_VRS.has(e.vr) ? 12 : 8;
  const out = new Uint8Array(headLen + val.length);
  const dv = new DataView(out.buffer);
  const le = !bigEndian;
  dv.setUint16(0, group, le);
  dv.setUint16(2, elem, le);
  if (!explicit) dv.setUint32(4, val.length, le);
  else {
    out[4] = e.vr.charCodeAt(0);
    out[5] = e.vr.charCodeAt(1);
    if (LONG_VRS.has(e.vr)) dv.setUint32(8, val.length, le);
    else dv.setUint16(6, val.length, le);
  }
  out.set(val, headLen);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encapsulated pixel data element (always little endian): empty offset table, then fragments. */
function encapsulated(fragments: Uint8Array[]): Uint8Array {
  const item = (data: Uint8Array): Uint8Array => {
    const d = data.length % 2 ? concat([data, new Uint8Array(1)]) : data;
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, 0xfffe, true);
    dv.setUint16(2, 0xe000, true);
    dv.setUint32(4, d.length, true);
    return concat([h, d]);
  };
  const head = new Uint8Array(12);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  head[4] = 0x4f; // 'O'
  head[5] = 0x42; // 'B'
  dv.setUint32(8, 0xffffffff, true);
  // The sequence delimiter is appended by the caller.
  return concat([head, item(new Uint8Array(0)), ...fragments.map(item)]);
}

export interface DicomSpec {
  transferSyntax: string;
  rows: number;
  columns: number;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: 0 | 1;
  samplesPerPixel?: number;
  photometric?: string;
  planarConfiguration?: number;
  /** [row spacing, column spacing] = [y, x] in mm. */
  pixelSpacing?: [number, number];
  imagerPixelSpacing?: [number, number];
  rescaleSlope?: number;
  rescaleIntercept?: number;
  /** Native pixel bytes in little-endian order (the writer swaps for big endian). */
  pixelData?: Uint8Array;
  /** Encoded frame fragments for compressed syntaxes. */
  fragments?: Uint8Array[];
  /** Omit the 128-byte preamble and meta group (a raw Implicit VR LE data set). */
  noPreamble?: boolean;
  extra?: El[];
}

export function writeDicom(spec: DicomSpec): Uint8Array {
  const ts = spec.transferSyntax;
  const bigEndian = ts === TS.explicitBE;
  const explicit = ts !== TS.implicitLE;
  const bitsAllocated = spec.bitsAllocated ?? 16;
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.8.498.1' },
    { tag: 0x00080060, vr: 'CS', value: 'DX' },
    { tag: 0x00280002, vr: 'US', value: spec.samplesPerPixel ?? 1 },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: spec.rows },
    { tag: 0x00280011, vr: 'US', value: spec.columns },
    { tag: 0x00280100, vr: 'US', value: bitsAllocated },
    { tag: 0x00280101, vr: 'US', value: spec.bitsStored ?? bitsAllocated },
    { tag: 0x00280102, vr: 'US', value: spec.highBit ?? (spec.bitsStored ?? bitsAllocated) - 1 },
    { tag: 0x00280103, vr: 'US', value: spec.pixelRepresentation ?? 0 },
    ...(spec.extra ?? []),
  ];
  if (spec.planarConfiguration !== undefined)
    els.push({ tag: 0x00280006, vr: 'US', value: spec.planarConfiguration });
  if (spec.pixelSpacing)
    els.push({ tag: 0x00280030, vr: 'DS', value: spec.pixelSpacing.map(String) as unknown as number[] });
  if (spec.imagerPixelSpacing)
    els.push({
      tag: 0x00181164,
      vr: 'DS',
      value: spec.imagerPixelSpacing.map(String) as unknown as number[],
    });
  if (spec.rescaleIntercept !== undefined)
    els.push({ tag: 0x00281052, vr: 'DS', value: String(spec.rescaleIntercept) });
  if (spec.rescaleSlope !== undefined)
    els.push({ tag: 0x00281053, vr: 'DS', value: String(spec.rescaleSlope) });
  els.sort((a, b) => a.tag - b.tag);

  const parts = els.map((e) => encodeElement(e, explicit, bigEndian));
  if (spec.fragments) {
    const delim = new Uint8Array(8);
    const dd = new DataView(delim.buffer);
    dd.setUint16(0, 0xfffe, true);
    dd.setUint16(2, 0xe0dd, true);
    parts.push(encapsulated(spec.fragments), delim);
  } else if (spec.pixelData) {
    let px = spec.pixelData;
    if (bigEndian && bitsAllocated === 16) {
      px = px.slice();
      for (let i = 0; i + 1 < px.length; i += 2) [px[i], px[i + 1]] = [px[i + 1]!, px[i]!];
    }
    parts.push(
      encodeElement({ tag: 0x7fe00010, vr: bitsAllocated > 8 ? 'OW' : 'OB', value: px }, explicit, bigEndian),
    );
  }
  let dataset = concat(parts);
  if (ts === TS.deflatedLE) dataset = deflateRawSync(dataset);
  if (spec.noPreamble) return dataset;

  const metaEls: El[] = [
    { tag: 0x00020001, vr: 'OB', value: Uint8Array.from([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00020003, vr: 'UI', value: '1.2.826.0.1.3680043.8.498.1' },
    { tag: 0x00020010, vr: 'UI', value: ts },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.8.498.2' },
  ];
  const metaBody = concat(metaEls.map((e) => encodeElement(e, true, false)));
  const groupLen = encodeElement({ tag: 0x00020000, vr: 'UL', value: metaBody.length }, true, false);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLen, metaBody, dataset]);
}

/** Little-endian bytes of 16-bit samples. */
export function le16(samples: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(samples.length * 2);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < samples.length; i++) dv.setUint16(i * 2, samples[i]! & 0xffff, true);
  return b;
}
