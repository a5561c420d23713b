// Autograd entry points and the fused optimiser helpers: one native call updates a whole list of
// parameters, so an optimiser step costs one boundary crossing instead of ~8 per parameter.
// The update formulas follow torch.optim's single-tensor (for-loop) implementations.
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>

#include "common.h"

namespace onemark {

// ---- autograd -----------------------------------------------------------------------------------

OP(requiresGrad_) {
  a.t(0).requires_grad_(a.flag(1, true));
  return a.undefined();
}

// backward(t, grad?, retainGraph?, createGraph=false)
OP(backward) {
  const at::Tensor& t = a.t(0);
  at::Tensor g = a.optT(1);
  if (!g.defined() && t.numel() != 1) a.fail("backward() without a gradient needs a one-element (scalar) output, got shape " + c10::str(t.sizes()));
  const c10::optional<bool> retain = a.has(2) ? c10::optional<bool>(a.flag(2)) : c10::nullopt;
  t.backward(g, retain, a.flag(3));
  return a.undefined();
}

OP(grad) { return a.ret(a.t(0).grad()); }

// setGrad(t, g|null)
OP(setGrad) {
  const at::Tensor& t = a.t(0);
  t.mutable_grad() = a.optT(1);
  return a.undefined();
}

// zeroGrad(t, setToNone=true)
OP(zeroGrad) {
  const at::Tensor& t = a.t(0);
  if (a.flag(1, true)) {
    t.mutable_grad().reset();
  } else if (t.grad().defined()) {
    c10::NoGradGuard ng;
    t.mutable_grad().detach_();
    t.mutable_grad().zero_();
  }
  return a.undefined();
}

// zeroGrads(params, setToNone=true): zeroGrad over a list in one call.
OP(zeroGrads) {
  const bool none = a.flag(1, true);
  c10::NoGradGuard ng;
  for (const at::Tensor& t : a.tensors(0)) {
    if (none) t.mutable_grad().reset();
    else if (t.grad().defined()) {
      t.mutable_grad().detach_();
      t.mutable_grad().zero_();
    }
  }
  return a.undefined();
}

OP(detach) { return a.ret(a.t(0).detach()); }
OP(detach_) {
  a.t(0).detach_();
  return a.undefined();
}
OP(retainGrad) {
  a.t(0).retain_grad();
  return a.undefined();
}

// autogradGrad(outputs, inputs, gradOutputs|null, retainGraph?, createGraph=false, allowUnused=false)
// -> one handle (or null when unused) per input, as torch.autograd.grad.
OP(autogradGrad) {
  a.need(2);
  auto outputs = a.tensors(0);
  auto inputs = a.tensors(1);
  std::vector<at::Tensor> gradOutputs = a.has(2) ? a.tensors(2) : std::vector<at::Tensor>{};
  const c10::optional<bool> retain = a.has(3) ? c10::optional<bool>(a.flag(3)) : c10::nullopt;
  auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, a.flag(4), a.flag(5));
  return a.ret(grads);
}

// ---- fused optimiser helpers --------------------------------------------------------------------

namespace {

/** Per-parameter values from a number or an array of one per parameter. */
std::vector<double> perParam(const Args& a, size_t i, size_t n, const char* what) {
  auto v = a.doubles(i);
  if (v.size() == 1) return std::vector<double>(n, v[0]);
  if (v.size() != n) a.fail(std::string(what) + " must be a number or one value per parameter");
  return v;
}

/** Options object field (number) with a default. */
double field(const Args& a, napi_value obj, const char* name, double dflt) {
  bool has = false;
  napi_has_named_property(a.env, obj, name, &has);
  if (!has) return dflt;
  napi_value v;
  napi_get_named_property(a.env, obj, name, &v);
  napi_valuetype ty;
  napi_typeof(a.env, v, &ty);
  if (ty == napi_undefined || ty == napi_null) return dflt;
  if (ty == napi_boolean) {
    bool b;
    napi_get_value_bool(a.env, v, &b);
    return b ? 1 : 0;
  }
  double d;
  if (napi_get_value_double(a.env, v, &d) != napi_ok) a.fail(std::string("option '") + name + "' must be a number");
  return d;
}

napi_value options(const Args& a, size_t i) {
  if (a.type(i) != napi_object) a.fail("argument " + std::to_string(i + 1) + " must be an options object");
  return a.argv[i];
}

}  // namespace

// adamStep(params, expAvgs, expAvgSqs, steps, {lr, beta1, beta2, eps, weightDecay, decoupled, maximize})
//   Adam (decoupled=false: L2 added to the gradient) or AdamW (decoupled=true: p *= 1 - lr*wd).
//   steps: the step count after this update (1 on the first), a number or one per parameter.
//   Parameters without a gradient are skipped. Returns how many were updated.
OP(adamStep) {
  a.need(5);
  const auto params = a.tensors(0), m = a.tensors(1), v = a.tensors(2);
  if (m.size() != params.size() || v.size() != params.size()) a.fail("params, expAvgs and expAvgSqs must have the same length");
  const auto steps = perParam(a, 3, params.size(), "steps");
  napi_value o = options(a, 4);
  const double lr = field(a, o, "lr", 1e-3), b1 = field(a, o, "beta1", 0.9), b2 = field(a, o, "beta2", 0.999);
  const double eps = field(a, o, "eps", 1e-8), wd = field(a, o, "weightDecay", 0);
  const bool decoupled = field(a, o, "decoupled", 0) != 0, maximize = field(a, o, "maximize", 0) != 0;
  c10::NoGradGuard ng;
  int updated = 0;
  for (size_t k = 0; k < params.size(); ++k) {
    const at::Tensor& p = params[k];
    at::Tensor g = p.grad();
    if (!g.defined()) continue;
    if (steps[k] < 1) a.fail("steps must be >= 1");
    if (maximize) g = -g;
    if (wd != 0) {
      if (decoupled) p.mul_(1 - lr * wd);
      else g = g.add(p, wd);
    }
    m[k].mul_(b1).add_(g, 1 - b1);
    v[k].mul_(b2).addcmul_(g, g, 1 - b2);
    const double bc1 = 1 - std::pow(b1, steps[k]);
    const double bc2 = 1 - std::pow(b2, steps[k]);
    at::Tensor denom = (v[k].sqrt() / std::sqrt(bc2)).add_(eps);
    p.addcdiv_(m[k], denom, -lr / bc1);
    ++updated;
  }
  return a.number(updated);
}

// sgdStep(params, momentumBuffers, {lr, momentum, dampening, weightDecay, nesterov, maximize})
//   momentumBuffers: one per parameter, null until created (or [] when momentum is 0). A null buffer
//   is created from the gradient, as torch.optim.SGD does; the result lists the handles created
//   (null where a buffer existed or the parameter had no gradient), for the caller to keep.
OP(sgdStep) {
  a.need(3);
  const auto params = a.tensors(0);
  napi_value o = options(a, 2);
  const double lr = field(a, o, "lr", 1e-2), mom = field(a, o, "momentum", 0), damp = field(a, o, "dampening", 0);
  const double wd = field(a, o, "weightDecay", 0);
  const bool nesterov = field(a, o, "nesterov", 0) != 0, maximize = field(a, o, "maximize", 0) != 0;
  std::vector<at::Tensor> bufs;
  if (mom != 0) {
    // Buffers may be null: decode by hand (a.tensors rejects nulls).
    napi_value arr = a.argv[1];
    uint32_t n = 0;
    if (napi_get_array_length(a.env, arr, &n) != napi_ok || n != params.size())
      a.fail("momentumBuffers must be an array with one entry (tensor or null) per parameter");
    bufs.resize(n);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value el;
      napi_get_element(a.env, arr, k, &el);
      napi_valuetype ty;
      napi_typeof(a.env, el, &ty);
      if (ty == napi_number) {
        double h;
        napi_get_value_double(a.env, el, &h);
        if (h >= 0) bufs[k] = handles().get(h);
      }
    }
  }
  c10::NoGradGuard ng;
  std::vector<at::Tensor> created(params.size());
  for (size_t k = 0; k < params.size(); ++k) {
    const at::Tensor& p = params[k];
    at::Tensor d = p.grad();
    if (!d.defined()) continue;
    if (maximize) d = -d;
    if (wd != 0) d = d.add(p, wd);
    if (mom != 0) {
      if (!bufs[k].defined()) {
        bufs[k] = d.clone().detach();
        created[k] = bufs[k];
      } else {
        bufs[k].mul_(mom).add_(d, 1 - damp);
      }
      d = nesterov ? d.add(bufs[k], mom) : bufs[k];
    }
    p.add_(d, -lr);
  }
  return a.ret(created);
}

// clipGradNorm(params, maxNorm, normType=2, errorIfNonfinite=false) -> total norm before clipping,
// as torch.nn.utils.clip_grad_norm_ (normType may be Infinity).
OP(clipGradNorm) {
  a.need(2);
  const auto params = a.tensors(0);
  const double maxNorm = a.num(1), normType = a.num(2, 2.0);
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return a.number(0);
  c10::NoGradGuard ng;
  std::vector<at::Tensor> norms;
  norms.reserve(grads.size());
  const bool inf = std::isinf(normType);
  for (const auto& g : grads) norms.push_back(inf ? g.detach().abs().max() : at::norm(g.detach(), normType));
  const at::Device dev = grads[0].device();
  for (auto& n : norms) n = n.to(dev).to(at::kFloat);
  at::Tensor total = inf ? at::stack(norms).max() : at::norm(at::stack(norms), normType);
  const double totalNorm = total.item<double>();
  if (a.flag(3) && !std::isfinite(totalNorm))
    a.fail("the total norm of gradients is non-finite (" + std::to_string(totalNorm) + "), so it cannot be clipped");
  const double coef = maxNorm / (totalNorm + 1e-6);
  if (coef < 1)
    for (const auto& g : grads) g.detach().mul_(coef);
  return a.number(totalNorm);
}

// clipGradValue(params, value): clamps every gradient to [-value, value].
OP(clipGradValue) {
  a.need(2);
  const double v = a.num(1);
  c10::NoGradGuard ng;
  for (const auto& p : a.tensors(0))
    if (p.grad().defined()) p.grad().detach().clamp_(-v, v);
  return a.undefined();
}

}  // namespace onemark
