// Pointwise arithmetic, comparisons, in-place updates, reductions and linear algebra.
// Naming: `add` takes two tensors, `addS` a tensor and a JS number; a trailing `_` is in place
// (returns undefined: the JS wrapper returns `this`).
#include "common.h"

namespace onemark {

// ---- binary, tensor (op) tensor and tensor (op) scalar --------------------------------------

OP(add) { return a.ret(at::add(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1}))); }
OP(addS) { return a.ret(at::add(a.t(0), a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1}))); }
OP(sub) { return a.ret(at::sub(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1}))); }
OP(subS) { return a.ret(at::sub(a.t(0), a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1}))); }
// rsubS(t, s) = s - t
OP(rsubS) { return a.ret(at::rsub(a.t(0), a.scalar(1))); }
OP(mul) { return a.ret(at::mul(a.t(0), a.t(1))); }
OP(mulS) { return a.ret(at::mul(a.t(0), a.scalar(1))); }
// div(a, b, roundingMode?) with roundingMode 'trunc' | 'floor'
OP(div) {
  if (a.has(2)) return a.ret(at::div(a.t(0), a.t(1), c10::optional<c10::string_view>(a.str(2))));
  return a.ret(at::div(a.t(0), a.t(1)));
}
OP(divS) {
  if (a.has(2)) return a.ret(at::div(a.t(0), a.scalar(1), c10::optional<c10::string_view>(a.str(2))));
  return a.ret(at::div(a.t(0), a.scalar(1)));
}
// rdivS(t, s) = s / t
OP(rdivS) { return a.ret(at::mul(at::reciprocal(a.t(0)), a.scalar(1))); }
OP(pow) { return a.ret(at::pow(a.t(0), a.t(1))); }
OP(powS) { return a.ret(at::pow(a.t(0), a.scalar(1))); }
// rpowS(t, s) = s ** t
OP(rpowS) { return a.ret(at::pow(a.scalar(1), a.t(0))); }
OP(remainder) { return a.ret(at::remainder(a.t(0), a.t(1))); }
OP(remainderS) { return a.ret(at::remainder(a.t(0), a.scalar(1))); }
OP(fmod) { return a.ret(at::fmod(a.t(0), a.t(1))); }
OP(fmodS) { return a.ret(at::fmod(a.t(0), a.scalar(1))); }
OP(maximum) { return a.ret(at::maximum(a.t(0), a.t(1))); }
OP(minimum) { return a.ret(at::minimum(a.t(0), a.t(1))); }
OP(atan2) { return a.ret(at::atan2(a.t(0), a.t(1))); }
// lerp(start, end, weight) with weight a number or (lerpT) a tensor
OP(lerp) { return a.ret(at::lerp(a.t(0), a.t(1), a.scalar(2))); }
OP(lerpT) { return a.ret(at::lerp(a.t(0), a.t(1), a.t(2))); }
// addcmul(t, a, b, value) = t + value * a * b
OP(addcmul) { return a.ret(at::addcmul(a.t(0), a.t(1), a.t(2), a.has(3) ? a.scalar(3) : at::Scalar(int64_t{1}))); }
OP(addcdiv) { return a.ret(at::addcdiv(a.t(0), a.t(1), a.t(2), a.has(3) ? a.scalar(3) : at::Scalar(int64_t{1}))); }

// ---- unary ----------------------------------------------------------------------------------

#define UNARY(name, fn) \
  OP(name) { return a.ret(fn(a.t(0))); }

UNARY(neg, at::neg)
UNARY(exp, at::exp)
UNARY(exp2, at::exp2)
UNARY(expm1, at::expm1)
UNARY(log, at::log)
UNARY(log2, at::log2)
UNARY(log10, at::log10)
UNARY(log1p, at::log1p)
UNARY(sqrt, at::sqrt)
UNARY(rsqrt, at::rsqrt)
UNARY(square, at::square)
UNARY(abs, at::abs)
UNARY(sign, at::sign)
UNARY(floor, at::floor)
UNARY(ceil, at::ceil)
UNARY(round, at::round)
UNARY(trunc, at::trunc)
UNARY(frac, at::frac)
UNARY(reciprocal, at::reciprocal)
UNARY(sin, at::sin)
UNARY(cos, at::cos)
UNARY(tan, at::tan)
UNARY(asin, at::asin)
UNARY(acos, at::acos)
UNARY(atan, at::atan)
UNARY(sinh, at::sinh)
UNARY(cosh, at::cosh)
UNARY(erf, at::erf)
UNARY(erfinv, at::erfinv)
UNARY(isnan, at::isnan)
UNARY(isinf, at::isinf)
UNARY(isfinite, at::isfinite)
UNARY(logicalNot, at::logical_not)
UNARY(nonzero, at::nonzero)

// clamp(t, min?, max?): null/undefined leaves a side open.
OP(clamp) {
  auto lo = a.optScalar(1), hi = a.optScalar(2);
  if (!lo && !hi) a.fail("clamp needs min or max");
  return a.ret(at::clamp(a.t(0), lo, hi));
}
// clampT(t, min?, max?) with tensor bounds
OP(clampT) {
  at::Tensor lo = a.optT(1), hi = a.optT(2);
  if (!lo.defined() && !hi.defined()) a.fail("clamp needs min or max");
  return a.ret(at::clamp(a.t(0), lo.defined() ? c10::optional<at::Tensor>(lo) : c10::nullopt, hi.defined() ? c10::optional<at::Tensor>(hi) : c10::nullopt));
}

// ---- comparisons and logic --------------------------------------------------------------------

#define COMPARE(name, nameS, fn)                        \
  OP(name) { return a.ret(fn(a.t(0), a.t(1))); }        \
  OP(nameS) { return a.ret(fn(a.t(0), a.scalar(1))); }

COMPARE(eq, eqS, at::eq)
COMPARE(ne, neS, at::ne)
COMPARE(lt, ltS, at::lt)
COMPARE(le, leS, at::le)
COMPARE(gt, gtS, at::gt)
COMPARE(ge, geS, at::ge)

OP(logicalAnd) { return a.ret(at::logical_and(a.t(0), a.t(1))); }
OP(logicalOr) { return a.ret(at::logical_or(a.t(0), a.t(1))); }
OP(logicalXor) { return a.ret(at::logical_xor(a.t(0), a.t(1))); }

// where(cond, x, xIsScalar, y, yIsScalar): x and y are handles or numbers.
OP(where) {
  a.need(5);
  const at::Tensor& c = a.t(0);
  const bool xs = a.flag(2), ys = a.flag(4);
  if (!xs && !ys) return a.ret(at::where(c, a.t(1), a.t(3)));
  if (xs && !ys) return a.ret(at::where(c, a.scalar(1), a.t(3)));
  if (!xs && ys) return a.ret(at::where(c, a.t(1), a.scalar(3)));
  return a.ret(at::where(c, a.scalar(1), a.scalar(3)));
}

OP(allclose) { return a.boolean(at::allclose(a.t(0), a.t(1), a.num(2, 1e-5), a.num(3, 1e-8), a.flag(4))); }
OP(isclose) { return a.ret(at::isclose(a.t(0), a.t(1), a.num(2, 1e-5), a.num(3, 1e-8), a.flag(4))); }
OP(equal) { return a.boolean(at::equal(a.t(0), a.t(1))); }

// ---- in place ---------------------------------------------------------------------------------

#define INPLACE(name, expr)   \
  OP(name) {                  \
    const at::Tensor& t = a.t(0); \
    expr;                     \
    return a.undefined();     \
  }

INPLACE(add_, t.add_(a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1})))
INPLACE(addS_, t.add_(a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1})))
INPLACE(sub_, t.sub_(a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1})))
INPLACE(subS_, t.sub_(a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1})))
INPLACE(mul_, t.mul_(a.t(1)))
INPLACE(mulS_, t.mul_(a.scalar(1)))
INPLACE(div_, t.div_(a.t(1)))
INPLACE(divS_, t.div_(a.scalar(1)))
INPLACE(pow_, t.pow_(a.scalar(1)))
INPLACE(zero_, t.zero_())
INPLACE(fill_, t.fill_(a.scalar(1)))
INPLACE(copy_, t.copy_(a.t(1)))
INPLACE(neg_, t.neg_())
INPLACE(sqrt_, t.sqrt_())
INPLACE(exp_, t.exp_())
INPLACE(abs_, t.abs_())
INPLACE(relu_, t.relu_())
INPLACE(sigmoid_, t.sigmoid_())
INPLACE(addcmul_, t.addcmul_(a.t(1), a.t(2), a.has(3) ? a.scalar(3) : at::Scalar(int64_t{1})))
INPLACE(addcdiv_, t.addcdiv_(a.t(1), a.t(2), a.has(3) ? a.scalar(3) : at::Scalar(int64_t{1})))
INPLACE(lerp_, t.lerp_(a.t(1), a.scalar(2)))
INPLACE(maskedFill_, t.masked_fill_(a.t(1), a.scalar(2)))
INPLACE(uniform_, t.uniform_(a.num(1, 0.0), a.num(2, 1.0)))
INPLACE(normal_, t.normal_(a.num(1, 0.0), a.num(2, 1.0)))
INPLACE(bernoulli_, t.bernoulli_(a.num(1, 0.5)))
OP(clamp_) {
  const at::Tensor& t = a.t(0);
  auto lo = a.optScalar(1), hi = a.optScalar(2);
  if (!lo && !hi) a.fail("clamp_ needs min or max");
  t.clamp_(lo, hi);
  return a.undefined();
}

// ---- reductions -------------------------------------------------------------------------------

namespace {
/** Dims at i: an array or number; absent/null means all dims (returned as empty). */
std::vector<int64_t> dimsArg(const Args& a, size_t i) { return a.has(i) ? a.ints(i) : std::vector<int64_t>{}; }
std::vector<int64_t> allDims(const at::Tensor& t) {
  std::vector<int64_t> d(t.dim());
  for (int64_t k = 0; k < t.dim(); ++k) d[k] = k;
  return d;
}
}  // namespace

// sum(t, dims?, keepdim, dtype?)
OP(sum) {
  const at::Tensor& t = a.t(0);
  auto dims = dimsArg(a, 1);
  const bool keep = a.flag(2);
  const auto dt = a.optDtype(3);
  if (dims.empty() && !keep) return a.ret(at::sum(t, dt));
  if (dims.empty()) dims = allDims(t);
  return a.ret(at::sum(t, dims, keep, dt));
}

OP(mean) {
  const at::Tensor& t = a.t(0);
  auto dims = dimsArg(a, 1);
  const bool keep = a.flag(2);
  const auto dt = a.optDtype(3);
  if (dims.empty() && !keep) return a.ret(at::mean(t, dt));
  if (dims.empty()) dims = allDims(t);
  return a.ret(at::mean(t, dims, keep, dt));
}

OP(prod) {
  const at::Tensor& t = a.t(0);
  if (!a.has(1)) return a.ret(at::prod(t));
  return a.ret(at::prod(t, a.i64(1), a.flag(2)));
}

// std/var(t, dims?, unbiased=true, keepdim)
OP(std) {
  const at::Tensor& t = a.t(0);
  auto dims = dimsArg(a, 1);
  const bool unbiased = a.flag(2, true), keep = a.flag(3);
  if (dims.empty() && !keep) return a.ret(at::std(t, unbiased));
  if (dims.empty()) dims = allDims(t);
  return a.ret(at::std(t, at::IntArrayRef(dims), unbiased, keep));
}

OP(var) {
  const at::Tensor& t = a.t(0);
  auto dims = dimsArg(a, 1);
  const bool unbiased = a.flag(2, true), keep = a.flag(3);
  if (dims.empty() && !keep) return a.ret(at::var(t, unbiased));
  if (dims.empty()) dims = allDims(t);
  return a.ret(at::var(t, at::IntArrayRef(dims), unbiased, keep));
}

OP(max) { return a.ret(at::max(a.t(0))); }
OP(min) { return a.ret(at::min(a.t(0))); }
// maxDim(t, dim, keepdim) -> [values, indices]
OP(maxDim) {
  auto r = at::max(a.t(0), a.i64(1), a.flag(2));
  return a.ret(std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)});
}
OP(minDim) {
  auto r = at::min(a.t(0), a.i64(1), a.flag(2));
  return a.ret(std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)});
}
OP(amax) { return a.ret(at::amax(a.t(0), dimsArg(a, 1), a.flag(2))); }
OP(amin) { return a.ret(at::amin(a.t(0), dimsArg(a, 1), a.flag(2))); }
// argmax(t, dim?, keepdim)
OP(argmax) {
  return a.ret(at::argmax(a.t(0), a.has(1) ? c10::optional<int64_t>(a.i64(1)) : c10::nullopt, a.flag(2)));
}
OP(argmin) {
  return a.ret(at::argmin(a.t(0), a.has(1) ? c10::optional<int64_t>(a.i64(1)) : c10::nullopt, a.flag(2)));
}
// topk(t, k, dim=-1, largest=true, sorted=true) -> [values, indices]
OP(topk) {
  auto r = at::topk(a.t(0), a.i64(1), a.i64(2, -1), a.flag(3, true), a.flag(4, true));
  return a.ret(std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)});
}
// sort(t, dim=-1, descending=false) -> [values, indices]
OP(sort) {
  auto r = at::sort(a.t(0), a.i64(1, -1), a.flag(2));
  return a.ret(std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)});
}
OP(argsort) { return a.ret(at::argsort(a.t(0), a.i64(1, -1), a.flag(2))); }
OP(cumsum) { return a.ret(at::cumsum(a.t(0), a.i64(1), a.optDtype(2))); }
OP(cumprod) { return a.ret(at::cumprod(a.t(0), a.i64(1), a.optDtype(2))); }
OP(logsumexp) { return a.ret(at::logsumexp(a.t(0), a.ints(1), a.flag(2))); }
// norm(t, p=2, dims?, keepdim): p may be Infinity.
OP(norm) {
  const at::Tensor& t = a.t(0);
  const at::Scalar p = a.has(1) ? at::Scalar(a.num(1)) : at::Scalar(2.0);
  auto dims = dimsArg(a, 2);
  const bool keep = a.flag(3);
  if (dims.empty() && !keep) return a.ret(at::norm(t, p));
  if (dims.empty()) dims = allDims(t);
  return a.ret(at::norm(t, p, at::IntArrayRef(dims), keep));
}
OP(all) {
  if (a.has(1)) return a.ret(at::all(a.t(0), a.i64(1), a.flag(2)));
  return a.ret(at::all(a.t(0)));
}
OP(any) {
  if (a.has(1)) return a.ret(at::any(a.t(0), a.i64(1), a.flag(2)));
  return a.ret(at::any(a.t(0)));
}
OP(countNonzero) {
  if (a.has(1)) return a.ret(at::count_nonzero(a.t(0), a.ints(1)));
  return a.ret(at::count_nonzero(a.t(0)));
}

// ---- linear algebra ---------------------------------------------------------------------------

OP(matmul) { return a.ret(at::matmul(a.t(0), a.t(1))); }
OP(mm) { return a.ret(at::mm(a.t(0), a.t(1))); }
OP(bmm) { return a.ret(at::bmm(a.t(0), a.t(1))); }
OP(dot) { return a.ret(at::dot(a.t(0), a.t(1))); }
OP(outer) { return a.ret(at::outer(a.t(0), a.t(1))); }
// einsum(equation, tensors)
OP(einsum) { return a.ret(at::einsum(a.str(0), a.tensors(1))); }
// baddbmm(input, b1, b2, beta, alpha)
OP(baddbmm) { return a.ret(at::baddbmm(a.t(0), a.t(1), a.t(2), a.has(3) ? a.scalar(3) : at::Scalar(int64_t{1}), a.has(4) ? a.scalar(4) : at::Scalar(int64_t{1}))); }
OP(inverse) { return a.ret(at::inverse(a.t(0))); }
OP(det) { return a.ret(at::det(a.t(0))); }
OP(trace) { return a.ret(at::trace(a.t(0))); }
// cdist(x1, x2, p=2)
OP(cdist) { return a.ret(at::cdist(a.t(0), a.t(1), a.num(2, 2.0))); }

}  // namespace onemark
