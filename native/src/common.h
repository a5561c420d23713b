// Shared by every translation unit of the addon: the tensor handle table, argument decoding and
// the op registry. Ops are plain functions `napi_value fn(Args&)` registered by name with OP(name);
// a single trampoline decodes arguments, runs the op and turns every C++ exception into a JS Error,
// so no libtorch failure can abort the process.
//
// Handles: a JS tensor holds a number, not an object. The number is (generation << 24 | slot) into
// a native table of at::Tensor; free(handle) drops the slot's reference at once, so storage is
// released deterministically (the probe's slowness came from intermediates waiting for GC), and a
// stale or disposed handle fails the generation check instead of reaching another tensor. Passing
// numbers also keeps each call cheap: no object unwrap on the way in, no wrapper object (or GC weak
// reference) on the way out.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <node_api.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace onemark {

// ---------------------------------------------------------------------------------------------
// Errors raised at the boundary (bad arguments); the trampoline reports them as TypeError.
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Handle table.
class HandleTable {
 public:
  static constexpr int kSlotBits = 24;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  static constexpr uint64_t kGenMask = (uint64_t{1} << 28) - 1;  // keeps handles below 2^52
  static constexpr uint32_t kChunk = 4096;

  /** Stores t and returns its handle. */
  double put(at::Tensor t);
  /** The tensor behind a handle; throws ArgError for a disposed or unknown handle. */
  const at::Tensor& get(double handle) const;
  /** Drops the handle's reference; false when the handle was already free (stale). */
  bool release(double handle);
  size_t live() const { return live_; }
  /** Drops every tensor (addon unload). */
  void clear();

 private:
  struct Slot {
    at::Tensor t;
    uint32_t gen = 0;
    bool used = false;
  };
  Slot* slot(uint64_t idx) const { return &chunks_[idx / kChunk][idx % kChunk]; }
  bool decode(double handle, uint64_t& idx) const;

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::vector<uint32_t> free_;
  uint64_t capacity_ = 0;
  size_t live_ = 0;
};

HandleTable& handles();

// ---------------------------------------------------------------------------------------------
// DType codes shared with src/engine/dtype.ts (keep both in step).
enum DTypeCode : int {
  kFloat32 = 0,
  kFloat64 = 1,
  kFloat16 = 2,
  kBFloat16 = 3,
  kInt64 = 4,
  kInt32 = 5,
  kUInt8 = 6,
  kBool = 7,
  kInt8 = 8,
  kInt16 = 9,
};
at::ScalarType toScalarType(int code);
int fromScalarType(at::ScalarType st);

// ---------------------------------------------------------------------------------------------
// Arguments of one call.
class Args {
 public:
  static constexpr size_t kMax = 16;
  Args(napi_env env, napi_callback_info info, const char* op);
  /** From arguments already read (argc may exceed kMax: extra ones are ignored). */
  Args(napi_env env, const char* op, size_t argc, const napi_value* argv);

  napi_env env;
  const char* op;
  size_t argc = kMax;
  napi_value argv[kMax];

  size_t size() const { return argc; }
  bool has(size_t i) const;  // present and not undefined/null
  napi_valuetype type(size_t i) const;

  const at::Tensor& t(size_t i) const;       // required tensor handle
  at::Tensor optT(size_t i) const;           // handle, or undefined tensor for null/undefined/-1
  std::vector<at::Tensor> tensors(size_t i) const;  // array of handles
  double num(size_t i) const;
  double num(size_t i, double dflt) const;
  int64_t i64(size_t i) const;
  int64_t i64(size_t i, int64_t dflt) const;
  bool flag(size_t i, bool dflt = false) const;
  std::string str(size_t i) const;
  std::string str(size_t i, const std::string& dflt) const;
  /** A JS number as a scalar: integral values become int64 scalars (so int tensors stay int). */
  at::Scalar scalar(size_t i) const;
  c10::optional<at::Scalar> optScalar(size_t i) const;
  /** An int list: an array of numbers, or one number. */
  std::vector<int64_t> ints(size_t i) const;
  std::vector<double> doubles(size_t i) const;
  at::ScalarType dtype(size_t i) const;
  c10::optional<at::ScalarType> optDtype(size_t i) const;  // null/undefined/-1 -> nullopt
  at::Device device(size_t i) const;                       // 'cpu' | 'cuda' | 'cuda:N'; default cpu

  // Results.
  napi_value ret(at::Tensor t) const;  // handle (null for an undefined tensor)
  napi_value ret(const std::vector<at::Tensor>& ts) const;
  napi_value number(double v) const;
  napi_value boolean(bool v) const;
  napi_value string(const std::string& s) const;
  napi_value undefined() const;
  napi_value null() const;
  napi_value array(const std::vector<napi_value>& items) const;
  napi_value ints(c10::IntArrayRef v) const;

  [[noreturn]] void fail(const std::string& msg) const;
  void need(size_t n) const;  // throws unless at least n arguments were passed

 private:
  napi_value at(size_t i) const;
};

// ---------------------------------------------------------------------------------------------
// Op registry.
using OpFn = napi_value (*)(Args&);
struct OpDef {
  const char* name;
  OpFn fn;
};
std::vector<OpDef>& registry();
struct Registrar {
  Registrar(const char* name, OpFn fn) { registry().push_back({name, fn}); }
};

#define ONEMARK_CAT2(a, b) a##b
#define ONEMARK_CAT(a, b) ONEMARK_CAT2(a, b)
/** Defines and registers an exported op: OP(add) { return a.ret(a.t(0).add(a.t(1))); } */
#define OP(name)                                                                        \
  static napi_value ONEMARK_CAT(op_, name)(::onemark::Args & a);                      \
  static ::onemark::Registrar ONEMARK_CAT(reg_, name)(#name, &ONEMARK_CAT(op_, name)); \
  static napi_value ONEMARK_CAT(op_, name)(::onemark::Args & a)

// Reduction codes, as in at::Reduction: 'none' 0, 'mean' 1, 'sum' 2.
int64_t reductionCode(const std::string& r);

}  // namespace onemark
