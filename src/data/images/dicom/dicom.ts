/**
 * DICOM reader: dicom-parser for the data set, npm codecs for compressed pixel data. Produces grey
 * values with rescale slope/intercept applied and MONOCHROME1 inverted (bright = dense), plus the mm
 * spacing from PixelSpacing or ImagerPixelSpacing, recording which one.
 */
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { DataError } from '../../errors';
import type { Spacing } from '../../types';
import { decodeJpeg8 } from '../jpeg';
import { planarToInterleaved, toGray } from '../pixels';
import type { RawGray } from '../raw';
import { checkDims } from '../raw';
import { decodeWithWasm } from '../wasmCodecs';
import { decodeRleFrame } from './rle';
import { describeTransferSyntax, IMPLICIT_VR_LITTLE_ENDIAN, TRANSFER_SYNTAXES } from './transferSyntax';

export interface DicomHeader {
  transferSyntaxUid: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  photometric: string;
  planarConfiguration: number;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** From PixelSpacing, else ImagerPixelSpacing; null when neither holds two positive numbers. */
  spacing: Spacing | null;
  modality?: string;
  windowCenter?: number;
  windowWidth?: number;
}

export interface DicomImage extends RawGray {
  header: DicomHeader;
}

function hasPreamble(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

/** Parse the data set; `headerOnly` stops before the pixel data (for inspect and dataset scans). */
export function parseDicomDataSet(bytes: Uint8Array, path: string, headerOnly = false): DataSet {
  const opts: { untilTag?: string; TransferSyntaxUID?: string } = {};
  if (headerOnly) opts.untilTag = 'x7fe00010';
  // Files without the Part 10 preamble are raw data sets, by convention Implicit VR Little Endian.
  if (!hasPreamble(bytes)) opts.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN;
  // dicom-parser inflates deflated syntaxes with Node's Buffer API: hand it a Buffer view.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return dicomParser.parseDicom(buf, opts);
  } catch (e) {
    const msg =
      e instanceof Error
        ? e.message
        : typeof e === 'string'
          ? e
          : ((e as { exception?: string })?.exception ?? String(e));
    if (/buffer overrun/i.test(msg))
      throw new DataError(path, 'DICOM file is truncated (data set ends before its last element)', {
        cause: e,
      });
    throw new DataError(path, `not a readable DICOM file: ${msg.replace(/^dicomParser[.:]\w+: /, '')}`, {
      cause: e,
    });
  }
}

function positiveNumbers(ds: DataSet, tag: string): [number, number] | null {
  const a = ds.floatString(tag, 0);
  const b = ds.floatString(tag, 1);
  if (
    a === undefined ||
    b === undefined ||
    !(a > 0) ||
    !(b > 0) ||
    !Number.isFinite(a) ||
    !Number.isFinite(b)
  )
    return null;
  return [a, b];
}

export function readDicomHeader(ds: DataSet, path: string): DicomHeader {
  const tsRaw = ds.string('x00020010');
  const transferSyntaxUid = (tsRaw ?? IMPLICIT_VR_LITTLE_ENDIAN).replace(/\0/g, '').trim();
  const rows = ds.uint16('x00280010');
  const columns = ds.uint16('x00280011');
  if (rows === undefined || columns === undefined)
    throw new DataError(path, 'DICOM file has no Rows/Columns: not an image');
  const bitsAllocated = ds.uint16('x00280100') ?? 16;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  // DICOM PixelSpacing / ImagerPixelSpacing are "row spacing \ column spacing", i.e. (y, x).
  let spacing: Spacing | null = null;
  const ps = positiveNumbers(ds, 'x00280030');
  const ips = positiveNumbers(ds, 'x00181164');
  if (ps) spacing = { x: ps[1], y: ps[0], source: 'PixelSpacing' };
  else if (ips) spacing = { x: ips[1], y: ips[0], source: 'ImagerPixelSpacing' };
  const slope = ds.floatString('x00281053');
  const intercept = ds.floatString('x00281052');
  const header: DicomHeader = {
    transferSyntaxUid,
    transferSyntax: describeTransferSyntax(transferSyntaxUid),
    rows,
    columns,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: ds.uint16('x00280103') === 1,
    photometric: (ds.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase(),
    planarConfiguration: ds.uint16('x00280006') ?? 0,
    frames: Math.max(1, ds.intString('x00280008') ?? 1),
    rescaleSlope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    rescaleIntercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
    spacing,
  };
  const modality = ds.string('x00080060');
  if (modality) header.modality = modality.trim();
  const wc = ds.floatString('x00281050');
  const ww = ds.floatString('x00281051');
  if (wc !== undefined && ww !== undefined && Number.isFinite(wc) && ww > 0) {
    header.windowCenter = wc;
    header.windowWidth = ww;
  }
  return header;
}

/** The first frame's encoded bytes from encapsulated pixel data. */
function encapsulatedFrame(ds: DataSet, el: Element, h: DicomHeader, jpegFamily: boolean): Uint8Array {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments');
  if (el.basicOffsetTable && el.basicOffsetTable.length > 0)
    return dicomParser.readEncapsulatedImageFrame(ds, el, 0);
  if (h.frames <= 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
  if (jpegFamily) {
    const bot = dicomParser.createJPEGBasicOffsetTable(ds, el);
    return dicomParser.readEncapsulatedImageFrame(ds, el, 0, bot);
  }
  return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, 1);
}

/** Little-endian bytes to 16-bit samples (copying, so the result is aligned). */
function bytesToUint16(bytes: Uint8Array, count: number, bigEndian = false): Uint16Array {
  const out = new Uint16Array(count);
  if (bigEndian) {
    for (let i = 0; i < count; i++) out[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  } else if (bytes.byteOffset % 2 === 0) {
    out.set(new Uint16Array(bytes.buffer, bytes.byteOffset, count));
  } else {
    for (let i = 0; i < count; i++) out[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  }
  return out;
}

/** SOF precision of a JPEG stream (8 or 12 for DCT processes), or null when no SOF was found. */
function jpegPrecision(bytes: Uint8Array): number | null {
  for (let i = 2; i + 4 < bytes.length;) {
    if (bytes[i] !== 0xff) return null;
    const m = bytes[i + 1]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return bytes[i + 4]!;
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  return null;
}

/** Samples of frame 0, interleaved, as the stored integers (not yet masked or rescaled). */
async function decodeFrameSamples(
  ds: DataSet,
  h: DicomHeader,
  path: string,
): Promise<Uint8Array | Uint16Array | Uint32Array> {
  const info = TRANSFER_SYNTAXES[h.transferSyntaxUid];
  if (!info || info.encoding === null) {
    throw new DataError(
      path,
      `unsupported DICOM transfer syntax: ${h.transferSyntax}; supported are uncompressed, JPEG baseline, JPEG lossless, JPEG-LS, JPEG 2000 and RLE`,
    );
  }
  const el = ds.elements.x7fe00010;
  if (!el) throw new DataError(path, 'DICOM file has no pixel data (7FE0,0010)');
  const pixels = h.rows * h.columns;
  const count = pixels * h.samplesPerPixel;
  const wrap = (what: string, e: unknown): DataError =>
    e instanceof DataError
      ? e
      : new DataError(path, `${what} (${h.transferSyntax}): ${(e as Error)?.message ?? String(e)}`, {
          cause: e,
        });

  if (info.encoding === 'native') {
    if (el.encapsulatedPixelData)
      throw new DataError(path, `pixel data is encapsulated but the transfer syntax is ${h.transferSyntax}`);
    const bytesPer = h.bitsAllocated / 8;
    if (h.bitsAllocated === 1) {
      const need = Math.ceil(count / 8);
      if (el.dataOffset + need > ds.byteArray.length)
        throw new DataError(path, 'DICOM pixel data is truncated');
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = (ds.byteArray[el.dataOffset + (i >> 3)]! >> (i & 7)) & 1;
      return out;
    }
    if (![1, 2, 4].includes(bytesPer))
      throw new DataError(path, `unsupported BitsAllocated ${h.bitsAllocated}`);
    const need = count * bytesPer;
    const avail = Math.min(el.length, ds.byteArray.length - el.dataOffset);
    if (avail < need)
      throw new DataError(
        path,
        `DICOM pixel data is truncated: ${avail} bytes, ${h.columns} x ${h.rows} x ${h.samplesPerPixel} at ${h.bitsAllocated} bit needs ${need}`,
      );
    const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + need);
    if (bytesPer === 1) return Uint8Array.from(raw);
    if (bytesPer === 2) return bytesToUint16(raw, count, info.bigEndian);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, !info.bigEndian);
    return out;
  }

  if (!el.encapsulatedPixelData)
    throw new DataError(path, `${h.transferSyntax} requires encapsulated pixel data, found native`);
  let frame: Uint8Array;
  try {
    frame = encapsulatedFrame(ds, el, h, info.encoding === 'jpeg8' || info.encoding === 'jpegLossless');
  } catch (e) {
    throw wrap('cannot read encapsulated frame', e);
  }

  switch (info.encoding) {
    case 'jpeg8': {
      const precision = jpegPrecision(frame);
      if (precision !== null && precision !== 8) {
        throw new DataError(
          path,
          `unsupported DICOM transfer syntax: ${h.transferSyntax} with ${precision}-bit samples (only 8-bit JPEG baseline/extended is decoded)`,
        );
      }
      const d = await decodeJpeg8(frame, path);
      if (d.width !== h.columns || d.height !== h.rows)
        throw new DataError(
          path,
          `JPEG frame is ${d.width} x ${d.height}, header says ${h.columns} x ${h.rows}`,
        );
      h.samplesPerPixel = d.channels;
      h.planarConfiguration = 0;
      // libjpeg already converted YCbCr to RGB.
      if (d.channels === 3) h.photometric = 'RGB';
      return d.data;
    }
    case 'jpegLossless': {
      try {
        const bytesPer = h.bitsAllocated <= 8 ? 1 : 2;
        // Buffer.slice() is a view: copy into a fresh ArrayBuffer the decoder may read from 0.
        const copy = new Uint8Array(frame.length);
        copy.set(frame);
        const out = new JpegLosslessDecoder().decode(copy.buffer, 0, copy.byteLength, bytesPer);
        if (out.length < count) throw new Error(`decoded ${out.length} samples, expected ${count}`);
        h.planarConfiguration = 0;
        return out;
      } catch (e) {
        throw wrap('cannot decode JPEG lossless frame', e);
      }
    }
    case 'jpeg2000':
    case 'jpegLS': {
      let d;
      try {
        d = await decodeWithWasm(info.encoding === 'jpeg2000' ? 'j2k' : 'jpegls', frame);
      } catch (e) {
        throw wrap('cannot decode frame', e);
      }
      if (d.info.width !== h.columns || d.info.height !== h.rows) {
        throw new DataError(
          path,
          `${h.transferSyntax} frame is ${d.info.width} x ${d.info.height}, header says ${h.columns} x ${h.rows}`,
        );
      }
      h.samplesPerPixel = d.info.componentCount;
      h.planarConfiguration = 0;
      // OpenJPEG applies the inverse component transform (YBR_RCT/ICT -> RGB).
      if (d.info.componentCount === 3 && h.photometric.startsWith('YBR_')) h.photometric = 'RGB';
      const n = d.info.width * d.info.height * d.info.componentCount;
      if (d.info.bitsPerSample <= 8) return d.bytes.subarray(0, n);
      return bytesToUint16(d.bytes, n);
    }
    case 'rle': {
      try {
        return decodeRleFrame(frame, h.columns, h.rows, h.samplesPerPixel, h.bitsAllocated);
      } catch (e) {
        throw wrap('cannot decode RLE frame', e);
      }
    }
  }
}

/** Decode a DICOM file's first frame to grey values (rescaled, MONOCHROME1 inverted). */
export async function decodeDicomGray(bytes: Uint8Array, path: string): Promise<DicomImage> {
  const ds = parseDicomDataSet(bytes, path);
  const h = readDicomHeader(ds, path);
  const bad = checkDims(h.columns, h.rows);
  if (bad) throw new DataError(path, `DICOM: ${bad}`);
  if (h.bitsStored < 1 || h.bitsStored > 32 || h.bitsStored > h.bitsAllocated) {
    throw new DataError(
      path,
      `DICOM: BitsStored ${h.bitsStored} does not fit BitsAllocated ${h.bitsAllocated}`,
    );
  }
  let samples = await decodeFrameSamples(ds, h, path);
  const pixels = h.rows * h.columns;
  const spp = h.samplesPerPixel;

  // Colour to grey. YBR_FULL's first channel is luma already; RGB goes through Rec. 601 luma.
  if (spp > 1) {
    if (h.photometric === 'YBR_FULL_422' && TRANSFER_SYNTAXES[h.transferSyntaxUid]?.encoding === 'native') {
      throw new DataError(path, 'uncompressed YBR_FULL_422 (chroma-subsampled) pixel data is not supported');
    }
    if (samples instanceof Uint32Array)
      throw new DataError(path, `DICOM: ${spp}-sample pixels at 32 bit are not supported`);
    if (h.planarConfiguration === 1) samples = planarToInterleaved(samples, spp, pixels);
    if (h.photometric.startsWith('YBR')) {
      const y = samples instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
      for (let i = 0; i < pixels; i++) y[i] = samples[i * spp]!;
      samples = y;
    } else {
      samples = toGray(samples, spp, pixels);
    }
  } else if (h.photometric === 'PALETTE COLOR') {
    throw new DataError(path, 'PALETTE COLOR DICOM images are not supported (radiographs are MONOCHROME1/2)');
  }

  // Keep only BitsStored bits (the rest may carry overlays), sign-extend signed data.
  const bs = h.bitsStored;
  const shift =
    spp === 1 && TRANSFER_SYNTAXES[h.transferSyntaxUid]?.encoding === 'native'
      ? Math.max(0, h.highBit + 1 - bs)
      : 0;
  const mask = bs >= 32 ? 0xffffffff : 2 ** bs - 1;
  const signBit = 2 ** (bs - 1);
  const needsMask =
    shift !== 0 || bs < (samples instanceof Uint8Array ? 8 : samples instanceof Uint16Array ? 16 : 32);
  const slope = h.rescaleSlope;
  const intercept = h.rescaleIntercept;
  const invert = h.photometric === 'MONOCHROME1';
  const storedMin = h.signed ? -signBit : 0;
  const storedMax = h.signed ? signBit - 1 : mask;

  const integerOut = !h.signed && slope === 1 && intercept === 0 && !(samples instanceof Uint32Array);
  let data: Float32Array | Uint16Array | Uint8Array;
  if (integerOut) {
    const out = samples instanceof Uint8Array ? new Uint8Array(pixels) : new Uint16Array(pixels);
    for (let i = 0; i < pixels; i++) {
      let v = samples[i]!;
      if (needsMask) v = (v >>> shift) & mask;
      out[i] = invert ? storedMax - v : v;
    }
    data = out;
  } else {
    const out = new Float32Array(pixels);
    // MONOCHROME1: reflect within the rescaled range of possible stored values.
    const a = storedMin * slope + intercept;
    const b = storedMax * slope + intercept;
    const reflect = a + b;
    for (let i = 0; i < pixels; i++) {
      let v = samples[i]!;
      if (needsMask) v = Math.floor(v / 2 ** shift) % 2 ** bs;
      if (h.signed && v >= signBit) v -= 2 ** bs;
      const r = v * slope + intercept;
      out[i] = invert ? reflect - r : r;
    }
    data = out;
  }
  return { width: h.columns, height: h.rows, data, bitsStored: bs, header: h };
}
