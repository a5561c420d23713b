// Module entry: the handle table, argument decoding, the trampoline every op goes through, and
// the process-wide functions (handles, seeding, threads, grad mode, CUDA queries, build info).
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "allocator.h"
#include "common.h"

namespace onemark {

// ---------------------------------------------------------------------------------------------
// HandleTable

double HandleTable::put(at::Tensor t) {
  uint64_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    if (capacity_ >= kSlotMask) throw std::runtime_error("too many live tensors (16M); dispose tensors you no longer need");
    if (capacity_ % kChunk == 0) chunks_.emplace_back(new Slot[kChunk]);
    idx = capacity_++;
  }
  Slot* s = slot(idx);
  s->t = std::move(t);
  s->used = true;
  ++live_;
  return static_cast<double>((static_cast<uint64_t>(s->gen) << kSlotBits) | idx);
}

bool HandleTable::decode(double handle, uint64_t& idx) const {
  if (!(handle >= 0) || handle >= 4503599627370496.0 /* 2^52 */) return false;
  const uint64_t h = static_cast<uint64_t>(handle);
  if (static_cast<double>(h) != handle) return false;
  idx = h & kSlotMask;
  if (idx >= capacity_) return false;
  const Slot* s = slot(idx);
  return s->used && s->gen == (h >> kSlotBits);
}

const at::Tensor& HandleTable::get(double handle) const {
  uint64_t idx;
  if (!decode(handle, idx)) throw ArgError("tensor used after dispose (or not a tensor handle)");
  return slot(idx)->t;
}

bool HandleTable::release(double handle) {
  uint64_t idx;
  if (!decode(handle, idx)) return false;
  Slot* s = slot(idx);
  // Move out first: the tensor's destructor may run arbitrary code (autograd hooks), and the slot
  // must already be consistent when it does.
  at::Tensor dying = std::move(s->t);
  s->used = false;
  s->gen = static_cast<uint32_t>((s->gen + 1) & kGenMask);
  free_.push_back(static_cast<uint32_t>(idx));
  --live_;
  return true;
}

void HandleTable::clear() {
  for (uint64_t i = 0; i < capacity_; ++i) {
    Slot* s = slot(i);
    if (s->used) {
      s->t.reset();
      s->used = false;
    }
  }
  live_ = 0;
}

HandleTable& handles() {
  static HandleTable table;
  return table;
}

// ---------------------------------------------------------------------------------------------
// DType codes

at::ScalarType toScalarType(int code) {
  switch (code) {
    case kFloat32: return at::kFloat;
    case kFloat64: return at::kDouble;
    case kFloat16: return at::kHalf;
    case kBFloat16: return at::kBFloat16;
    case kInt64: return at::kLong;
    case kInt32: return at::kInt;
    case kUInt8: return at::kByte;
    case kBool: return at::kBool;
    case kInt8: return at::kChar;
    case kInt16: return at::kShort;
  }
  throw ArgError("unknown dtype code " + std::to_string(code));
}

int fromScalarType(at::ScalarType st) {
  switch (st) {
    case at::kFloat: return kFloat32;
    case at::kDouble: return kFloat64;
    case at::kHalf: return kFloat16;
    case at::kBFloat16: return kBFloat16;
    case at::kLong: return kInt64;
    case at::kInt: return kInt32;
    case at::kByte: return kUInt8;
    case at::kBool: return kBool;
    case at::kChar: return kInt8;
    case at::kShort: return kInt16;
    default: break;
  }
  throw std::runtime_error(std::string("dtype ") + c10::toString(st) + " is not supported by the engine");
}

int64_t reductionCode(const std::string& r) {
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw ArgError("reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// ---------------------------------------------------------------------------------------------
// Args

#define NAPI_OK(call)                                                    \
  do {                                                                   \
    if ((call) != napi_ok) throw std::runtime_error("Node-API call failed: " #call); \
  } while (0)

Args::Args(napi_env e, napi_callback_info info, const char* opname) : env(e), op(opname) {
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc > kMax) argc = kMax;
}

// values holds kMax entries: napi_get_cb_info pads the missing ones with undefined, so ops may
// read argv[i] past argc safely.
Args::Args(napi_env e, const char* opname, size_t n, const napi_value* values) : env(e), op(opname), argc(n < kMax ? n : kMax) {
  for (size_t i = 0; i < kMax; ++i) argv[i] = values[i];
}

napi_value Args::at(size_t i) const {
  if (i >= argc) fail("missing argument " + std::to_string(i + 1));
  return argv[i];
}

napi_valuetype Args::type(size_t i) const {
  if (i >= argc) return napi_undefined;
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, argv[i], &t));
  return t;
}

bool Args::has(size_t i) const {
  const napi_valuetype t = type(i);
  return t != napi_undefined && t != napi_null;
}

void Args::fail(const std::string& msg) const { throw ArgError(msg); }

void Args::need(size_t n) const {
  if (argc < n) fail("expected " + std::to_string(n) + " arguments, got " + std::to_string(argc));
}

double Args::num(size_t i) const {
  double v;
  if (napi_get_value_double(env, at(i), &v) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be a number");
  return v;
}

double Args::num(size_t i, double dflt) const { return has(i) ? num(i) : dflt; }

int64_t Args::i64(size_t i) const {
  const double v = num(i);
  if (!std::isfinite(v) || std::floor(v) != v || std::fabs(v) >= 9.2e18)
    fail("argument " + std::to_string(i + 1) + " must be an integer, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

int64_t Args::i64(size_t i, int64_t dflt) const { return has(i) ? i64(i) : dflt; }

bool Args::flag(size_t i, bool dflt) const {
  if (!has(i)) return dflt;
  bool b;
  if (napi_get_value_bool(env, argv[i], &b) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be a boolean");
  return b;
}

std::string Args::str(size_t i) const {
  size_t len;
  if (napi_get_value_string_utf8(env, at(i), nullptr, 0, &len) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be a string");
  std::string s(len, '\0');
  NAPI_OK(napi_get_value_string_utf8(env, argv[i], s.data(), len + 1, &len));
  return s;
}

std::string Args::str(size_t i, const std::string& dflt) const { return has(i) ? str(i) : dflt; }

const at::Tensor& Args::t(size_t i) const {
  double h;
  if (napi_get_value_double(env, at(i), &h) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be a tensor");
  return handles().get(h);
}

at::Tensor Args::optT(size_t i) const {
  if (!has(i)) return at::Tensor();
  double h;
  if (napi_get_value_double(env, argv[i], &h) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be a tensor or null");
  if (h < 0) return at::Tensor();
  return handles().get(h);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  napi_value arr = at(i);
  bool isArray = false;
  NAPI_OK(napi_is_array(env, arr, &isArray));
  if (!isArray) fail("argument " + std::to_string(i + 1) + " must be an array of tensors");
  uint32_t n;
  NAPI_OK(napi_get_array_length(env, arr, &n));
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    double h;
    NAPI_OK(napi_get_element(env, arr, k, &el));
    if (napi_get_value_double(env, el, &h) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be an array of tensors");
    out.push_back(handles().get(h));
  }
  return out;
}

at::Scalar Args::scalar(size_t i) const {
  napi_value v = at(i);
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, v, &t));
  if (t == napi_boolean) {
    bool b;
    NAPI_OK(napi_get_value_bool(env, v, &b));
    return at::Scalar(b);
  }
  if (t != napi_number) fail("argument " + std::to_string(i + 1) + " must be a number");
  double d;
  NAPI_OK(napi_get_value_double(env, v, &d));
  // Integral JS numbers act like Python ints (int tensors stay int); others like Python floats.
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

c10::optional<at::Scalar> Args::optScalar(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return scalar(i);
}

std::vector<int64_t> Args::ints(size_t i) const {
  napi_value v = at(i);
  bool isArray = false;
  NAPI_OK(napi_is_array(env, v, &isArray));
  if (!isArray) return {i64(i)};
  uint32_t n;
  NAPI_OK(napi_get_array_length(env, v, &n));
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    double d;
    NAPI_OK(napi_get_element(env, v, k, &el));
    if (napi_get_value_double(env, el, &d) != napi_ok || !std::isfinite(d) || std::floor(d) != d || std::fabs(d) >= 9.2e18)
      fail("argument " + std::to_string(i + 1) + " must be an array of integers");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

std::vector<double> Args::doubles(size_t i) const {
  napi_value v = at(i);
  bool isArray = false;
  NAPI_OK(napi_is_array(env, v, &isArray));
  if (!isArray) return {num(i)};
  uint32_t n;
  NAPI_OK(napi_get_array_length(env, v, &n));
  std::vector<double> out(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    NAPI_OK(napi_get_element(env, v, k, &el));
    if (napi_get_value_double(env, el, &out[k]) != napi_ok) fail("argument " + std::to_string(i + 1) + " must be an array of numbers");
  }
  return out;
}

at::ScalarType Args::dtype(size_t i) const { return toScalarType(static_cast<int>(i64(i))); }

c10::optional<at::ScalarType> Args::optDtype(size_t i) const {
  if (!has(i)) return c10::nullopt;
  const int64_t code = i64(i);
  if (code < 0) return c10::nullopt;
  return toScalarType(static_cast<int>(code));
}

at::Device Args::device(size_t i) const {
  if (!has(i)) return at::Device(at::kCPU);
  const std::string s = str(i);
  if (s == "cpu") return at::Device(at::kCPU);
  return at::Device(s);  // c10::Error for a malformed string; the trampoline reports it
}

napi_value Args::ret(at::Tensor t) const {
  if (!t.defined()) return null();
  return number(handles().put(std::move(t)));
}

napi_value Args::ret(const std::vector<at::Tensor>& ts) const {
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, ts.size(), &arr));
  for (size_t k = 0; k < ts.size(); ++k) NAPI_OK(napi_set_element(env, arr, static_cast<uint32_t>(k), ret(ts[k])));
  return arr;
}

napi_value Args::number(double v) const {
  napi_value r;
  NAPI_OK(napi_create_double(env, v, &r));
  return r;
}

napi_value Args::boolean(bool v) const {
  napi_value r;
  NAPI_OK(napi_get_boolean(env, v, &r));
  return r;
}

napi_value Args::string(const std::string& s) const {
  napi_value r;
  NAPI_OK(napi_create_string_utf8(env, s.data(), s.size(), &r));
  return r;
}

napi_value Args::undefined() const {
  napi_value r;
  NAPI_OK(napi_get_undefined(env, &r));
  return r;
}

napi_value Args::null() const {
  napi_value r;
  NAPI_OK(napi_get_null(env, &r));
  return r;
}

napi_value Args::array(const std::vector<napi_value>& items) const {
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, items.size(), &arr));
  for (size_t k = 0; k < items.size(); ++k) NAPI_OK(napi_set_element(env, arr, static_cast<uint32_t>(k), items[k]));
  return arr;
}

napi_value Args::ints(c10::IntArrayRef v) const {
  napi_value arr;
  NAPI_OK(napi_create_array_with_length(env, v.size(), &arr));
  for (size_t k = 0; k < v.size(); ++k) NAPI_OK(napi_set_element(env, arr, static_cast<uint32_t>(k), number(static_cast<double>(v[k]))));
  return arr;
}

std::vector<OpDef>& registry() {
  static std::vector<OpDef> ops;
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Trampoline: every exported function enters here.

/**
 * The first lines of a libtorch message: enough to act on, without C++ stack noise (some dispatcher
 * errors run to pages: the list of every backend and where its kernel was registered).
 */
static std::string firstLines(const std::string& s, int maxLines = 6, size_t maxChars = 1200) {
  std::string out;
  int lines = 0;
  size_t pos = 0;
  while (pos < s.size() && lines < maxLines) {
    size_t nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.rfind("Exception raised from", 0) == 0) break;
    if (!out.empty()) out += '\n';
    out += line;
    ++lines;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.size() > maxChars) {
    out.resize(maxChars);
    out += " ...";
  }
  return out;
}

static void throwJs(napi_env env, const char* op, const std::string& msg, bool typeError) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;  // a JS exception from a Node-API call is more precise; keep it
  const std::string full = std::string(op) + ": " + msg;
  if (typeError) napi_throw_type_error(env, "ONEMARK_ARG", full.c_str());
  else napi_throw_error(env, "ONEMARK_TORCH", full.c_str());
}

static napi_value trampoline(napi_env env, napi_callback_info info) {
  // One napi_get_cb_info for the arguments and the op: this path runs for every tensor op.
  void* data = nullptr;
  size_t argc = Args::kMax;
  napi_value argv[Args::kMax];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok || data == nullptr) {
    napi_throw_error(env, nullptr, "onemark: cannot read call arguments");
    return nullptr;
  }
  const OpDef* def = static_cast<const OpDef*>(data);
  try {
    Args a(env, def->name, argc, argv);
    return def->fn(a);
  } catch (const c10::OutOfMemoryError& e) {
    throwJs(env, def->name, std::string("out of memory: ") + firstLines(e.what_without_backtrace()), false);
  } catch (const c10::Error& e) {
    throwJs(env, def->name, firstLines(e.what_without_backtrace()), false);
  } catch (const ArgError& e) {
    throwJs(env, def->name, e.what(), true);
  } catch (const std::bad_alloc&) {
    throwJs(env, def->name, "out of memory (std::bad_alloc)", false);
  } catch (const std::exception& e) {
    throwJs(env, def->name, firstLines(e.what()), false);
  } catch (...) {
    throwJs(env, def->name, "unknown C++ exception", false);
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Process-wide functions

OP(free) {
  a.need(1);
  return a.boolean(handles().release(a.num(0)));
}

/** Frees a list of handles in one call (tidy scopes end with this). */
OP(freeMany) {
  a.need(1);
  napi_value arr = a.argv[0];
  uint32_t n;
  if (napi_get_array_length(a.env, arr, &n) != napi_ok) a.fail("argument 1 must be an array of handles");
  uint32_t freed = 0;
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el;
    double h;
    NAPI_OK(napi_get_element(a.env, arr, k, &el));
    if (napi_get_value_double(a.env, el, &h) == napi_ok && handles().release(h)) ++freed;
  }
  return a.number(freed);
}

OP(liveTensors) { return a.number(static_cast<double>(handles().live())); }

OP(isValid) {
  a.need(1);
  double h = a.num(0);
  try {
    handles().get(h);
    return a.boolean(true);
  } catch (const ArgError&) {
    return a.boolean(false);
  }
}

OP(manualSeed) {
  a.need(1);
  const double s = a.num(0);
  if (!(s >= 0) || std::floor(s) != s) a.fail("seed must be a non-negative integer");
  // at::manual_seed seeds the CPU generator and, when CUDA is present, every CUDA device's.
  at::manual_seed(static_cast<uint64_t>(s));
  return a.undefined();
}

OP(setNumThreads) {
  const int64_t n = a.i64(0);
  if (n < 1) a.fail("number of threads must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  return a.undefined();
}

OP(getNumThreads) { return a.number(at::get_num_threads()); }

OP(setGradEnabled) {
  const bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(a.flag(0));
  return a.boolean(prev);
}

OP(isGradEnabled) { return a.boolean(c10::GradMode::is_enabled()); }

OP(cudaIsAvailable) { return a.boolean(torch::cuda::is_available()); }

OP(cudaDeviceCount) { return a.number(static_cast<double>(torch::cuda::device_count())); }

OP(cudaSynchronize) {
  if (!torch::cuda::is_available()) return a.undefined();
  torch::cuda::synchronize(a.i64(0, -1));
  return a.undefined();
}

OP(version) { return a.string(TORCH_VERSION); }

OP(buildInfo) {
  napi_value obj;
  NAPI_OK(napi_create_object(a.env, &obj));
  auto set = [&](const char* k, napi_value v) { NAPI_OK(napi_set_named_property(a.env, obj, k, v)); };
  set("libtorch", a.string(TORCH_VERSION));
  set("libtorchMajor", a.number(TORCH_VERSION_MAJOR));
#ifdef ONEMARK_LIBTORCH_SOURCE
  set("libtorchSource", a.string(ONEMARK_LIBTORCH_SOURCE));
#endif
  set("cudaBuilt", a.boolean(at::hasCUDA()));
  set("cudaAvailable", a.boolean(torch::cuda::is_available()));
  set("cudaDeviceCount", a.number(static_cast<double>(torch::cuda::device_count())));
  set("cudnnAvailable", a.boolean(torch::cuda::cudnn_is_available()));
  set("compiler", a.string(__VERSION__));
#ifdef _GLIBCXX_USE_CXX11_ABI
  set("cxx11Abi", a.number(_GLIBCXX_USE_CXX11_ABI));
#endif
  set("napiVersion", a.number(NAPI_VERSION));
  set("parallel", a.string(firstLines(at::get_parallel_info(), 16, 4000)));
  set("ops", a.number(static_cast<double>(registry().size())));
  return obj;
}

#undef NAPI_OK

// ---------------------------------------------------------------------------------------------
// Module init

static void cleanup(void*) { handles().clear(); }

// The handle table is process-global and not locked: one JS thread owns the engine. A second
// environment (a worker thread) gets a clear error instead of racing the first.
static napi_env ownerEnv = nullptr;

static napi_value init(napi_env env, napi_value exports) {
  if (ownerEnv != nullptr && ownerEnv != env) {
    napi_throw_error(env, nullptr, "onemark: the engine addon is already loaded by another thread of this process; use it from one thread (run engines in child processes)");
    return nullptr;
  }
  ownerEnv = env;
  tuneAllocator();
  for (const OpDef& def : registry()) {
    napi_value fn;
    if (napi_create_function(env, def.name, NAPI_AUTO_LENGTH, trampoline, const_cast<OpDef*>(&def), &fn) != napi_ok ||
        napi_set_named_property(env, exports, def.name, fn) != napi_ok) {
      napi_throw_error(env, nullptr, (std::string("onemark: cannot export ") + def.name).c_str());
      return nullptr;
    }
  }
  napi_add_env_cleanup_hook(env, cleanup, nullptr);
  return exports;
}

}  // namespace onemark

NAPI_MODULE(NODE_GYP_MODULE_NAME, onemark::init)
