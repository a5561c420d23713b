/**
 * Element types. The numeric codes are shared with native/src/common.h (DTypeCode); keep both in step.
 */
export type DType =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool' | 'int8' | 'int16';

/** Index = native code. */
export const DTYPES: readonly DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'uint8',
  'bool',
  'int8',
  'int16',
];

const CODES: Record<DType, number> = Object.fromEntries(DTYPES.map((d, i) => [d, i])) as Record<
  DType,
  number
>;

export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && v in CODES;
}

/** Native code of a dtype; -1 for undefined (libtorch's default). Throws for an unknown name. */
export function dtypeCode(d: DType | undefined): number {
  if (d === undefined) return -1;
  const c = CODES[d];
  if (c === undefined)
    throw new TypeError(`unknown dtype '${String(d)}' (expected one of ${DTYPES.join(', ')})`);
  return c;
}

export function dtypeFromCode(code: number): DType {
  const d = DTYPES[code];
  if (d === undefined) throw new Error(`native returned an unknown dtype code ${code}`);
  return d;
}

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
  int8: 1,
  int16: 2,
};

export function isFloatingPoint(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** What toArray() returns for each dtype (16-bit floats widen to Float32Array). */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  float16: Float32Array;
  bfloat16: Float32Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
}
export type AnyTypedArray = TypedArrayFor[DType];
