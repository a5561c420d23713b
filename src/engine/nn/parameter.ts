/**
 * Parameters are ordinary engine tensors, marked as such. A mark (rather than a subclass) keeps
 * every Tensor method available and lets optimisers update a parameter in place without ever
 * swapping the object modules and optimisers both hold.
 */
import { keep, type Tensor } from '../index';

const parameters = new WeakSet<Tensor>();

/**
 * Marks `t` as a trainable parameter: requires grad, and is kept out of any enclosing tidy() scope
 * (a module built inside tidy must not lose its weights when the scope ends).
 */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  keep(t);
  if (t.requiresGrad !== requiresGrad) t.requiresGrad_(requiresGrad);
  parameters.add(t);
  return t;
}

export function isParameter(t: unknown): t is Tensor {
  return typeof t === 'object' && t !== null && parameters.has(t as Tensor);
}
