/**
 * Module: the base of every layer and network, modelled on torch.nn.Module so that parameter and
 * state-dict names are PyTorch's for the same architecture (weights move both ways by name).
 *
 * Children and parameters are found by looking at the module's own properties: assigning
 * `this.conv = new Conv2d(...)` or `this.weight = Parameter(t)` registers them, in property order.
 * Buffers are plain tensors, so they are registered explicitly with registerBuffer(). Properties
 * whose name starts with '_' are private bookkeeping and never scanned.
 */
import { Tensor, noGrad, keep, type Device, type DType } from '../index';
import { Parameter, isParameter } from './parameter';

export type StateDict = Map<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  training = true;
  /** Buffer attribute names -> persistent (saved in the state dict). */
  private readonly _bufferNames = new Map<string, boolean>();
  /** Buffer names a state dict may omit on load (e.g. BatchNorm's num_batches_tracked, absent in old files). */
  protected readonly _optionalBuffers = new Set<string>();

  abstract forward(...args: never[]): unknown;

  /**
   * The module's fields by name: parameters, buffers and children are plain properties (as in
   * PyTorch), so registration and traversal address them by their string names.
   */
  private slots(): Record<string, unknown> {
    return this as unknown as Record<string, unknown>;
  }

  // ------------------------------------------------------------------ registration

  /** Registers (or clears, with null) a parameter under `name`; returns the parameter. */
  registerParameter(name: string, t: Tensor | null, requiresGrad = true): Tensor | null {
    checkName(this, name);
    const v = t === null ? null : Parameter(t, requiresGrad);
    this.slots()[name] = v;
    return v;
  }

  /** Registers a buffer: state that is not trained (running statistics, counters). */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    checkName(this, name);
    if (t !== null) keep(t);
    this._bufferNames.set(name, persistent);
    this.slots()[name] = t;
    return t;
  }

  /** Registers a child under any name, including ones that are not identifiers ("0", "1", ...). */
  registerModule<M extends Module | null>(name: string, m: M): M {
    checkName(this, name);
    this.slots()[name] = m;
    return m;
  }

  // ------------------------------------------------------------------ traversal

  private ownEntries(): [string, unknown][] {
    return Object.keys(this)
      .filter((k) => !k.startsWith('_'))
      .map((k) => [k, this.slots()[k]]);
  }

  namedChildren(): [string, Module][] {
    return this.ownEntries().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** Pre-order walk, each module once (shared submodules are listed at their first name). */
  namedModules(prefix = '', seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(join(prefix, name), seen));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map((e) => e[1]);
  }

  /** This module's own parameters (not its children's). */
  protected ownParameters(): [string, Tensor][] {
    return this.ownEntries().filter((e): e is [string, Tensor] => isParameter(e[1]));
  }

  protected ownBuffers(persistentOnly: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, persistent] of this._bufferNames) {
      const t = this.slots()[name] as Tensor | null | undefined;
      if (t && (persistent || !persistentOnly)) out.push([name, t]);
    }
    return out;
  }

  /** Dotted PyTorch-style names (`encoder.features.0.weight`), each parameter once. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(prefix, name), p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map((e) => e[1]);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.ownBuffers(false)) out.push([join(prefix, name), b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map((e) => e[1]);
  }

  /** Number of scalar weights (all parameters, or only those that require grad). */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  /** Calls fn on every module, children first (like torch's Module.apply). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ------------------------------------------------------------------ modes, devices, grads

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Moves or casts parameters and buffers. Parameters become new tensors (their grads are dropped),
   * so build optimisers after calling to(). Only floating-point tensors are cast by a dtype, as in PyTorch.
   */
  /**
   * Stores every 4-d parameter and buffer (conv weights) channels-last, in place of the old ones
   * (grads dropped, as with to()): build optimisers after calling it.
   */
  channelsLast(): this {
    for (const m of this.modules()) {
      const self = m.slots();
      for (const [name, p] of m.ownParameters()) {
        if (p.ndim !== 4 || p.isChannelsLast) continue;
        const moved = noGrad(() => p.channelsLast());
        const rg = p.requiresGrad;
        p.dispose();
        self[name] = Parameter(moved, rg);
      }
      for (const [name, b] of m.ownBuffers(false)) {
        if (b.ndim !== 4 || b.isChannelsLast) continue;
        const moved = noGrad(() => b.channelsLast());
        b.dispose();
        self[name] = keep(moved);
      }
    }
    return this;
  }

  to(target: Device | DType): this {
    const isDevice = target === 'cpu' || target.startsWith('cuda');
    // Already there: keep the same objects, so optimisers built earlier stay valid.
    const skip = (t: Tensor) => (isDevice ? t.device === target : !isFloating(t.dtype) || t.dtype === target);
    for (const m of this.modules()) {
      const self = m.slots();
      for (const [name, p] of m.ownParameters()) {
        if (skip(p)) continue;
        const moved = noGrad(() => p.to(target));
        const rg = p.requiresGrad;
        p.dispose();
        self[name] = Parameter(moved, rg);
      }
      for (const [name, b] of m.ownBuffers(false)) {
        if (skip(b)) continue;
        const moved = noGrad(() => b.to(target));
        b.dispose();
        self[name] = keep(moved);
      }
    }
    return this;
  }

  /** Sets every parameter's grad to null (cheaper than zero-filling; the next backward allocates). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Frees every parameter and buffer; the module is unusable afterwards. */
  dispose(): void {
    for (const p of this.parameters()) if (!p.isDisposed) p.dispose();
    for (const b of this.buffers()) if (!b.isDisposed) b.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ------------------------------------------------------------------ state dict

  /**
   * Parameters then persistent buffers of each module, pre-order, with PyTorch's names. Values are
   * the live tensors (not copies): do not dispose them; clone what must outlive the module.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    const seen = new Set<Module>();
    const walk = (m: Module, prefix: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [n, p] of m.ownParameters()) sd.set(join(prefix, n), p);
      for (const [n, b] of m.ownBuffers(true)) sd.set(join(prefix, n), b);
      for (const [n, c] of m.namedChildren()) walk(c, join(prefix, n));
    };
    walk(this, '');
    return sd;
  }

  /**
   * Copies values into the existing parameters and buffers (so optimisers keep their references),
   * converting dtype and device as needed. strict: missing or unexpected keys are an error; a shape
   * mismatch is always an error.
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const src: Map<string, Tensor> = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const missingKeys: string[] = [];
    const used = new Set<string>();
    const mismatched: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, prefix: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      const own: [string, Tensor, boolean][] = [
        ...m.ownParameters().map(([n, t]): [string, Tensor, boolean] => [n, t, false]),
        ...m.ownBuffers(true).map(([n, t]): [string, Tensor, boolean] => [n, t, m._optionalBuffers.has(n)]),
      ];
      for (const [n, dst, optional] of own) {
        const key = join(prefix, n);
        const v = src.get(key);
        if (v === undefined) {
          if (!optional) missingKeys.push(key);
          continue;
        }
        used.add(key);
        if (!sameShape(v.shape, dst.shape)) {
          mismatched.push(`${key}: checkpoint [${v.shape.join(', ')}] vs model [${dst.shape.join(', ')}]`);
          continue;
        }
        copies.push([dst, v]);
      }
      for (const [n, c] of m.namedChildren()) walk(c, join(prefix, n));
    };
    walk(this, '');
    const unexpectedKeys = [...src.keys()].filter((k) => !used.has(k));
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch for ${mismatched.join('; ')}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length) throw new Error(`loadStateDict (${this.constructor.name}): ${problems.join('. ')}`);
    noGrad(() => {
      for (const [dst, v] of copies) dst.copy_(v);
    });
    return { missingKeys, unexpectedKeys };
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isFloating(dt: DType): boolean {
  return dt === 'float32' || dt === 'float64' || dt === 'float16' || dt === 'bfloat16';
}

function checkName(m: Module, name: string): void {
  if (name === '' || name.includes('.'))
    throw new Error(`${m.constructor.name}: invalid name "${name}" (empty or contains '.')`);
  if (name.startsWith('_'))
    throw new Error(
      `${m.constructor.name}: name "${name}" starts with '_', which is reserved for private fields`,
    );
}

/** Used by layers' typings: a module mapping one tensor to one tensor. */
export interface TensorLayer {
  forward(x: Tensor): Tensor;
}
