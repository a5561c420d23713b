// C++ twin of src/models/unetVgg.ts for the engine benchmark (bench/engine.ts).
//
// The same network (VGG19-BN encoder, bilinear-upsample + skip + 2x(conv-BN-ReLU) decoder, dilated
// RFB-like blocks on the three coarsest levels, 1x1 embedding heads), the same loss (sum over scales
// of mean squared embeddings) and the same optimiser (Adam, lr 1e-3, weight decay 1e-4), written with
// torch::nn directly on the same libtorch. It times full training steps so the TypeScript engine's
// overhead can be measured against a floor with no binding at all.
//
// Usage: unet_step [--size N] [--batch B] [--width W] [--levels L] [--in-channels C] [--embed E]
//                  [--no-dilated] [--steps S] [--warmup K] [--threads T] [--device cpu|cuda] [--list] [--serve]
// Prints one JSON object on stdout: per-step wall and CPU milliseconds, losses, parameter count, peak RSS (KiB).
// --list prints the state-dict names and shapes instead (the bench checks they equal the TS model's).
// --serve runs one step per "step" line read from stdin and answers each with one JSON line.
#include <torch/torch.h>

#include "../../native/src/allocator.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn = torch::nn;

struct Config {
  int in_channels = 1;
  double width = 1.0;
  int levels = 5;
  int embed_dim = 64;
  bool dilated = true;
};

// Must match channels() in src/models/unetVgg.ts: round half up, at least one channel.
static int64_t scaled(int base, double width) { return std::max<int64_t>(1, std::llround(base * width)); }

static const std::vector<std::vector<int>> kVgg19Blocks = {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512}, {512, 512, 512, 512}};
static const int kDilations[3] = {3, 5, 7};

static nn::Sequential conv_bn_relu_pair(int64_t in, int64_t mid, int64_t out) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, mid, 3).padding(1).bias(false)), nn::BatchNorm2d(mid), nn::ReLU(),
                        nn::Conv2d(nn::Conv2dOptions(mid, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out), nn::ReLU());
}

struct EncoderImpl : nn::Module {
  nn::Sequential features;
  std::vector<int> pool_index;  // index of the MaxPool closing each block
  std::vector<int64_t> widths;  // output channels of each block

  EncoderImpl(const Config& cfg) {
    int64_t in = cfg.in_channels;
    int idx = 0;
    for (int b = 0; b < cfg.levels; ++b) {
      for (int c : kVgg19Blocks[b]) {
        int64_t out = scaled(c, cfg.width);
        auto conv = nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(conv->bias);
        features->push_back(conv);
        features->push_back(nn::BatchNorm2d(out));
        features->push_back(nn::ReLU());
        idx += 3;
        in = out;
      }
      features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      pool_index.push_back(idx);
      widths.push_back(in);
      idx += 1;
    }
    register_module("features", features);
  }
};
TORCH_MODULE(Encoder);

struct DilatedBlockImpl : nn::Module {
  nn::ModuleList branches;
  nn::Sequential fuse;
  explicit DilatedBlockImpl(int64_t c) {
    int64_t b = std::max<int64_t>(1, c / 4);
    for (int d : kDilations) {
      branches->push_back(nn::Sequential(nn::Conv2d(nn::Conv2dOptions(c, b, 3).padding(d).dilation(d).bias(false)), nn::BatchNorm2d(b), nn::ReLU()));
    }
    fuse = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3 * b, c, 1).bias(false)), nn::BatchNorm2d(c));
    register_module("branches", branches);
    register_module("fuse", fuse);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> outs;
    for (const auto& m : *branches) outs.push_back(m->as<nn::Sequential>()->forward(x));
    return torch::relu(x + fuse->forward(torch::cat(outs, 1)));
  }
};
TORCH_MODULE(DilatedBlock);

struct UpImpl : nn::Module {
  nn::Sequential conv;
  UpImpl(int64_t in, int64_t out) : conv(conv_bn_relu_pair(in, in / 2, out)) { register_module("conv", conv); }
  torch::Tensor forward(const torch::Tensor& low, const torch::Tensor& skip) {
    auto up = torch::nn::functional::interpolate(
        low, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{skip.size(2), skip.size(3)}).mode(torch::kBilinear).align_corners(true));
    return conv->forward(torch::cat({skip, up}, 1));
  }
};
TORCH_MODULE(Up);

struct UNetVggImpl : nn::Module {
  Config cfg;
  Encoder encoder{nullptr};
  nn::ModuleList decoder, dilated, heads;

  explicit UNetVggImpl(const Config& c) : cfg(c) {
    encoder = register_module("encoder", Encoder(cfg));
    const auto& e = encoder->widths;
    const int L = cfg.levels;
    // Channels of each embedding level, coarse to fine (stride 2^L ... 2).
    std::vector<int64_t> level_ch = {e[L - 1]};
    int64_t prev = e[L - 1];
    for (int l = L - 2; l >= 0; --l) {
      int64_t out = e[std::max(l - 1, 0)];
      decoder->push_back(Up(prev + e[l], out));
      level_ch.push_back(out);
      prev = out;
    }
    if (cfg.dilated) {
      for (int i = 0; i < std::min(3, L); ++i) dilated->push_back(DilatedBlock(level_ch[i]));
    }
    for (int64_t ch : level_ch) heads->push_back(nn::Conv2d(nn::Conv2dOptions(ch, cfg.embed_dim, 1)));
    register_module("decoder", decoder);
    if (cfg.dilated) register_module("dilated", dilated);
    register_module("heads", heads);
  }

  std::vector<torch::Tensor> forward(torch::Tensor x) {
    std::vector<torch::Tensor> skips;
    int idx = 0, block = 0;
    for (auto& m : *encoder->features) {
      x = m.forward(x);
      if (idx == encoder->pool_index[block]) {
        skips.push_back(x);
        ++block;
      }
      ++idx;
    }
    const int L = cfg.levels;
    std::vector<torch::Tensor> feats;
    torch::Tensor cur = skips[L - 1];
    if (cfg.dilated) cur = dilated[0]->as<DilatedBlock>()->forward(cur);
    feats.push_back(cur);
    for (int k = 0; k < L - 1; ++k) {
      cur = decoder[k]->as<Up>()->forward(cur, skips[L - 2 - k]);
      if (cfg.dilated && k + 1 < 3) cur = dilated[k + 1]->as<DilatedBlock>()->forward(cur);
      feats.push_back(cur);
    }
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < feats.size(); ++i) out.push_back(heads[i]->as<nn::Conv2d>()->forward(feats[i]));
    return out;
  }
};
TORCH_MODULE(UNetVgg);

// CPU time of the whole process (all threads): under outside load it varies less than wall time.
static double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long peak_rss_kib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int main(int argc, char** argv) {
  // The addon's allocator settings, so that the two engines are compared on equal terms.
  onemark::tuneAllocator();
  Config cfg;
  int size = 96, batch = 2, steps = 10, warmup = 3, threads = 0;
  std::string device = "cpu";
  bool list = false, serve = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--size") size = std::stoi(next());
    else if (a == "--batch") batch = std::stoi(next());
    else if (a == "--width") cfg.width = std::stod(next());
    else if (a == "--levels") cfg.levels = std::stoi(next());
    else if (a == "--in-channels") cfg.in_channels = std::stoi(next());
    else if (a == "--embed") cfg.embed_dim = std::stoi(next());
    else if (a == "--no-dilated") cfg.dilated = false;
    else if (a == "--steps") steps = std::stoi(next());
    else if (a == "--warmup") warmup = std::stoi(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--device") device = next();
    else if (a == "--list") list = true;
    else if (a == "--serve") serve = true;
    else {
      std::cerr << "unet_step: unknown option " << a << "\n";
      return 2;
    }
  }
  if (cfg.levels < 2 || cfg.levels > 5) {
    std::cerr << "unet_step: --levels must be 2..5\n";
    return 2;
  }
  if (threads > 0) torch::set_num_threads(threads);
  torch::manual_seed(0);
  torch::Device dev(device);

  UNetVgg net(cfg);
  if (list) {
    std::cout << "[";
    bool first = true;
    for (const auto& kv : net->named_parameters(true)) {
      std::cout << (first ? "" : ",") << "[\"" << kv.key() << "\"," << kv.value().sizes() << "]";
      first = false;
    }
    for (const auto& kv : net->named_buffers(true)) {
      std::cout << ",[\"" << kv.key() << "\"," << kv.value().sizes() << "]";
    }
    std::cout << "]\n";
    return 0;
  }
  net->to(dev);
  net->train();
  int64_t nparams = 0;
  for (const auto& p : net->parameters()) nparams += p.numel();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(1e-4));
  auto input = torch::rand({batch, cfg.in_channels, size, size}, torch::TensorOptions().device(dev));

  struct StepTime {
    double ms, cpu, loss;
  };
  auto step = [&]() -> StepTime {
    const double c0 = cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    auto embs = net->forward(input);
    torch::Tensor loss = embs[0].pow(2).mean();
    for (size_t i = 1; i < embs.size(); ++i) loss = loss + embs[i].pow(2).mean();
    loss.backward();
    opt.step();
    double l = loss.item<double>();  // syncs the device too
    auto t1 = std::chrono::steady_clock::now();
    return {std::chrono::duration<double, std::milli>(t1 - t0).count(), cpu_ms() - c0, l};
  };

  if (serve) {
    // One step per "step" line on stdin, one JSON line back; the bench interleaves these with its
    // own steps so both engines run under the same outside load. EOF or "quit" ends.
    std::string line;
    std::cout << "{\"ready\":true,\"params\":" << nparams << ",\"threads\":" << torch::get_num_threads() << "}" << std::endl;
    while (std::getline(std::cin, line) && line != "quit") {
      StepTime r = step();
      std::cout << "{\"ms\":" << r.ms << ",\"cpuMs\":" << r.cpu << ",\"loss\":" << r.loss << ",\"peakRssKiB\":" << peak_rss_kib() << "}" << std::endl;
    }
    return 0;
  }

  std::vector<double> ms, cpu, losses;
  for (int s = 0; s < warmup + steps; ++s) {
    StepTime r = step();
    if (s >= warmup) {
      ms.push_back(r.ms);
      cpu.push_back(r.cpu);
      losses.push_back(r.loss);
    }
  }
  std::ostringstream o;
  o.precision(6);
  o << "{\"engine\":\"c++\",\"threads\":" << torch::get_num_threads() << ",\"params\":" << nparams << ",\"ms\":[";
  for (size_t i = 0; i < ms.size(); ++i) o << (i ? "," : "") << ms[i];
  o << "],\"cpuMs\":[";
  for (size_t i = 0; i < cpu.size(); ++i) o << (i ? "," : "") << cpu[i];
  o << "],\"loss\":[";
  for (size_t i = 0; i < losses.size(); ++i) o << (i ? "," : "") << losses[i];
  o << "],\"peakRssKiB\":" << peak_rss_kib() << "}";
  std::cout << o.str() << std::endl;
  return 0;
}
