/**
 * Optimizer base: parameter groups with their hyper-parameters, per-parameter state, zeroGrad,
 * and a state dict (PyTorch's layout: parameters numbered across groups in order) so a resumed run
 * continues exactly where it stopped.
 */
import { Tensor, keep, noGrad, tidy } from '../index';
import { zeroGrads } from './fused';

/** Hyper-parameters every optimiser has. */
export interface BaseOptions {
  lr: number;
}

export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };

/** One parameter's state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict<O extends BaseOptions = BaseOptions> {
  /** Keyed by the parameter's index across all groups. */
  state: Map<number, ParamState>;
  paramGroups: (O & { params: number[] })[];
}

export type ParamsArg<O extends BaseOptions> =
  Tensor[] | Iterable<Tensor> | (Partial<O> & { params: Tensor[] })[];

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();

  constructor(
    params: ParamsArg<O>,
    readonly defaults: O,
  ) {
    const list = Array.isArray(params) ? params : [...params];
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const groups: (Partial<O> & { params: Tensor[] })[] =
      list[0] instanceof Tensor
        ? [{ params: list as Tensor[] } as Partial<O> & { params: Tensor[] }]
        : (list as (Partial<O> & { params: Tensor[] })[]);
    for (const g of groups) this.addParamGroup(g);
  }

  addParamGroup(group: Partial<O> & { params: Tensor[] }): void {
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of group.params) {
      if (!(p instanceof Tensor)) throw new Error(`${this.constructor.name}: params must be Tensors`);
      if (seen.has(p))
        throw new Error(`${this.constructor.name}: a parameter appears in more than one group`);
      seen.add(p);
    }
    this.paramGroups.push({ ...this.defaults, ...group, params: [...group.params] } as ParamGroup<O>);
  }

  /** Clears gradients of every parameter in one native call per group (setToNone, as PyTorch's default). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) zeroGrads(g.params, setToNone);
  }

  /** One update from the current gradients. */
  abstract step(): void;

  /** Parameters in state-dict order (groups in order, then params within each). */
  protected allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * The state (live tensors, not copies: clone what must outlive further steps) and the groups'
   * hyper-parameters, with parameters replaced by their index.
   */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    this.allParams().forEach((p, i) => index.set(p, i));
    const state = new Map<number, ParamState>();
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state.set(i, { ...s });
    }
    let n = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...opts } = g;
      return { ...(opts as unknown as O), params: params.map(() => n++) };
    });
    return { state, paramGroups };
  }

  /**
   * Restores hyper-parameters and state. Tensors are copied into fresh state tensors on each
   * parameter's device, so the caller keeps ownership of what it passed.
   */
  loadStateDict(sd: OptimizerStateDict<O>): void {
    const params = this.allParams();
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: ${sd.paramGroups.length} param groups in the state, ${this.paramGroups.length} here`,
      );
    }
    sd.paramGroups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new Error(
          `${this.constructor.name}.loadStateDict: group ${i} has ${g.params.length} params in the state, ${this.paramGroups[i].params.length} here`,
        );
      }
    });
    for (const s of this.state.values())
      for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    sd.paramGroups.forEach((g, i) => {
      const { params: _ignored, ...opts } = g;
      Object.assign(this.paramGroups[i], opts);
    });
    for (const [i, s] of sd.state) {
      const p = params[i];
      if (!p)
        throw new Error(
          `${this.constructor.name}.loadStateDict: state for parameter ${i} but only ${params.length} parameters`,
        );
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          if (v.numel !== p.numel) {
            throw new Error(
              `${this.constructor.name}.loadStateDict: state "${k}" of parameter ${i} has shape [${v.shape}] but the parameter is [${p.shape}] (state of another model?)`,
            );
          }
          copy[k] = keep(noGrad(() => tidy(() => v.to(p.device).to(p.dtype).clone())));
        } else copy[k] = v;
      }
      this.state.set(p, copy);
    }
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.state.values())
      for (const v of Object.values(s)) if (v instanceof Tensor && !v.isDisposed) v.dispose();
    this.state.clear();
  }
}
