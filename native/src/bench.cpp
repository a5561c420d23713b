// Measurement helpers behind the design choices (bench/ and tests use them; not part of the API):
// a pure C++ loop of small ops (the floor for per-call overhead), and the napi_external handle
// design the numeric handles were chosen over, kept so the comparison can be rerun.
#include <chrono>

#include "common.h"

namespace onemark {

// benchAddLoop(t, n): n x (t + t) in C++, each result freed at once; returns ns per op.
OP(benchAddLoop) {
  const at::Tensor& t = a.t(0);
  const int64_t n = a.i64(1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor r = at::add(t, t);
  }
  const auto t1 = std::chrono::steady_clock::now();
  return a.number(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n));
}

namespace {
void finalizeExternal(napi_env, void* data, void*) { delete static_cast<at::Tensor*>(data); }
napi_value external(const Args& a, at::Tensor t) {
  napi_value v;
  auto* p = new at::Tensor(std::move(t));
  if (napi_create_external(a.env, p, finalizeExternal, nullptr, &v) != napi_ok) {
    delete p;
    throw std::runtime_error("napi_create_external failed");
  }
  return v;
}
const at::Tensor& unwrapExternal(const Args& a, size_t i) {
  void* p = nullptr;
  if (napi_get_value_external(a.env, a.argv[i], &p) != napi_ok || p == nullptr) a.fail("expected an external tensor");
  return *static_cast<at::Tensor*>(p);
}
}  // namespace

// The alternative design: tensors as napi externals (freed by GC finalizers only).
OP(benchExternalFrom) { return external(a, a.t(0)); }
OP(benchExternalAdd) { return external(a, at::add(unwrapExternal(a, 0), unwrapExternal(a, 1))); }

}  // namespace onemark
