/**
 * safetensors <-> engine tensors. The byte layer (format, validation, atomic writes) lives in
 * ./safetensorsFormat and needs no engine; this module adds the Tensor adapters.
 */
import { isFloatingPoint, Tensor, tidy, type Device, type DType } from '../index';
import {
  SafetensorsError,
  readSafetensorsFile,
  writeSafetensorsFile,
  type SafetensorsDType,
  type TensorRecord,
} from './safetensorsFormat';
import { contentDigest, DIGEST_KEY } from './integrity';

export * from './safetensorsFormat';
export { DIGEST_KEY } from './integrity';

const TO_ST: Record<DType, SafetensorsDType> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_ST = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k])) as Record<
  SafetensorsDType,
  DType
>;

export function toSafetensorsDType(d: DType): SafetensorsDType {
  const s = TO_ST[d];
  if (!s) throw new Error(`safetensors: dtype ${d} has no safetensors equivalent`);
  return s;
}

export function fromSafetensorsDType(d: SafetensorsDType): DType {
  return FROM_ST[d];
}

/** The raw little-endian bytes of a tensor (copied to the CPU, made contiguous). */
export function tensorToRecord(t: Tensor): TensorRecord {
  return { dtype: toSafetensorsDType(t.dtype), shape: [...t.shape], bytes: t.toBytes() };
}

export function recordToTensor(rec: TensorRecord, opts: { device?: Device } = {}): Tensor {
  const t = Tensor.fromBytes(rec.bytes, rec.shape, fromSafetensorsDType(rec.dtype));
  if (opts.device && opts.device !== 'cpu') {
    const moved = t.to(opts.device);
    if (moved !== t) t.dispose();
    return moved;
  }
  return t;
}

/** Writes tensors (any device) to `file` atomically, in the reference writer's byte layout. */
export async function saveSafetensors(
  file: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const recs = new Map<string, TensorRecord>();
  for (const [name, t] of entries) {
    if (t.isDisposed) throw new SafetensorsError(file, `tensor "${name}" is disposed`);
    recs.set(name, tensorToRecord(t));
  }
  const sealed = { ...metadata, [DIGEST_KEY]: contentDigest(recs, metadata) };
  await writeSafetensorsFile(file, recs, sealed);
}

export interface LoadSafetensorsOptions {
  device?: Device;
  /**
   * Refuse NaN or ±Inf in floating-point tensors (default true: a diverged or damaged model
   * would otherwise predict NaN coordinates with exit 0). Off only for files that may hold them.
   */
  requireFinite?: boolean;
}

/** The first floating-point tensor holding NaN or ±Inf (checked by libtorch, not per element in JS). */
function firstNonFiniteTensor(tensors: Map<string, Tensor>): { name: string; value: 'NaN' | 'Inf' } | null {
  for (const [name, t] of tensors) {
    if (!isFloatingPoint(t.dtype)) continue;
    const verdict = tidy(() => (t.isfinite().all().item() ? null : t.isnan().any().item() ? 'NaN' : 'Inf'));
    if (verdict) return { name, value: verdict };
  }
  return null;
}

/**
 * Reads a safetensors file into new tensors (owned by the caller: dispose them, or load them into a
 * module and dispose). `device` moves them after loading. A file written by OneMark carries a
 * digest that is checked here, so a damaged file is an error naming it, never silent garbage; the
 * digest is not part of the returned metadata.
 */
export function loadSafetensors(
  file: string,
  opts: LoadSafetensorsOptions = {},
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { tensors: recs, metadata: stored } = readSafetensorsFile(file);
  const { [DIGEST_KEY]: digest, ...metadata } = stored;
  if (digest !== undefined && digest !== contentDigest(recs, metadata)) {
    throw new SafetensorsError(
      file,
      'checksum mismatch: the file was damaged after it was written (disk, copy or edit); retrain or restore it from a backup',
    );
  }
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, rec] of recs) tensors.set(name, recordToTensor(rec, opts));
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw new SafetensorsError(file, `cannot create tensors: ${(e as Error).message}`);
  }
  if (opts.requireFinite ?? true) {
    const problem = firstNonFiniteTensor(tensors);
    if (problem) {
      for (const t of tensors.values()) t.dispose();
      throw new SafetensorsError(
        file,
        `tensor "${problem.name}" holds ${problem.value}: the model diverged or the file is damaged, and would predict garbage`,
      );
    }
  }
  return { tensors, metadata };
}
