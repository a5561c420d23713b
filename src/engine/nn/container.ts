/** Containers whose children are named "0", "1", ... like torch.nn.Sequential / ModuleList. */
import type { Tensor } from '../index';
import { Module, type TensorLayer } from './module';

export type Layer = TensorLayer & Module;

/** The numbered children both containers hold, and the list operations they share. */
abstract class NumberedModules<M extends Module> extends Module {
  protected readonly _items: M[] = [];

  /** `kind` names the container in errors. */
  constructor(
    private readonly _kind: string,
    items: Iterable<M>,
  ) {
    super();
    for (const m of items) this.append(m);
  }

  append(m: M): this {
    this.registerModule(String(this._items.length), m);
    this._items.push(m);
    return this;
  }

  get length(): number {
    return this._items.length;
  }

  at(i: number): M {
    const m = this._items[i < 0 ? this._items.length + i : i];
    if (!m) throw new Error(`${this._kind}: index ${i} out of range (length ${this._items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this._items[Symbol.iterator]();
  }
}

export class Sequential extends NumberedModules<Layer> {
  constructor(...layers: Layer[]) {
    super('Sequential', layers);
  }

  forward(x: Tensor): Tensor {
    // Intermediates are freed as soon as the next layer has consumed them; autograd keeps what it needs.
    let cur = x;
    for (const l of this._items) {
      const next = l.forward(cur);
      if (cur !== x && next !== cur) cur.dispose();
      cur = next;
    }
    return cur;
  }
}

export class ModuleList<M extends Module = Module> extends NumberedModules<M> {
  constructor(items: M[] = []) {
    super('ModuleList', items);
  }

  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over its modules');
  }
}
