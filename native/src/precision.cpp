// Mixed precision and memory layout: autocast regions (bf16 on CPUs that have it, bf16/fp16 on
// CUDA) and channels-last tensors. Autocast is a thread-local dispatch state in libtorch, so a
// region set here covers every op the JS thread dispatches until it is set back.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "common.h"

// libtorch 2.4 replaced the per-backend autocast functions with device-typed ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define ONEMARK_DEVICE_TYPED_AUTOCAST 1
#endif

namespace onemark {
namespace {

bool isCudaArg(Args& a, size_t i) {
  const std::string dev = a.str(i);
  if (dev != "cpu" && dev != "cuda") a.fail("autocast device must be 'cpu' or 'cuda', got '" + dev + "'");
  return dev == "cuda";
}

bool autocastEnabled(bool cuda) {
#ifdef ONEMARK_DEVICE_TYPED_AUTOCAST
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocastDtype(bool cuda) {
#ifdef ONEMARK_DEVICE_TYPED_AUTOCAST
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

}  // namespace

// autocastState(device): '' when off, else the dtype ops are cast to ('bfloat16' | 'float16').
OP(autocastState) {
  a.need(1);
  const bool cuda = isCudaArg(a, 0);
  if (!autocastEnabled(cuda)) return a.string("");
  return a.string(autocastDtype(cuda) == at::kHalf ? "float16" : "bfloat16");
}

// setAutocastState(device, state): state '' turns autocast off, 'bfloat16' / 'float16' on.
OP(setAutocastState) {
  a.need(2);
  const bool cuda = isCudaArg(a, 0);
  const std::string state = a.str(1);
  if (state != "" && state != "bfloat16" && state != "float16")
    a.fail("autocast state must be '', 'bfloat16' or 'float16', got '" + state + "'");
  const bool on = !state.empty();
  if (on && !cuda && state == "float16") a.fail("CPU autocast supports bfloat16 only");
  const at::ScalarType dt = state == "float16" ? at::kHalf : at::kBFloat16;
#ifdef ONEMARK_DEVICE_TYPED_AUTOCAST
  const at::DeviceType type = cuda ? at::kCUDA : at::kCPU;
  if (on) at::autocast::set_autocast_dtype(type, dt);
  at::autocast::set_autocast_enabled(type, on);
#else
  if (cuda) {
    if (on) at::autocast::set_autocast_gpu_dtype(dt);
    at::autocast::set_enabled(on);
  } else {
    if (on) at::autocast::set_autocast_cpu_dtype(dt);
    at::autocast::set_cpu_enabled(on);
  }
#endif
  return a.undefined();
}

// autocastNesting(+1 | -1): entering and leaving regions; leaving the outermost drops the casts
// of weights cached inside it (what torch.autocast's __exit__ does), so no stale copy survives
// an optimiser step.
OP(autocastNesting) {
  a.need(1);
  const int64_t d = a.i64(0);
  if (d == 1) return a.number(at::autocast::increment_nesting());
  if (d != -1) a.fail("autocastNesting takes +1 or -1");
  const int depth = at::autocast::decrement_nesting();
  if (depth == 0) at::autocast::clear_cache();
  return a.number(depth);
}

// channelsLast(t): the same values laid out NHWC in memory (4-d tensors); convs on oneDNN and
// cuDNN can skip their layout conversions then.
OP(channelsLast) {
  const at::Tensor& t = a.t(0);
  if (t.dim() != 4) a.fail("channels-last needs a 4-d (N, C, H, W) tensor, got " + std::to_string(t.dim()) + "-d");
  return a.ret(t.contiguous(at::MemoryFormat::ChannelsLast));
}

OP(isChannelsLast) {
  const at::Tensor& t = a.t(0);
  return a.boolean(t.dim() == 4 && t.is_contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace onemark
