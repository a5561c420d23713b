/**
 * The safetensors file format, at the byte level (no engine needed).
 *
 * Layout (https://github.com/huggingface/safetensors):
 *   [8 bytes]  N: little-endian u64, length of the JSON header
 *   [N bytes]  JSON header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {string: string} }
 *              padded with spaces (0x20) so that 8 + N is a multiple of 8
 *   [rest]     data section; every tensor is contiguous, row-major, little-endian, at
 *              data_offsets relative to the start of the data section.
 *
 * Writing follows the reference implementation so files are byte-identical to what
 * `safetensors.torch.save_file` produces for the same tensors: `__metadata__` first, tensors ordered
 * by dtype alignment (largest first) then name, data packed with no gaps.
 * Reading validates everything the reference reader does (header length, JSON shape, dtype,
 * offsets contiguous and in range, sizes matching shapes) and names the file in every error.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each safetensors dtype. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** One tensor as raw bytes: what the format stores, independent of any engine. */
export interface TensorRecord {
  dtype: SafetensorsDType;
  shape: number[];
  /** Contiguous little-endian element bytes; length must be numel * DTYPE_SIZE[dtype]. */
  bytes: Uint8Array;
}

export interface SafetensorsContents {
  /** Tensors in file order (insertion order of the returned Map). */
  tensors: Map<string, TensorRecord>;
  /** The optional string-to-string `__metadata__` block; `{}` when absent. */
  metadata: Record<string, string>;
}

/** Thrown for any malformed file; `file` is the path (or the label given for in-memory buffers). */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`safetensors ${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

const METADATA_KEY = '__metadata__';
/** Same ceiling as the reference reader: a larger header is a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100_000_000;

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(file: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      file,
      `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  return shape as number[];
}

/**
 * Rank of each dtype in the reference implementation's `Dtype` enum, which is declared in increasing
 * alignment order (BOOL, U8, I8, F8_*, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64).
 */
const DTYPE_RANK: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  F16: 7,
  BF16: 8,
  I32: 9,
  F32: 11,
  F64: 12,
  I64: 13,
};

/** Order used by the reference writer: dtype rank descending (largest alignment first), then name. */
function writeOrder(entries: [string, TensorRecord][]): [string, TensorRecord][] {
  return [...entries].sort((a, b) => {
    const d = DTYPE_RANK[b[1].dtype] - DTYPE_RANK[a[1].dtype];
    if (d !== 0) return d;
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  });
}

/**
 * Serialise tensors (+ optional metadata) to a complete safetensors buffer.
 * `label` names the destination in errors.
 */
export function encodeSafetensors(
  tensors: Map<string, TensorRecord> | Record<string, TensorRecord>,
  metadata: Record<string, string> = {},
  label = '<buffer>',
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata);
  if (metaKeys.length > 0) {
    for (const k of metaKeys) {
      if (typeof metadata[k] !== 'string') {
        throw new SafetensorsError(
          label,
          `metadata value for "${k}" must be a string, got ${typeof metadata[k]}`,
        );
      }
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  const ordered = writeOrder(entries);
  for (const [name, rec] of ordered) {
    if (name === METADATA_KEY) throw new SafetensorsError(label, `"${METADATA_KEY}" cannot be a tensor name`);
    if (!isSafetensorsDType(rec.dtype))
      throw new SafetensorsError(label, `tensor "${name}": unknown dtype ${JSON.stringify(rec.dtype)}`);
    const shape = checkShape(label, name, rec.shape);
    const want = numelOf(shape) * DTYPE_SIZE[rec.dtype];
    if (rec.bytes.byteLength !== want) {
      throw new SafetensorsError(
        label,
        `tensor "${name}": ${rec.bytes.byteLength} bytes given but shape [${shape.join(', ')}] of ${rec.dtype} needs ${want}`,
      );
    }
    header[name] = { dtype: rec.dtype, shape, data_offsets: [offset, offset + want] };
    offset += want;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded);
  let pos = 8 + padded;
  for (const [, rec] of ordered) {
    out.set(rec.bytes, pos);
    pos += rec.bytes.byteLength;
  }
  return out;
}

/**
 * Parse and validate a safetensors buffer. Tensor bytes are views into `buf` (no copy); copy them
 * if `buf` is reused. `label` names the source in errors.
 */
export function decodeSafetensors(buf: Uint8Array, label = '<buffer>'): SafetensorsContents {
  if (buf.byteLength < 8)
    throw new SafetensorsError(
      label,
      `file is ${buf.byteLength} bytes, shorter than the 8-byte header length`,
    );
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(
      label,
      `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`,
    );
  const n = Number(n64);
  if (8 + n > buf.byteLength) {
    throw new SafetensorsError(
      label,
      `header length ${n} runs past the end of the file (${buf.byteLength} bytes)`,
    );
  }
  const headerBytes = buf.subarray(8, 8 + n);
  if (n === 0 || headerBytes[0] !== 0x7b /* { */)
    throw new SafetensorsError(label, `header does not start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(label, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(label, 'header JSON is not an object');
  }
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const parsed: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        throw new SafetensorsError(label, `"${METADATA_KEY}" must be an object`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string')
          throw new SafetensorsError(label, `metadata "${k}" must be a string, got ${JSON.stringify(v)}`);
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    if (entry === null || typeof entry !== 'object')
      throw new SafetensorsError(label, `tensor "${name}": entry is not an object`);
    const e = entry as Record<string, unknown>;
    if (!isSafetensorsDType(e.dtype))
      throw new SafetensorsError(label, `tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}`);
    const shape = checkShape(label, name, e.shape);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => Number.isSafeInteger(v) && v >= 0)) {
      throw new SafetensorsError(
        label,
        `tensor "${name}": data_offsets must be two non-negative integers, got ${JSON.stringify(off)}`,
      );
    }
    const [begin, end] = off as [number, number];
    if (end < begin)
      throw new SafetensorsError(
        label,
        `tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`,
      );
    if (end > dataLen) {
      throw new SafetensorsError(
        label,
        `tensor "${name}": data_offsets [${begin}, ${end}] out of range (data section is ${dataLen} bytes)`,
      );
    }
    const want = numelOf(shape) * DTYPE_SIZE[e.dtype];
    if (end - begin !== want) {
      throw new SafetensorsError(
        label,
        `tensor "${name}": size mismatch, data_offsets span ${end - begin} bytes but shape [${shape.join(', ')}] of ${e.dtype} needs ${want}`,
      );
    }
    parsed.push({ name, dtype: e.dtype, shape, begin, end });
  }
  // Like the reference reader: the tensors must tile the data section exactly, no overlap, no gap.
  const byOffset = [...parsed].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of byOffset) {
    if (t.begin < cursor)
      throw new SafetensorsError(
        label,
        `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (ends at ${cursor})`,
      );
    if (t.begin > cursor)
      throw new SafetensorsError(
        label,
        `tensor "${t.name}": gap in the data section, bytes ${cursor}..${t.begin} belong to no tensor`,
      );
    cursor = t.end;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError(
      label,
      `data section is ${dataLen} bytes but tensors cover ${cursor} (truncated or trailing bytes)`,
    );
  }
  const tensors = new Map<string, TensorRecord>();
  for (const t of byOffset) {
    tensors.set(t.name, {
      dtype: t.dtype,
      shape: t.shape,
      bytes: buf.subarray(dataStart + t.begin, dataStart + t.end),
    });
  }
  return { tensors, metadata };
}

/** Read and validate a .safetensors file into byte records. */
export function readSafetensorsFile(file: string): SafetensorsContents {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new SafetensorsError(file, `cannot read (${(e as Error).message})`);
  }
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

/**
 * Write bytes to `file` atomically: a temp file beside it, fsync, then rename, so a crash never
 * leaves a half-written checkpoint under the final name.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Encode and atomically write a .safetensors file. */
export async function writeSafetensorsFile(
  file: string,
  tensors: Map<string, TensorRecord> | Record<string, TensorRecord>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata, file));
}
