// Creating tensors, reading their metadata, moving bytes between JS typed arrays and tensors,
// and dtype/device conversion.
#include <cstring>

#include "common.h"

namespace onemark {
namespace {

/** Options for a factory: dtype code at i (-1/undefined: libtorch's default), device string at i+1. */
at::TensorOptions factoryOptions(const Args& a, size_t i) {
  at::TensorOptions o = at::TensorOptions().device(a.device(i + 1));
  if (auto dt = a.optDtype(i)) o = o.dtype(*dt);
  return o;
}

// at:: factories do not take requires_grad; set it on the result like torch:: factories do.
at::Tensor leaf(at::Tensor t, bool requiresGrad) {
  if (requiresGrad) t.set_requires_grad(true);
  return t;
}

void checkShape(const Args& a, const std::vector<int64_t>& shape) {
  for (int64_t d : shape)
    if (d < 0) a.fail("shape dimensions must be >= 0, got " + std::to_string(d));
}

}  // namespace

// ---- factories: (shape, dtype, device, requiresGrad) ------------------------------------------

#define SHAPE_FACTORY(name, call)                                           \
  OP(name) {                                                                \
    a.need(1);                                                              \
    const auto shape = a.ints(0);                                           \
    checkShape(a, shape);                                                   \
    return a.ret(leaf(call(shape, factoryOptions(a, 1)), a.flag(3)));       \
  }

SHAPE_FACTORY(zeros, at::zeros)
SHAPE_FACTORY(ones, at::ones)
SHAPE_FACTORY(empty, at::empty)
SHAPE_FACTORY(rand, at::rand)
SHAPE_FACTORY(randn, at::randn)

// full(shape, value, dtype, device, requiresGrad)
OP(full) {
  a.need(2);
  const auto shape = a.ints(0);
  checkShape(a, shape);
  at::TensorOptions o = factoryOptions(a, 2);
  // A JS number fills a float tensor unless a dtype says otherwise (PyTorch infers int for ints).
  if (!o.has_dtype()) o = o.dtype(at::kFloat);
  return a.ret(leaf(at::full(shape, a.scalar(1), o), a.flag(4)));
}

// randint(low, high, shape, dtype, device)
OP(randint) {
  a.need(3);
  const auto shape = a.ints(2);
  checkShape(a, shape);
  at::TensorOptions o = factoryOptions(a, 3);
  if (!o.has_dtype()) o = o.dtype(at::kLong);
  return a.ret(at::randint(a.i64(0), a.i64(1), shape, o));
}

// randperm(n, dtype, device)
OP(randperm) {
  at::TensorOptions o = factoryOptions(a, 1);
  if (!o.has_dtype()) o = o.dtype(at::kLong);
  return a.ret(at::randperm(a.i64(0), o));
}

// arange(start, end, step, dtype, device, requiresGrad): integer arguments give int64 like PyTorch.
OP(arange) {
  a.need(2);
  return a.ret(leaf(at::arange(a.scalar(0), a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(int64_t{1}), factoryOptions(a, 3)), a.flag(5)));
}

// linspace(start, end, steps, dtype, device, requiresGrad)
OP(linspace) {
  a.need(3);
  return a.ret(leaf(at::linspace(a.scalar(0), a.scalar(1), a.i64(2), factoryOptions(a, 3)), a.flag(5)));
}

// eye(n, m, dtype, device, requiresGrad)
OP(eye) {
  a.need(1);
  const int64_t n = a.i64(0);
  return a.ret(leaf(at::eye(n, a.i64(1, n), factoryOptions(a, 2)), a.flag(4)));
}

// scalarTensor(value, dtype, device): a 0-d tensor.
OP(scalarTensor) {
  a.need(1);
  at::TensorOptions o = factoryOptions(a, 1);
  if (!o.has_dtype()) o = o.dtype(at::kFloat);
  return a.ret(at::scalar_tensor(a.scalar(0), o));
}

// ---- *_like(t, dtype) ---------------------------------------------------------------------------

static at::TensorOptions likeOptions(const Args& a, const at::Tensor& t, size_t i) {
  at::TensorOptions o = t.options();
  if (auto dt = a.optDtype(i)) o = o.dtype(*dt);
  return o;
}

OP(zerosLike) { const auto& t = a.t(0); return a.ret(at::zeros_like(t, likeOptions(a, t, 1))); }
OP(onesLike) { const auto& t = a.t(0); return a.ret(at::ones_like(t, likeOptions(a, t, 1))); }
OP(emptyLike) { const auto& t = a.t(0); return a.ret(at::empty_like(t, likeOptions(a, t, 1))); }
OP(randLike) { const auto& t = a.t(0); return a.ret(at::rand_like(t, likeOptions(a, t, 1))); }
OP(randnLike) { const auto& t = a.t(0); return a.ret(at::randn_like(t, likeOptions(a, t, 1))); }
OP(fullLike) { const auto& t = a.t(0); return a.ret(at::full_like(t, a.scalar(1), likeOptions(a, t, 2))); }

// ---- bytes in and out ---------------------------------------------------------------------------

// fromBuffer(view: TypedArray|ArrayBuffer, shape, srcDtype, dstDtype, device, requiresGrad):
// copies the bytes (little-endian, contiguous, srcDtype) into a new tensor, then converts.
OP(fromBuffer) {
  a.need(3);
  void* data = nullptr;
  size_t byteLength = 0;
  bool isTyped = false, isAb = false;
  napi_is_typedarray(a.env, a.argv[0], &isTyped);
  if (isTyped) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    if (napi_get_typedarray_info(a.env, a.argv[0], &type, &length, &data, &ab, &offset) != napi_ok) a.fail("cannot read the typed array");
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    byteLength = length * elem;
  } else {
    napi_is_arraybuffer(a.env, a.argv[0], &isAb);
    if (!isAb) a.fail("argument 1 must be a TypedArray or ArrayBuffer");
    if (napi_get_arraybuffer_info(a.env, a.argv[0], &data, &byteLength) != napi_ok) a.fail("cannot read the ArrayBuffer");
  }
  const auto shape = a.ints(1);
  checkShape(a, shape);
  const at::ScalarType src = a.dtype(2);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(src));
  const size_t need = t.numel() * t.element_size();
  if (need != byteLength)
    a.fail("data has " + std::to_string(byteLength) + " bytes but shape " + c10::str(c10::IntArrayRef(shape)) + " of " +
           c10::toString(src) + " needs " + std::to_string(need));
  if (need) std::memcpy(t.data_ptr(), data, need);
  const auto dst = a.optDtype(3);
  const at::Device dev = a.device(4);
  if ((dst && *dst != src) || dev != t.device()) t = t.to(dev, dst ? *dst : src);
  return a.ret(leaf(t, a.flag(5)));
}

// toBuffer(t): a new ArrayBuffer with the tensor's bytes (CPU, contiguous, its own dtype). Copied,
// not external: Electron's V8 sandbox forbids external array buffers.
OP(toBuffer) {
  a.need(1);
  at::Tensor t = a.t(0).detach();
  if (!t.device().is_cpu()) t = t.to(at::kCPU);
  t = t.contiguous();
  const size_t n = t.numel() * t.element_size();
  void* out = nullptr;
  napi_value ab;
  if (napi_create_arraybuffer(a.env, n, &out, &ab) != napi_ok) throw std::bad_alloc();
  if (n) std::memcpy(out, t.data_ptr(), n);
  return ab;
}

OP(item) {
  a.need(1);
  const at::Tensor& t = a.t(0);
  if (t.numel() != 1) a.fail("item() needs a tensor with one element, got shape " + c10::str(t.sizes()));
  if (t.scalar_type() == at::kBool) return a.number(t.item<bool>() ? 1 : 0);
  return a.number(t.item<double>());
}

// ---- metadata -----------------------------------------------------------------------------------

static std::string deviceString(const at::Device& d) { return d.str(); }

// meta(t): [dtypeCode, device, ...shape], read once and cached by the JS wrapper.
OP(meta) {
  a.need(1);
  const at::Tensor& t = a.t(0);
  std::vector<napi_value> items;
  items.reserve(2 + t.dim());
  items.push_back(a.number(fromScalarType(t.scalar_type())));
  items.push_back(a.string(deviceString(t.device())));
  for (int64_t s : t.sizes()) items.push_back(a.number(static_cast<double>(s)));
  return a.array(items);
}

OP(shape) { return a.ints(a.t(0).sizes()); }
OP(strides) { return a.ints(a.t(0).strides()); }
OP(dtype) { return a.number(fromScalarType(a.t(0).scalar_type())); }
OP(device) { return a.string(deviceString(a.t(0).device())); }
OP(numel) { return a.number(static_cast<double>(a.t(0).numel())); }
OP(ndim) { return a.number(static_cast<double>(a.t(0).dim())); }
OP(isContiguous) { return a.boolean(a.t(0).is_contiguous()); }
OP(requiresGrad) { return a.boolean(a.t(0).requires_grad()); }
OP(isLeaf) { return a.boolean(a.t(0).is_leaf()); }
// sameStorage(a, b): whether two handles view the same memory (tests, views vs copies).
OP(sameStorage) { return a.boolean(a.t(0).storage().is_alias_of(a.t(1).storage())); }
OP(dataPtr) { return a.number(static_cast<double>(reinterpret_cast<uintptr_t>(a.t(0).data_ptr()))); }

// ---- conversion ---------------------------------------------------------------------------------

// to(t, dtype|-1, device|null, copy): a new handle (same tensor when nothing changes, as in PyTorch).
OP(to) {
  a.need(1);
  const at::Tensor& t = a.t(0);
  const auto dt = a.optDtype(1);
  const at::Device dev = a.has(2) ? a.device(2) : t.device();
  const bool copy = a.flag(3);
  return a.ret(t.to(dev, dt ? *dt : t.scalar_type(), /*non_blocking=*/false, copy));
}

OP(clone) { return a.ret(a.t(0).clone()); }
OP(contiguous) { return a.ret(a.t(0).contiguous()); }
// alias(t): a second handle to the same tensor (for keeping a tensor past its owner's dispose).
OP(alias) { return a.ret(a.t(0)); }

}  // namespace onemark
