/**
 * Deterministic memory management for tensors: tidy scopes, keep, dispose, and a
 * FinalizationRegistry as the last resort for tensors that escape every scope and are forgotten.
 *
 * Each JS tensor owns one native handle; freeing the handle drops libtorch's reference at once, so
 * intermediates of a training step are released when its tidy() ends, not when V8 collects.
 * Scopes are synchronous: tidy(fn) with an async fn throws (tensors created after an await would
 * land in whatever scope is open then).
 */
import { native, type Handle } from './native';

/** What a scope needs of a tensor (implemented by Tensor; kept structural to avoid an import cycle). */
export interface Tracked {
  /** Native handle; -1 once disposed. */
  _h: Handle;
  /** Exempt from scopes (keep()). */
  _kept: boolean;
}

/** Brand set on Tensor.prototype so scopes can find tensors inside returned values. */
export const TENSOR_BRAND: unique symbol = Symbol.for('onemark.engine.Tensor');

function isTracked(v: unknown): v is Tracked {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[TENSOR_BRAND] === true;
}

// Frees what nobody disposed. The held value is the handle; a handle already freed (or reused for
// another tensor since) fails the native generation check, so a late callback is harmless.
const registry = new FinalizationRegistry<Handle>((h) => {
  try {
    native.free(h);
  } catch {
    // never throw from a finalizer
  }
});

/** Called by the Tensor constructor: puts the tensor into the innermost scope, or under the registry. */
export function track(t: Tracked): void {
  const n = frames.length;
  if (n > 0) frames[n - 1].push(t);
  else registry.register(t, t._h);
}

const frames: Tracked[][] = [];

function collect(v: unknown, out: Set<Tracked>, depth: number): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (isTracked(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collect(x, out, depth + 1);
    return;
  }
  if (v instanceof Map) {
    for (const x of v.values()) collect(x, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null)
    for (const x of Object.values(v)) collect(x, out, depth + 1);
}

function freeFrame(frame: Tracked[], escaping: Set<Tracked> | null): void {
  const parent = frames.length > 0 ? frames[frames.length - 1] : null;
  const toFree: Handle[] = [];
  for (const t of frame) {
    if (t._h < 0 || t._kept) continue;
    if (escaping !== null && escaping.has(t)) {
      if (parent) parent.push(t);
      else registry.register(t, t._h);
    } else {
      toFree.push(t._h);
      t._h = -1;
    }
  }
  if (toFree.length === 1) native.free(toFree[0]);
  else if (toFree.length > 1) native.freeMany(toFree);
}

/**
 * Runs fn and disposes every tensor created inside it, except those in its return value (a Tensor,
 * or arrays / plain objects / Maps of them), which move to the enclosing scope. Nests. If fn throws,
 * everything created inside is disposed and the error propagates.
 */
export function tidy<T>(fn: () => T): T {
  const frame: Tracked[] = [];
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    frames.pop();
    freeFrame(frame, null);
    throw e;
  }
  frames.pop();
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as { then?: unknown }).then === 'function'
  ) {
    freeFrame(frame, null);
    throw new Error(
      'tidy() needs a synchronous function: tensors created after an await would escape the scope. Use tidy inside the async code instead.',
    );
  }
  let escaping: Set<Tracked> | null = null;
  if (result !== null && typeof result === 'object') {
    escaping = new Set();
    collect(result, escaping, 0);
  }
  freeFrame(frame, escaping);
  return result;
}

/** Exempts a tensor from every enclosing scope; it then lives until disposed (or collected). */
export function keep<T extends Tracked>(t: T): T {
  if (t._h < 0) throw new Error('keep(): the tensor was already disposed');
  if (!t._kept) {
    t._kept = true;
    if (frames.length > 0) registry.register(t, t._h);
  }
  return t;
}

/** Disposes a tensor, or every tensor in an array / plain object / Map. Disposing twice is a no-op. */
export function dispose(v: unknown): void {
  const found = new Set<Tracked>();
  collect(v, found, 0);
  const toFree: Handle[] = [];
  for (const t of found) {
    if (t._h >= 0) {
      toFree.push(t._h);
      t._h = -1;
    }
  }
  if (toFree.length) native.freeMany(toFree);
}

/** Disposes one tensor's handle (Tensor.dispose uses this). */
export function disposeOne(t: Tracked): void {
  if (t._h >= 0) {
    const h = t._h;
    t._h = -1;
    native.free(h);
  }
}

/** Tensors (native handles) not yet disposed, process-wide. */
export function liveTensors(): number {
  return native.liveTensors() as number;
}

/** How many tidy scopes are open (for diagnostics and tests). */
export function scopeDepth(): number {
  return frames.length;
}
