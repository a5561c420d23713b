/** Containers whose children are named "0", "1", ... like torch.nn.Sequential / ModuleList. */
import type { Tensor } from '../index';
import { Module, type TensorLayer } from './module';

export type Layer = TensorLayer & Module;

export class Sequential extends Module {
  private readonly _layers: Layer[] = [];

  constructor(...layers: Layer[]) {
    super();
    for (const l of layers) this.append(l);
  }

  append(layer: Layer): this {
    this.registerModule(String(this._layers.length), layer);
    this._layers.push(layer);
    return this;
  }

  get length(): number {
    return this._layers.length;
  }

  at(i: number): Layer {
    const l = this._layers[i < 0 ? this._layers.length + i : i];
    if (!l) throw new Error(`Sequential: index ${i} out of range (length ${this._layers.length})`);
    return l;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this._layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    // Intermediates are freed as soon as the next layer has consumed them; autograd keeps what it needs.
    let cur = x;
    for (const l of this._layers) {
      const next = l.forward(cur);
      if (cur !== x && next !== cur) cur.dispose();
      cur = next;
    }
    return cur;
  }
}

export class ModuleList<M extends Module = Module> extends Module {
  private readonly _items: M[] = [];

  constructor(items: M[] = []) {
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
    if (!m) throw new Error(`ModuleList: index ${i} out of range (length ${this._items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this._items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over its modules');
  }
}
