// torch.nn.functional: convolutions, pooling, resampling, activations, normalisation, dropout,
// distances and losses. Argument order follows the PyTorch functions; optional tensors are null.
#include "common.h"

namespace onemark {
namespace {

c10::optional<at::Tensor> opt(const at::Tensor& t) { return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt; }

/** A list of n ints from an int or array (PyTorch's `_pair` for n = 2). */
std::vector<int64_t> tuple(const Args& a, size_t i, size_t n, int64_t dflt) {
  if (!a.has(i)) return std::vector<int64_t>(n, dflt);
  auto v = a.ints(i);
  if (v.size() == 1 && n > 1) return std::vector<int64_t>(n, v[0]);
  if (v.size() != n) a.fail("argument " + std::to_string(i + 1) + " must have " + std::to_string(n) + " values");
  return v;
}

}  // namespace

// ---- linear and convolution ---------------------------------------------------------------------

// linear(x, w, b?)
OP(linear) { return a.ret(at::linear(a.t(0), a.t(1), opt(a.optT(2)))); }

// conv1d/conv2d(x, w, b?, stride, padding, dilation, groups)
OP(conv1d) {
  return a.ret(at::conv1d(a.t(0), a.t(1), opt(a.optT(2)), tuple(a, 3, 1, 1), tuple(a, 4, 1, 0), tuple(a, 5, 1, 1), a.i64(6, 1)));
}
OP(conv2d) {
  return a.ret(at::conv2d(a.t(0), a.t(1), opt(a.optT(2)), tuple(a, 3, 2, 1), tuple(a, 4, 2, 0), tuple(a, 5, 2, 1), a.i64(6, 1)));
}
// convTranspose2d(x, w, b?, stride, padding, outputPadding, groups, dilation)
OP(convTranspose2d) {
  return a.ret(at::conv_transpose2d(a.t(0), a.t(1), opt(a.optT(2)), tuple(a, 3, 2, 1), tuple(a, 4, 2, 0), tuple(a, 5, 2, 0),
                                    a.i64(6, 1), tuple(a, 7, 2, 1)));
}

// ---- pooling ----------------------------------------------------------------------------------

// maxPool2d(x, kernel, stride?, padding, dilation, ceilMode): stride defaults to the kernel.
OP(maxPool2d) {
  auto k = tuple(a, 1, 2, 1);
  auto s = a.has(2) ? tuple(a, 2, 2, 1) : k;
  return a.ret(at::max_pool2d(a.t(0), k, s, tuple(a, 3, 2, 0), tuple(a, 4, 2, 1), a.flag(5)));
}
// avgPool2d(x, kernel, stride?, padding, ceilMode, countIncludePad=true, divisorOverride?)
OP(avgPool2d) {
  auto k = tuple(a, 1, 2, 1);
  auto s = a.has(2) ? tuple(a, 2, 2, 1) : k;
  const c10::optional<int64_t> div = a.has(6) ? c10::optional<int64_t>(a.i64(6)) : c10::nullopt;
  return a.ret(at::avg_pool2d(a.t(0), k, s, tuple(a, 3, 2, 0), a.flag(4), a.flag(5, true), div));
}
OP(adaptiveAvgPool2d) { return a.ret(at::adaptive_avg_pool2d(a.t(0), tuple(a, 1, 2, 1))); }
OP(adaptiveMaxPool2d) { return a.ret(std::get<0>(at::adaptive_max_pool2d(a.t(0), tuple(a, 1, 2, 1)))); }

// ---- resampling -------------------------------------------------------------------------------

// interpolate(x, size?, scaleFactor?, mode, alignCorners?): x is (N, C, [D,] [H,] W).
OP(interpolate) {
  const at::Tensor& x = a.t(0);
  const int64_t spatial = x.dim() - 2;
  if (spatial < 1 || spatial > 3) a.fail("interpolate expects a 3-D, 4-D or 5-D input (N, C, spatial...), got shape " + c10::str(x.sizes()));
  c10::optional<std::vector<int64_t>> size;
  c10::optional<std::vector<double>> scales;
  if (a.has(1)) {
    auto s = a.ints(1);
    if (s.size() == 1) s.assign(spatial, s[0]);
    if (static_cast<int64_t>(s.size()) != spatial) a.fail("size must have one value per spatial dim (" + std::to_string(spatial) + ")");
    size = s;
  }
  if (a.has(2)) {
    auto f = a.doubles(2);
    if (f.size() == 1) f.assign(spatial, f[0]);
    if (static_cast<int64_t>(f.size()) != spatial) a.fail("scaleFactor must have one value per spatial dim (" + std::to_string(spatial) + ")");
    scales = f;
  }
  if (size.has_value() == scales.has_value()) a.fail("give exactly one of size and scaleFactor");
  const std::string mode = a.str(3, "nearest");
  const bool hasAlign = a.has(4);
  const bool align = a.flag(4);
  at::OptionalIntArrayRef osize = size ? at::OptionalIntArrayRef(*size) : at::OptionalIntArrayRef(c10::nullopt);
  c10::optional<at::ArrayRef<double>> sf = scales ? c10::optional<at::ArrayRef<double>>(*scales) : c10::nullopt;
  if (mode == "nearest") {
    if (hasAlign) a.fail("alignCorners only applies to linear, bilinear, bicubic and trilinear modes");
    if (spatial == 1) return a.ret(at::upsample_nearest1d(x, osize, sf));
    if (spatial == 2) return a.ret(at::upsample_nearest2d(x, osize, sf));
    return a.ret(at::upsample_nearest3d(x, osize, sf));
  }
  if (mode == "linear" && spatial == 1) return a.ret(at::upsample_linear1d(x, osize, align, sf));
  if (mode == "bilinear" && spatial == 2) return a.ret(at::upsample_bilinear2d(x, osize, align, sf));
  if (mode == "bicubic" && spatial == 2) return a.ret(at::upsample_bicubic2d(x, osize, align, sf));
  if (mode == "trilinear" && spatial == 3) return a.ret(at::upsample_trilinear3d(x, osize, align, sf));
  a.fail("mode '" + mode + "' does not fit a " + std::to_string(x.dim()) + "-D input (nearest; linear 3-D; bilinear/bicubic 4-D; trilinear 5-D)");
}

// pad(x, pads, mode='constant', value=0): pads as in F.pad (last dim first: [l, r, t, b, ...]).
OP(pad) {
  const at::Tensor& x = a.t(0);
  const auto pads = a.ints(1);
  const std::string mode = a.str(2, "constant");
  if (pads.size() % 2 != 0) a.fail("pads must have an even number of values");
  if (mode == "constant") return a.ret(at::constant_pad_nd(x, pads, a.has(3) ? a.scalar(3) : at::Scalar(int64_t{0})));
  if (mode == "reflect") {
    if (pads.size() == 2) return a.ret(at::reflection_pad1d(x, pads));
    if (pads.size() == 4) return a.ret(at::reflection_pad2d(x, pads));
    if (pads.size() == 6) return a.ret(at::reflection_pad3d(x, pads));
  } else if (mode == "replicate") {
    if (pads.size() == 2) return a.ret(at::replication_pad1d(x, pads));
    if (pads.size() == 4) return a.ret(at::replication_pad2d(x, pads));
    if (pads.size() == 6) return a.ret(at::replication_pad3d(x, pads));
  } else {
    a.fail("pad mode must be 'constant', 'reflect' or 'replicate', got '" + mode + "'");
  }
  a.fail("pad mode '" + mode + "' needs 2, 4 or 6 pad values");
}

// gridSample(x, grid, mode='bilinear', paddingMode='zeros', alignCorners=false)
OP(gridSample) {
  const std::string mode = a.str(2, "bilinear"), padding = a.str(3, "zeros");
  int64_t m, p;
  if (mode == "bilinear") m = 0;
  else if (mode == "nearest") m = 1;
  else if (mode == "bicubic") m = 2;
  else a.fail("gridSample mode must be 'bilinear', 'nearest' or 'bicubic', got '" + mode + "'");
  if (padding == "zeros") p = 0;
  else if (padding == "border") p = 1;
  else if (padding == "reflection") p = 2;
  else a.fail("gridSample paddingMode must be 'zeros', 'border' or 'reflection', got '" + padding + "'");
  return a.ret(at::grid_sampler(a.t(0), a.t(1), m, p, a.flag(4)));
}

// affineGrid(theta, size, alignCorners=false)
OP(affineGrid) { return a.ret(at::affine_grid_generator(a.t(0), a.ints(1), a.flag(2))); }
OP(pixelShuffle) { return a.ret(at::pixel_shuffle(a.t(0), a.i64(1))); }
OP(pixelUnshuffle) { return a.ret(at::pixel_unshuffle(a.t(0), a.i64(1))); }
// unfold(x, kernel, dilation=1, padding=0, stride=1): F.unfold (im2col)
OP(unfold) { return a.ret(at::im2col(a.t(0), tuple(a, 1, 2, 1), tuple(a, 2, 2, 1), tuple(a, 3, 2, 0), tuple(a, 4, 2, 1))); }

// ---- activations ------------------------------------------------------------------------------

OP(relu) { return a.ret(at::relu(a.t(0))); }
OP(relu6) { return a.ret(at::hardtanh(a.t(0), 0, 6)); }
OP(leakyRelu) { return a.ret(at::leaky_relu(a.t(0), a.has(1) ? a.scalar(1) : at::Scalar(0.01))); }
OP(elu) { return a.ret(at::elu(a.t(0), a.has(1) ? a.scalar(1) : at::Scalar(1.0))); }
// gelu(x, approximate='none'|'tanh')
OP(gelu) { return a.ret(at::gelu(a.t(0), a.str(1, "none"))); }
OP(silu) { return a.ret(at::silu(a.t(0))); }
OP(mish) { return a.ret(at::mish(a.t(0))); }
OP(softplus) { return a.ret(at::softplus(a.t(0), a.has(1) ? a.scalar(1) : at::Scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(20))); }
OP(sigmoid) { return a.ret(at::sigmoid(a.t(0))); }
OP(tanh) { return a.ret(at::tanh(a.t(0))); }
OP(logSigmoid) { return a.ret(at::log_sigmoid(a.t(0))); }
OP(hardsigmoid) { return a.ret(at::hardsigmoid(a.t(0))); }
OP(hardswish) { return a.ret(at::hardswish(a.t(0))); }
// softmax(x, dim, dtype?)
OP(softmax) { return a.ret(at::softmax(a.t(0), a.i64(1), a.optDtype(2))); }
OP(logSoftmax) { return a.ret(at::log_softmax(a.t(0), a.i64(1), a.optDtype(2))); }

// ---- normalisation and dropout ----------------------------------------------------------------

// layerNorm(x, normalizedShape, w?, b?, eps=1e-5)
OP(layerNorm) { return a.ret(at::layer_norm(a.t(0), a.ints(1), opt(a.optT(2)), opt(a.optT(3)), a.num(4, 1e-5))); }
// batchNorm(x, runningMean?, runningVar?, w?, b?, training, momentum=0.1, eps=1e-5)
OP(batchNorm) {
  return a.ret(at::batch_norm(a.t(0), opt(a.optT(3)), opt(a.optT(4)), opt(a.optT(1)), opt(a.optT(2)), a.flag(5), a.num(6, 0.1),
                              a.num(7, 1e-5), /*cudnn_enabled=*/true));
}
// groupNorm(x, groups, w?, b?, eps=1e-5)
OP(groupNorm) { return a.ret(at::group_norm(a.t(0), a.i64(1), opt(a.optT(2)), opt(a.optT(3)), a.num(4, 1e-5), true)); }
// instanceNorm(x, runningMean?, runningVar?, w?, b?, useInputStats=true, momentum=0.1, eps=1e-5)
OP(instanceNorm) {
  return a.ret(at::instance_norm(a.t(0), opt(a.optT(3)), opt(a.optT(4)), opt(a.optT(1)), opt(a.optT(2)), a.flag(5, true),
                                 a.num(6, 0.1), a.num(7, 1e-5), true));
}
// dropout(x, p, training): the native generator, so seed(n) makes it repeatable.
OP(dropout) { return a.ret(at::dropout(a.t(0), a.num(1, 0.5), a.flag(2, true))); }
// dropout2d(x, p, training): zeroes whole channels.
OP(dropout2d) { return a.ret(at::feature_dropout(a.t(0), a.num(1, 0.5), a.flag(2, true))); }

// normalize(x, p=2, dim=1, eps=1e-12), as F.normalize
OP(normalize) {
  const at::Tensor& x = a.t(0);
  at::Tensor denom = at::norm(x, at::Scalar(a.num(1, 2.0)), at::IntArrayRef{a.i64(2, 1)}, true).clamp_min(a.num(3, 1e-12));
  return a.ret(x / denom.expand_as(x));
}
OP(cosineSimilarity) { return a.ret(at::cosine_similarity(a.t(0), a.t(1), a.i64(2, 1), a.num(3, 1e-8))); }
OP(pairwiseDistance) { return a.ret(at::pairwise_distance(a.t(0), a.t(1), a.num(2, 2.0), a.num(3, 1e-6), a.flag(4))); }
OP(oneHot) { return a.ret(at::one_hot(a.t(0), a.i64(1, -1))); }
OP(embedding) { return a.ret(at::embedding(a.t(0), a.t(1))); }

// ---- losses: reduction is 'mean' | 'sum' | 'none' ---------------------------------------------

// crossEntropy(logits, target, weight?, reduction, ignoreIndex=-100, labelSmoothing=0)
OP(crossEntropy) {
  return a.ret(at::cross_entropy_loss(a.t(0), a.t(1), opt(a.optT(2)), reductionCode(a.str(3, "mean")), a.i64(4, -100), a.num(5, 0.0)));
}
// nllLoss(logProbs, target, weight?, reduction, ignoreIndex=-100)
OP(nllLoss) { return a.ret(at::nll_loss_nd(a.t(0), a.t(1), opt(a.optT(2)), reductionCode(a.str(3, "mean")), a.i64(4, -100))); }
// bceWithLogits(x, y, weight?, posWeight?, reduction)
OP(bceWithLogits) {
  return a.ret(at::binary_cross_entropy_with_logits(a.t(0), a.t(1), opt(a.optT(2)), opt(a.optT(3)), reductionCode(a.str(4, "mean"))));
}
// bce(p, y, weight?, reduction)
OP(bce) { return a.ret(at::binary_cross_entropy(a.t(0), a.t(1), opt(a.optT(2)), reductionCode(a.str(3, "mean")))); }
OP(mseLoss) { return a.ret(at::mse_loss(a.t(0), a.t(1), reductionCode(a.str(2, "mean")))); }
OP(l1Loss) { return a.ret(at::l1_loss(a.t(0), a.t(1), reductionCode(a.str(2, "mean")))); }
// smoothL1Loss(x, y, reduction, beta=1)
OP(smoothL1Loss) { return a.ret(at::smooth_l1_loss(a.t(0), a.t(1), reductionCode(a.str(2, "mean")), a.num(3, 1.0))); }
// huberLoss(x, y, reduction, delta=1)
OP(huberLoss) { return a.ret(at::huber_loss(a.t(0), a.t(1), reductionCode(a.str(2, "mean")), a.num(3, 1.0))); }
// klDiv(input, target, reduction, logTarget=false): 'batchmean' is computed by the TS wrapper.
OP(klDiv) { return a.ret(at::kl_div(a.t(0), a.t(1), reductionCode(a.str(2, "mean")), a.flag(3))); }

}  // namespace onemark
