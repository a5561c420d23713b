/**
 * The Tensor class: a thin wrapper around one native handle (see native/src/common.h).
 *
 * Cheap by design: constructing one stores a number and registers it with the current scope;
 * shape/dtype/device are read from native once, on first use, and cached (no op here changes them
 * in place). Method names mirror PyTorch in camelCase; a `number` is accepted wherever PyTorch
 * takes a scalar. Every op returns a new Tensor except the in-place ones (trailing `_`), which
 * return `this`.
 */
import {
  BYTES_PER_ELEMENT,
  dtypeCode,
  dtypeFromCode,
  isDType,
  type AnyTypedArray,
  type DType,
  type TypedArrayFor,
} from './dtype';
import { checkDevice, type Device } from './device';
import { native as N, type Handle } from './native';
import { disposeOne, track, TENSOR_BRAND } from './scope';

export type { DType } from './dtype';
export type { Device } from './device';

export type Shape = readonly number[];

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

/** Data Tensor.from accepts; number[] is read as float64 and converted to opts.dtype (default float32). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Int16Array
  | Uint16Array
  | number[];

export type NestedNumbers = number | NestedNumbers[];

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

/** A tensor (handle) or null when absent, as the native optional-tensor arguments expect. */
const opt = (t: Tensor | null | undefined): Handle | null => (t ? t._h : null);

const handles = (ts: readonly Tensor[]): Handle[] => {
  const out = new Array<Handle>(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i]._h;
  return out;
};

function shapeOf(shape: Shape | number): readonly number[] {
  return typeof shape === 'number' ? [shape] : shape;
}

export class Tensor {
  /** @internal native handle; -1 once disposed. */
  _h: Handle;
  /** @internal exempt from tidy scopes (keep()). */
  _kept = false;
  /** @internal [dtypeCode, device, ...shape], read lazily. */
  /** [dtype code, device, ...shape], read once from the addon. */
  private _meta: (number | string)[] | null = null;

  /** @internal Wraps a fresh native handle; use the static factories instead. */
  constructor(handle: Handle) {
    this._h = handle;
    track(this);
  }

  /** @internal Wraps a handle returned by native, or null. */
  static _wrap(h: Handle | null): Tensor | null {
    return h === null ? null : new Tensor(h);
  }

  // ------------------------------------------------------------------------------------------
  // Factories

  static zeros(shape: Shape | number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.zeros(shapeOf(shape), dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  static ones(shape: Shape | number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.ones(shapeOf(shape), dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** Uninitialised memory: only for tensors that are fully overwritten next. */
  static empty(shape: Shape | number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.empty(shapeOf(shape), dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** Filled with value; float32 unless opts.dtype says otherwise. */
  static full(shape: Shape | number, value: number | boolean, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.full(shapeOf(shape), value, dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** [start, end) by step; int64 when all three are integers and no dtype is given (as PyTorch). */
  static arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
    if (end === undefined) [start, end] = [0, start];
    return new Tensor(N.arange(start, end, step, dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  static linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.linspace(start, end, steps, dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  static eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.eye(n, m, dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** Uniform [0, 1) from libtorch's generator (seeded by seed(n)). */
  static rand(shape: Shape | number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.rand(shapeOf(shape), dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** Standard normal from libtorch's generator (seeded by seed(n)). */
  static randn(shape: Shape | number, opts: TensorOptions = {}): Tensor {
    return new Tensor(N.randn(shapeOf(shape), dtypeCode(opts.dtype), opts.device, opts.requiresGrad));
  }
  /** Integers in [low, high), int64 unless opts.dtype says otherwise. */
  static randint(
    low: number,
    high: number,
    shape: Shape | number,
    opts: Omit<TensorOptions, 'requiresGrad'> = {},
  ): Tensor {
    return new Tensor(N.randint(low, high, shapeOf(shape), dtypeCode(opts.dtype), opts.device));
  }
  /** A random permutation of 0..n-1 (int64). */
  static randperm(n: number, opts: Omit<TensorOptions, 'requiresGrad'> = {}): Tensor {
    return new Tensor(N.randperm(n, dtypeCode(opts.dtype), opts.device));
  }
  /** A 0-d tensor. */
  static scalar(value: number | boolean, opts: Omit<TensorOptions, 'requiresGrad'> = {}): Tensor {
    return new Tensor(N.scalarTensor(value, dtypeCode(opts.dtype), opts.device));
  }

  /**
   * Copies data into a new tensor. The source dtype follows the array type (number[] is float64,
   * Uint16Array int32); opts.dtype converts (default: float32 for number[], else the source type,
   * int32 for Uint16Array). shape defaults to [data.length].
   */
  static from(data: TensorData, shape?: Shape | number, opts: TensorOptions = {}): Tensor {
    let src: ArrayBufferView;
    let srcType: DType;
    let dflt: DType;
    if (Array.isArray(data)) {
      src = Float64Array.from(data);
      srcType = 'float64';
      dflt = 'float32';
    } else if (data instanceof Float32Array) [src, srcType, dflt] = [data, 'float32', 'float32'];
    else if (data instanceof Float64Array) [src, srcType, dflt] = [data, 'float64', 'float64'];
    else if (data instanceof Int32Array) [src, srcType, dflt] = [data, 'int32', 'int32'];
    else if (data instanceof BigInt64Array) [src, srcType, dflt] = [data, 'int64', 'int64'];
    else if (data instanceof Uint8Array || data instanceof Uint8ClampedArray)
      [src, srcType, dflt] = [data, 'uint8', 'uint8'];
    else if (data instanceof Int8Array) [src, srcType, dflt] = [data, 'int8', 'int8'];
    else if (data instanceof Int16Array) [src, srcType, dflt] = [data, 'int16', 'int16'];
    else if (data instanceof Uint16Array) [src, srcType, dflt] = [Int32Array.from(data), 'int32', 'int32'];
    else throw new TypeError(`Tensor.from: unsupported data type ${Object.prototype.toString.call(data)}`);
    const length = (data as { length: number }).length;
    const dims = shape === undefined ? [length] : shapeOf(shape);
    return new Tensor(
      N.fromBuffer(
        src,
        dims,
        dtypeCode(srcType),
        dtypeCode(opts.dtype ?? dflt),
        opts.device,
        opts.requiresGrad,
      ),
    );
  }

  /** Raw little-endian bytes of dtype, contiguous (safetensors). */
  static fromBytes(
    bytes: Uint8Array,
    shape: Shape | number,
    dtype: DType,
    opts: Omit<TensorOptions, 'dtype'> = {},
  ): Tensor {
    const code = dtypeCode(dtype);
    return new Tensor(N.fromBuffer(bytes, shapeOf(shape), code, code, opts.device, opts.requiresGrad));
  }

  static zerosLike(t: Tensor, dtype?: DType): Tensor {
    return new Tensor(N.zerosLike(t._h, dtypeCode(dtype)));
  }
  static onesLike(t: Tensor, dtype?: DType): Tensor {
    return new Tensor(N.onesLike(t._h, dtypeCode(dtype)));
  }
  static fullLike(t: Tensor, value: number | boolean, dtype?: DType): Tensor {
    return new Tensor(N.fullLike(t._h, value, dtypeCode(dtype)));
  }
  static randLike(t: Tensor, dtype?: DType): Tensor {
    return new Tensor(N.randLike(t._h, dtypeCode(dtype)));
  }
  static randnLike(t: Tensor, dtype?: DType): Tensor {
    return new Tensor(N.randnLike(t._h, dtypeCode(dtype)));
  }
  static emptyLike(t: Tensor, dtype?: DType): Tensor {
    return new Tensor(N.emptyLike(t._h, dtypeCode(dtype)));
  }

  // ------------------------------------------------------------------------------------------
  // Static combinators

  static cat(list: readonly Tensor[], dim = 0): Tensor {
    return new Tensor(N.cat(handles(list), dim));
  }
  static stack(list: readonly Tensor[], dim = 0): Tensor {
    return new Tensor(N.stack(handles(list), dim));
  }
  static einsum(equation: string, list: readonly Tensor[]): Tensor {
    return new Tensor(N.einsum(equation, handles(list)));
  }
  /** Elementwise cond ? a : b; a and b may be numbers. */
  static where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
    const as = typeof a === 'number';
    const bs = typeof b === 'number';
    return new Tensor(N.where(cond._h, as ? a : a._h, as, bs ? b : b._h, bs));
  }
  static meshgrid(list: readonly Tensor[], indexing: 'ij' | 'xy' = 'ij'): Tensor[] {
    return (N.meshgrid(handles(list), indexing) as Handle[]).map((h) => new Tensor(h));
  }

  // ------------------------------------------------------------------------------------------
  // Properties

  private meta(): (number | string)[] {
    if (this._meta === null) this._meta = N.meta(this._h) as (number | string)[];
    return this._meta;
  }
  get shape(): number[] {
    return this.meta().slice(2) as number[];
  }
  /** Size of one dim (negative counts from the end). */
  size(dim: number): number {
    const m = this.meta();
    const nd = m.length - 2;
    const d = dim < 0 ? dim + nd : dim;
    if (d < 0 || d >= nd) throw new RangeError(`size(${dim}): dim out of range for a ${nd}-D tensor`);
    return m[2 + d] as number;
  }
  get dtype(): DType {
    return dtypeFromCode(this.meta()[0] as number);
  }
  get device(): Device {
    return this.meta()[1] as Device;
  }
  get ndim(): number {
    return this.meta().length - 2;
  }
  get numel(): number {
    const m = this.meta();
    let n = 1;
    for (let i = 2; i < m.length; i++) n *= m[i] as number;
    return n;
  }
  get requiresGrad(): boolean {
    return N.requiresGrad(this._h) as boolean;
  }
  get isLeaf(): boolean {
    return N.isLeaf(this._h) as boolean;
  }
  get isContiguous(): boolean {
    return N.isContiguous(this._h) as boolean;
  }
  get isDisposed(): boolean {
    return this._h < 0;
  }
  /** The accumulated gradient (a new handle to it each time: dispose or tidy it), or null. */
  get grad(): Tensor | null {
    return Tensor._wrap(N.grad(this._h));
  }
  set grad(g: Tensor | null) {
    N.setGrad(this._h, opt(g));
  }

  toString(): string {
    if (this._h < 0) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ------------------------------------------------------------------------------------------
  // Out

  /** A copy as the dtype's typed array (float16/bfloat16 widen to Float32Array, bool is Uint8Array). */
  toArray(): AnyTypedArray {
    const dt = this.dtype;
    if (dt === 'float16' || dt === 'bfloat16') return this.toFloat32Array();
    const buf = N.toBuffer(this._h) as ArrayBuffer;
    switch (dt) {
      case 'float32':
        return new Float32Array(buf);
      case 'float64':
        return new Float64Array(buf);
      case 'int64':
        return new BigInt64Array(buf);
      case 'int32':
        return new Int32Array(buf);
      case 'int8':
        return new Int8Array(buf);
      case 'int16':
        return new Int16Array(buf);
      default:
        return new Uint8Array(buf);
    }
  }
  /** toArray with the result type fixed by the dtype you expect (checked). */
  toTypedArray<D extends DType>(dtype: D): TypedArrayFor[D] {
    if (this.dtype !== dtype) throw new TypeError(`toTypedArray('${dtype}') on a ${this.dtype} tensor`);
    return this.toArray() as TypedArrayFor[D];
  }
  /** A Float32Array copy, converting from any dtype. */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return new Float32Array(N.toBuffer(this._h) as ArrayBuffer);
    const h = N.to(this._h, dtypeCode('float32'), null, false) as Handle;
    try {
      return new Float32Array(N.toBuffer(h) as ArrayBuffer);
    } finally {
      N.free(h);
    }
  }
  /** Raw contiguous bytes in the tensor's dtype (little-endian). */
  toBytes(): Uint8Array {
    return new Uint8Array(N.toBuffer(this._h) as ArrayBuffer);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return N.item(this._h) as number;
  }
  /** Nested arrays of numbers (int64 converted with Number()). For small tensors. */
  toList(): NestedNumbers {
    const shape = this.shape;
    const arr = this.toArray();
    const flat: number[] =
      arr instanceof BigInt64Array ? Array.from(arr, Number) : Array.from(arr as ArrayLike<number>);
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (d: number): NestedNumbers[] => {
      const out: NestedNumbers[] = [];
      for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[pos++] : build(d + 1));
      return out;
    };
    return build(0);
  }
  /** Bytes held by this tensor's elements (numel x element size). */
  get nbytes(): number {
    return this.numel * BYTES_PER_ELEMENT[this.dtype];
  }

  // ------------------------------------------------------------------------------------------
  // Memory

  /** Releases the native tensor now. Idempotent. */
  dispose(): void {
    disposeOne(this);
  }
  [Symbol.dispose](): void {
    disposeOne(this);
  }

  // ------------------------------------------------------------------------------------------
  // Conversion

  /** To a device ('cpu', 'cuda', 'cuda:N') or dtype; returns a new handle even when nothing changes. */
  to(target: Device | DType, opts: { copy?: boolean } = {}): Tensor {
    if (isDType(target)) return new Tensor(N.to(this._h, dtypeCode(target), null, opts.copy ?? false));
    return new Tensor(N.to(this._h, -1, checkDevice(target), opts.copy ?? false));
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index?: number): Tensor {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  bf16(): Tensor {
    return this.to('bfloat16');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  clone(): Tensor {
    return new Tensor(N.clone(this._h));
  }
  contiguous(): Tensor {
    return new Tensor(N.contiguous(this._h));
  }
  /** The same (N, C, H, W) values stored NHWC: convs on oneDNN/cuDNN skip their layout changes. */
  channelsLast(): Tensor {
    return new Tensor(N.channelsLast(this._h));
  }
  get isChannelsLast(): boolean {
    return N.isChannelsLast(this._h) as boolean;
  }

  // ------------------------------------------------------------------------------------------
  // Arithmetic

  add(other: Tensor | number, alpha?: number): Tensor {
    return new Tensor(
      typeof other === 'number' ? N.addS(this._h, other, alpha) : N.add(this._h, other._h, alpha),
    );
  }
  sub(other: Tensor | number, alpha?: number): Tensor {
    return new Tensor(
      typeof other === 'number' ? N.subS(this._h, other, alpha) : N.sub(this._h, other._h, alpha),
    );
  }
  /** other - this */
  rsub(other: number): Tensor {
    return new Tensor(N.rsubS(this._h, other));
  }
  mul(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.mulS(this._h, other) : N.mul(this._h, other._h));
  }
  div(other: Tensor | number, roundingMode?: 'trunc' | 'floor'): Tensor {
    return new Tensor(
      typeof other === 'number'
        ? N.divS(this._h, other, roundingMode)
        : N.div(this._h, other._h, roundingMode),
    );
  }
  /** other / this */
  rdiv(other: number): Tensor {
    return new Tensor(N.rdivS(this._h, other));
  }
  pow(exponent: Tensor | number): Tensor {
    return new Tensor(typeof exponent === 'number' ? N.powS(this._h, exponent) : N.pow(this._h, exponent._h));
  }
  /** base ** this */
  rpow(base: number): Tensor {
    return new Tensor(N.rpowS(this._h, base));
  }
  remainder(other: Tensor | number): Tensor {
    return new Tensor(
      typeof other === 'number' ? N.remainderS(this._h, other) : N.remainder(this._h, other._h),
    );
  }
  fmod(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.fmodS(this._h, other) : N.fmod(this._h, other._h));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(N.maximum(this._h, other._h));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(N.minimum(this._h, other._h));
  }
  atan2(other: Tensor): Tensor {
    return new Tensor(N.atan2(this._h, other._h));
  }
  lerp(end: Tensor, weight: Tensor | number): Tensor {
    return new Tensor(
      typeof weight === 'number' ? N.lerp(this._h, end._h, weight) : N.lerpT(this._h, end._h, weight._h),
    );
  }
  /** this + value * a * b */
  addcmul(a: Tensor, b: Tensor, value = 1): Tensor {
    return new Tensor(N.addcmul(this._h, a._h, b._h, value));
  }
  /** this + value * a / b */
  addcdiv(a: Tensor, b: Tensor, value = 1): Tensor {
    return new Tensor(N.addcdiv(this._h, a._h, b._h, value));
  }
  neg(): Tensor {
    return new Tensor(N.neg(this._h));
  }
  exp(): Tensor {
    return new Tensor(N.exp(this._h));
  }
  exp2(): Tensor {
    return new Tensor(N.exp2(this._h));
  }
  expm1(): Tensor {
    return new Tensor(N.expm1(this._h));
  }
  log(): Tensor {
    return new Tensor(N.log(this._h));
  }
  log2(): Tensor {
    return new Tensor(N.log2(this._h));
  }
  log10(): Tensor {
    return new Tensor(N.log10(this._h));
  }
  log1p(): Tensor {
    return new Tensor(N.log1p(this._h));
  }
  sqrt(): Tensor {
    return new Tensor(N.sqrt(this._h));
  }
  rsqrt(): Tensor {
    return new Tensor(N.rsqrt(this._h));
  }
  square(): Tensor {
    return new Tensor(N.square(this._h));
  }
  abs(): Tensor {
    return new Tensor(N.abs(this._h));
  }
  sign(): Tensor {
    return new Tensor(N.sign(this._h));
  }
  floor(): Tensor {
    return new Tensor(N.floor(this._h));
  }
  ceil(): Tensor {
    return new Tensor(N.ceil(this._h));
  }
  round(): Tensor {
    return new Tensor(N.round(this._h));
  }
  trunc(): Tensor {
    return new Tensor(N.trunc(this._h));
  }
  frac(): Tensor {
    return new Tensor(N.frac(this._h));
  }
  reciprocal(): Tensor {
    return new Tensor(N.reciprocal(this._h));
  }
  sin(): Tensor {
    return new Tensor(N.sin(this._h));
  }
  cos(): Tensor {
    return new Tensor(N.cos(this._h));
  }
  tan(): Tensor {
    return new Tensor(N.tan(this._h));
  }
  asin(): Tensor {
    return new Tensor(N.asin(this._h));
  }
  acos(): Tensor {
    return new Tensor(N.acos(this._h));
  }
  atan(): Tensor {
    return new Tensor(N.atan(this._h));
  }
  sinh(): Tensor {
    return new Tensor(N.sinh(this._h));
  }
  cosh(): Tensor {
    return new Tensor(N.cosh(this._h));
  }
  tanh(): Tensor {
    return new Tensor(N.tanh(this._h));
  }
  sigmoid(): Tensor {
    return new Tensor(N.sigmoid(this._h));
  }
  relu(): Tensor {
    return new Tensor(N.relu(this._h));
  }
  erf(): Tensor {
    return new Tensor(N.erf(this._h));
  }
  erfinv(): Tensor {
    return new Tensor(N.erfinv(this._h));
  }
  /** Clamps to [min, max]; either bound may be omitted (null/undefined). Tensor bounds allowed. */
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor {
    if (typeof min === 'object' && min !== null)
      return new Tensor(N.clampT(this._h, min._h, max instanceof Tensor ? max._h : null));
    if (max instanceof Tensor) return new Tensor(N.clampT(this._h, null, max._h));
    return new Tensor(N.clamp(this._h, min ?? null, max ?? null));
  }
  clampMin(min: number): Tensor {
    return this.clamp(min, null);
  }
  clampMax(max: number): Tensor {
    return this.clamp(null, max);
  }
  isnan(): Tensor {
    return new Tensor(N.isnan(this._h));
  }
  isinf(): Tensor {
    return new Tensor(N.isinf(this._h));
  }
  isfinite(): Tensor {
    return new Tensor(N.isfinite(this._h));
  }

  // ------------------------------------------------------------------------------------------
  // Comparison and logic (bool results)

  eq(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.eqS(this._h, other) : N.eq(this._h, other._h));
  }
  ne(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.neS(this._h, other) : N.ne(this._h, other._h));
  }
  lt(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.ltS(this._h, other) : N.lt(this._h, other._h));
  }
  le(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.leS(this._h, other) : N.le(this._h, other._h));
  }
  gt(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.gtS(this._h, other) : N.gt(this._h, other._h));
  }
  ge(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? N.geS(this._h, other) : N.ge(this._h, other._h));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(N.logicalAnd(this._h, other._h));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(N.logicalOr(this._h, other._h));
  }
  logicalXor(other: Tensor): Tensor {
    return new Tensor(N.logicalXor(this._h, other._h));
  }
  logicalNot(): Tensor {
    return new Tensor(N.logicalNot(this._h));
  }
  /** this where cond, else other. */
  where(cond: Tensor, other: Tensor | number): Tensor {
    return Tensor.where(cond, this, other);
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): boolean {
    return N.allclose(this._h, other._h, rtol, atol, equalNan) as boolean;
  }
  isclose(other: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): Tensor {
    return new Tensor(N.isclose(this._h, other._h, rtol, atol, equalNan));
  }
  /** Same shape and values. */
  equal(other: Tensor): boolean {
    return N.equal(this._h, other._h) as boolean;
  }
  nonzero(): Tensor {
    return new Tensor(N.nonzero(this._h));
  }

  // ------------------------------------------------------------------------------------------
  // Linear algebra

  matmul(other: Tensor): Tensor {
    return new Tensor(N.matmul(this._h, other._h));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(N.mm(this._h, other._h));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(N.bmm(this._h, other._h));
  }
  dot(other: Tensor): Tensor {
    return new Tensor(N.dot(this._h, other._h));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(N.outer(this._h, other._h));
  }
  /** beta * this + alpha * (b1 @ b2), batched. */
  baddbmm(b1: Tensor, b2: Tensor, beta = 1, alpha = 1): Tensor {
    return new Tensor(N.baddbmm(this._h, b1._h, b2._h, beta, alpha));
  }
  inverse(): Tensor {
    return new Tensor(N.inverse(this._h));
  }
  det(): Tensor {
    return new Tensor(N.det(this._h));
  }
  trace(): Tensor {
    return new Tensor(N.trace(this._h));
  }

  // ------------------------------------------------------------------------------------------
  // Reductions

  sum(dims?: number | readonly number[] | null, keepdim = false, dtype?: DType): Tensor {
    return new Tensor(N.sum(this._h, dims ?? null, keepdim, dtypeCode(dtype)));
  }
  mean(dims?: number | readonly number[] | null, keepdim = false, dtype?: DType): Tensor {
    return new Tensor(N.mean(this._h, dims ?? null, keepdim, dtypeCode(dtype)));
  }
  prod(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.prod(this._h, dim ?? null, keepdim));
  }
  std(dims?: number | readonly number[] | null, unbiased = true, keepdim = false): Tensor {
    return new Tensor(N.std(this._h, dims ?? null, unbiased, keepdim));
  }
  var(dims?: number | readonly number[] | null, unbiased = true, keepdim = false): Tensor {
    return new Tensor(N.var(this._h, dims ?? null, unbiased, keepdim));
  }
  /** Without dim: the maximum (0-d). With dim: {values, indices} along it. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(N.max(this._h));
    const [v, i] = N.maxDim(this._h, dim, keepdim) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(N.min(this._h));
    const [v, i] = N.minDim(this._h, dim, keepdim) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  amax(dims: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.amax(this._h, dims, keepdim));
  }
  amin(dims: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.amin(this._h, dims, keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmax(this._h, dim ?? null, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmin(this._h, dim ?? null, keepdim));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = N.topk(this._h, k, dim, largest, sorted) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = N.sort(this._h, dim, descending) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argsort(dim = -1, descending = false): Tensor {
    return new Tensor(N.argsort(this._h, dim, descending));
  }
  cumsum(dim: number, dtype?: DType): Tensor {
    return new Tensor(N.cumsum(this._h, dim, dtypeCode(dtype)));
  }
  cumprod(dim: number, dtype?: DType): Tensor {
    return new Tensor(N.cumprod(this._h, dim, dtypeCode(dtype)));
  }
  logsumexp(dims: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.logsumexp(this._h, dims, keepdim));
  }
  /** p-norm over dims (all when omitted); p may be Infinity. */
  norm(p = 2, dims?: number | readonly number[] | null, keepdim = false): Tensor {
    return new Tensor(N.norm(this._h, p, dims ?? null, keepdim));
  }
  all(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.all(this._h, dim ?? null, keepdim));
  }
  any(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.any(this._h, dim ?? null, keepdim));
  }
  countNonzero(dims?: number | readonly number[]): Tensor {
    return new Tensor(N.countNonzero(this._h, dims ?? null));
  }

  // ------------------------------------------------------------------------------------------
  // Shape and indexing

  reshape(shape: Shape): Tensor {
    return new Tensor(N.reshape(this._h, shape));
  }
  /** Like reshape, but never copies (fails on incompatible strides). */
  view(shape: Shape): Tensor {
    return new Tensor(N.view(this._h, shape));
  }
  permute(dims: readonly number[]): Tensor {
    return new Tensor(N.permute(this._h, dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(N.transpose(this._h, dim0, dim1));
  }
  /** Transpose of a 2-D tensor. */
  t(): Tensor {
    return this.transpose(0, 1);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this._h, dim, start, length));
  }
  /** this[start:end:step] along dim (a view); start/end may be negative or omitted. */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(N.slice(this._h, dim, start ?? null, end ?? null, step));
  }
  /** Index along dim, dropping it (a view). */
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this._h, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.indexSelect(this._h, dim, index._h));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this._h, dim, index._h));
  }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return new Tensor(
      typeof src === 'number'
        ? N.scatterS(this._h, dim, index._h, src)
        : N.scatter(this._h, dim, index._h, src._h),
    );
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatterAdd(this._h, dim, index._h, src._h));
  }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.indexAdd(this._h, dim, index._h, src._h));
  }
  maskedFill(mask: Tensor, value: number | boolean): Tensor {
    return new Tensor(N.maskedFill(this._h, mask._h, value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(N.maskedSelect(this._h, mask._h));
  }
  /** Advanced indexing this[i0, i1, ...] with index tensors; null stands for ':'. */
  index(indices: readonly (Tensor | null)[]): Tensor {
    return new Tensor(N.index(this._h, indices.map(opt)));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(N.squeeze(this._h, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(N.unsqueeze(this._h, dim));
  }
  expand(shape: Shape): Tensor {
    return new Tensor(N.expand(this._h, shape));
  }
  expandAs(other: Tensor): Tensor {
    return new Tensor(N.expandAs(this._h, other._h));
  }
  broadcastTo(shape: Shape): Tensor {
    return new Tensor(N.broadcastTo(this._h, shape));
  }
  flip(dims: number | readonly number[]): Tensor {
    return new Tensor(N.flip(this._h, dims));
  }
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return new Tensor(N.roll(this._h, shifts, dims ?? null));
  }
  repeat(repeats: readonly number[]): Tensor {
    return new Tensor(N.repeat(this._h, repeats));
  }
  repeatInterleave(repeats: number, dim?: number): Tensor {
    return new Tensor(N.repeatInterleave(this._h, repeats, dim ?? null));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(N.flatten(this._h, startDim, endDim));
  }
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return new Tensor(N.unflatten(this._h, dim, sizes));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(N.tril(this._h, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(N.triu(this._h, diagonal));
  }
  diag(diagonal = 0): Tensor {
    return new Tensor(N.diag(this._h, diagonal));
  }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    return new Tensor(N.diagonal(this._h, offset, dim1, dim2));
  }
  /** Pieces of `size` along dim (or of the given sizes). */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return (N.split(this._h, size, dim) as Handle[]).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return (N.chunk(this._h, chunks, dim) as Handle[]).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return (N.unbind(this._h, dim) as Handle[]).map((h) => new Tensor(h));
  }

  // ------------------------------------------------------------------------------------------
  // In place (return this)

  add_(other: Tensor | number, alpha?: number): this {
    if (typeof other === 'number') N.addS_(this._h, other, alpha);
    else N.add_(this._h, other._h, alpha);
    return this;
  }
  sub_(other: Tensor | number, alpha?: number): this {
    if (typeof other === 'number') N.subS_(this._h, other, alpha);
    else N.sub_(this._h, other._h, alpha);
    return this;
  }
  mul_(other: Tensor | number): this {
    if (typeof other === 'number') N.mulS_(this._h, other);
    else N.mul_(this._h, other._h);
    return this;
  }
  div_(other: Tensor | number): this {
    if (typeof other === 'number') N.divS_(this._h, other);
    else N.div_(this._h, other._h);
    return this;
  }
  pow_(exponent: number): this {
    N.pow_(this._h, exponent);
    return this;
  }
  zero_(): this {
    N.zero_(this._h);
    return this;
  }
  fill_(value: number | boolean): this {
    N.fill_(this._h, value);
    return this;
  }
  copy_(src: Tensor): this {
    N.copy_(this._h, src._h);
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    N.clamp_(this._h, min ?? null, max ?? null);
    return this;
  }
  neg_(): this {
    N.neg_(this._h);
    return this;
  }
  sqrt_(): this {
    N.sqrt_(this._h);
    return this;
  }
  exp_(): this {
    N.exp_(this._h);
    return this;
  }
  abs_(): this {
    N.abs_(this._h);
    return this;
  }
  relu_(): this {
    N.relu_(this._h);
    return this;
  }
  sigmoid_(): this {
    N.sigmoid_(this._h);
    return this;
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    N.addcmul_(this._h, a._h, b._h, value);
    return this;
  }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    N.addcdiv_(this._h, a._h, b._h, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    N.lerp_(this._h, end._h, weight);
    return this;
  }
  maskedFill_(mask: Tensor, value: number | boolean): this {
    N.maskedFill_(this._h, mask._h, value);
    return this;
  }
  /** this[indices] = values (or += with accumulate); null in indices stands for ':'. */
  indexPut_(indices: readonly (Tensor | null)[], values: Tensor, accumulate = false): this {
    N.indexPut_(this._h, indices.map(opt), values._h, accumulate);
    return this;
  }
  /** Fills from U[low, high) with libtorch's generator. */
  uniform_(low = 0, high = 1): this {
    N.uniform_(this._h, low, high);
    return this;
  }
  /** Fills from N(mean, std²) with libtorch's generator. */
  normal_(mean = 0, std = 1): this {
    N.normal_(this._h, mean, std);
    return this;
  }
  bernoulli_(p = 0.5): this {
    N.bernoulli_(this._h, p);
    return this;
  }

  // ------------------------------------------------------------------------------------------
  // Autograd

  requiresGrad_(requiresGrad = true): this {
    N.requiresGrad_(this._h, requiresGrad);
    return this;
  }
  /** Backpropagates from this tensor (a scalar unless grad is given). */
  backward(grad?: Tensor | null, opts: BackwardOptions = {}): void {
    N.backward(this._h, opt(grad), opts.retainGraph ?? null, opts.createGraph ?? false);
  }
  /** Drops the gradient (setToNone, the default) or zeroes it in place. */
  zeroGrad(setToNone = true): void {
    N.zeroGrad(this._h, setToNone);
  }
  /** A new tensor sharing storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(N.detach(this._h));
  }
  detach_(): this {
    N.detach_(this._h);
    return this;
  }
  /** Keep .grad for this non-leaf tensor after backward. */
  retainGrad(): this {
    N.retainGrad(this._h);
    return this;
  }
}

// Scopes recognise tensors (inside returned values) by this brand, without importing the class.
(Tensor.prototype as unknown as Record<symbol, boolean>)[TENSOR_BRAND] = true;
