// Convolution over oneDNN, exposed to JS as the class `Conv`:
//   const c = new native.Conv(desc)   // desc: ConvDesc of src/backend/backend.ts (2-D, NCHW)
//   c.forward(x, w, b | null, y)       // y  = conv(x, w) (+ b), then ReLU when desc.reluSlope is set
//   c.backwardData(dy, w, dx)          // dx = conv^T(dy, w)            (overwrites dx)
//   c.backwardWeights(x, dy, dw, db|null) // dw += dL/dw, db += dL/db   (accumulates: Caffe's rule)
//   c.scratchBytes(data, weights)      // scratch bytes of its largest call (forward, asked backward)
//   c.dispose()                        // frees the primitives now (GC frees them otherwise)
// Tensors are Float32Arrays in the caller's plain layouts (conv_plan.h). A batch whose reordered copies
// would exceed the scratch budget runs as consecutive chunks of images, each through a Plan built for
// the chunk's size (images are independent; the weight gradients accumulate over chunks), so a large
// batch needs a bounded scratch arena instead of copies of whole activations.
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "conv_plan.h"

namespace {

using namespace caffets_conv;

// Scratch bytes one call may take before its batch is split (per thread; one arena serves all layers).
double scratchBudget = 64.0 * 1024 * 1024;

class Conv : public Napi::ObjectWrap<Conv> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Conv", {
      InstanceMethod<&Conv::Forward>("forward"),
      InstanceMethod<&Conv::BackwardData>("backwardData"),
      InstanceMethod<&Conv::BackwardWeights>("backwardWeights"),
      InstanceMethod<&Conv::ScratchBytes>("scratchBytes"),
      InstanceMethod<&Conv::Dispose>("dispose"),
    });
  }

  explicit Conv(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Conv>(info) {
    auto env = info.Env();
    if (!info[0].IsObject()) { Napi::TypeError::New(env, "Conv(desc): desc must be an object").ThrowAsJavaScriptException(); return; }
    auto d = info[0].As<Napi::Object>();
    auto num = [&](const char* k) { return d.Get(k).As<Napi::Number>().Int64Value(); };
    g_ = {num("num"), num("channels"), num("height"), num("width"), num("numOutput"), num("group"),
          num("kernelH"), num("kernelW"), num("strideH"), num("strideW"), num("padH"), num("padW"),
          num("dilationH"), num("dilationW"), num("outH"), num("outW"), d.Get("bias").ToBoolean().Value()};
    g_.inference = d.Get("inference").ToBoolean().Value();
    if (d.Get("reluSlope").IsNumber()) {
      g_.relu = true;
      g_.slope = d.Get("reluSlope").As<Napi::Number>().FloatValue();
    }
    // With one output row (column) the stride is never applied, and oneDNN's kernels overflow on strides
    // near 2^31 (SIGFPE): such a stride is passed as the padded input size, which computes the same.
    if (g_.oh == 1) g_.sh = std::min(g_.sh, g_.h + 2 * g_.ph + 1);
    if (g_.ow == 1) g_.sw = std::min(g_.sw, g_.w + 2 * g_.pw + 1);
    const Geometry& g = g_;
    if (g.n <= 0 || g.c <= 0 || g.h <= 0 || g.w <= 0 || g.o <= 0 || g.g <= 0 || g.kh <= 0 || g.kw <= 0 ||
        g.sh <= 0 || g.sw <= 0 || g.ph < 0 || g.pw < 0 || g.dh <= 0 || g.dw <= 0 || g.oh <= 0 || g.ow <= 0 ||
        g.c % g.g || g.o % g.g) {
      Napi::RangeError::New(env, "Conv(desc): invalid convolution geometry").ThrowAsJavaScriptException();
      return;
    }
    try {
      // chunks of `chunk_` images: about the largest whose scratch (forward and both backward directions)
      // stays within the budget (a chunk's scratch is nearly proportional to its images: shrink until it
      // fits, or one image), then evened out over the chunks needed
      int64_t chunk = g.n;
      for (double s; chunk > 1 && (s = PlanFor(chunk).ScratchBytes(true, true)) > scratchBudget;)
        chunk = std::max<int64_t>(1, std::min(chunk - 1, int64_t(double(chunk) * scratchBudget / s)));
      const int64_t parts = (g.n + chunk - 1) / chunk;
      chunk_ = (g.n + parts - 1) / parts;
      plans_.clear();  // keep only the plans used
      PlanFor(chunk_);
    } catch (const dnnl::error& e) {
      Napi::Error::New(env, std::string("oneDNN convolution: ") + e.what()).ThrowAsJavaScriptException();
    }
  }

 private:
  Geometry g_{};
  bool disposed_ = false;
  int64_t chunk_ = 0;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;  // by batch size: the chunk's and the last chunk's

  Plan& PlanFor(int64_t n) {
    auto& p = plans_[n];
    if (!p) {
      Geometry g = g_;
      g.n = n;
      p = std::make_unique<Plan>(g);
    }
    return *p;
  }

  // Runs f(plan, first image, images) over the chunks of the batch.
  template <typename F>
  void Chunks(F&& f) {
    for (int64_t i = 0; i < g_.n; i += chunk_) {
      const int64_t n = std::min(chunk_, g_.n - i);
      f(PlanFor(n), i, n);
    }
  }

  // The Float32Array at info[i], which must hold exactly `count` floats (or be null when allowed).
  float* Buffer(const Napi::CallbackInfo& info, size_t i, size_t count, const char* what, bool nullable = false) {
    auto v = info[i];
    if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      Napi::TypeError::New(info.Env(), std::string("Conv: ") + what + " must be a Float32Array").ThrowAsJavaScriptException();
      return nullptr;
    }
    auto a = v.As<Napi::Float32Array>();
    if (a.ElementLength() != count) {
      Napi::RangeError::New(info.Env(), std::string("Conv: ") + what + " has " + std::to_string(a.ElementLength()) +
                            " elements, expected " + std::to_string(count)).ThrowAsJavaScriptException();
      return nullptr;
    }
    return a.Data();
  }

  bool Alive(const Napi::CallbackInfo& info) {
    if (!disposed_) return true;
    Napi::Error::New(info.Env(), "Conv: used after dispose()").ThrowAsJavaScriptException();
    return false;
  }

  template <typename F>
  Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
    if (!Alive(info)) return info.Env().Undefined();
    try {
      body();
    } catch (const dnnl::error& e) {
      Napi::Error::New(info.Env(), std::string("oneDNN convolution: ") + e.what()).ThrowAsJavaScriptException();
    } catch (const std::bad_alloc&) {
      Napi::Error::New(info.Env(), "oneDNN convolution: out of memory for its scratch buffers").ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  size_t SrcCount() const { return size_t(g_.n * g_.c * g_.h * g_.w); }
  size_t DstCount() const { return size_t(g_.n * g_.o * g_.oh * g_.ow); }
  size_t WeiCount() const { return size_t(g_.o * (g_.c / g_.g) * g_.kh * g_.kw); }

  size_t SrcImage() const { return size_t(g_.c * g_.h * g_.w); }
  size_t DstImage() const { return size_t(g_.o * g_.oh * g_.ow); }

  Napi::Value Forward(const Napi::CallbackInfo& info) {
    return Guard(info, [&] {
      float* x = Buffer(info, 0, SrcCount(), "x");
      float* w = x ? Buffer(info, 1, WeiCount(), "w") : nullptr;
      float* b = w ? Buffer(info, 2, size_t(g_.o), "b", true) : nullptr;
      if (!w || info.Env().IsExceptionPending()) return;
      if (g_.bias && !b) { Napi::TypeError::New(info.Env(), "Conv: forward needs the bias").ThrowAsJavaScriptException(); return; }
      float* y = Buffer(info, 3, DstCount(), "y");
      if (!y) return;
      Chunks([&](Plan& p, int64_t i, int64_t) { p.Forward(x + i * SrcImage(), w, b, y + i * DstImage()); });
    });
  }

  Napi::Value BackwardData(const Napi::CallbackInfo& info) {
    return Guard(info, [&] {
      float* dy = Buffer(info, 0, DstCount(), "dy");
      float* w = dy ? Buffer(info, 1, WeiCount(), "w") : nullptr;
      float* dx = w ? Buffer(info, 2, SrcCount(), "dx") : nullptr;
      if (!dx) return;
      Chunks([&](Plan& p, int64_t i, int64_t) { p.BackwardData(dy + i * DstImage(), w, dx + i * SrcImage()); });
    });
  }

  Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
    return Guard(info, [&] {
      float* x = Buffer(info, 0, SrcCount(), "x");
      float* dy = x ? Buffer(info, 1, DstCount(), "dy") : nullptr;
      float* dw = dy ? Buffer(info, 2, WeiCount(), "dw") : nullptr;
      float* db = dw ? Buffer(info, 3, size_t(g_.o), "db", true) : nullptr;
      if (!dw || info.Env().IsExceptionPending()) return;
      if (db && !g_.bias) { Napi::TypeError::New(info.Env(), "Conv: no bias in this convolution").ThrowAsJavaScriptException(); return; }
      Chunks([&](Plan& p, int64_t i, int64_t) { p.BackwardWeights(x + i * SrcImage(), dy + i * DstImage(), dw, db); });
    });
  }

  // The scratch bytes of its largest call: forward, and the backward directions info[0] (data) and
  // info[1] (weights) ask for, of a chunk.
  Napi::Value ScratchBytes(const Napi::CallbackInfo& info) {
    double most = 0;
    Guard(info, [&] { most = PlanFor(chunk_).ScratchBytes(info[0].ToBoolean().Value(), info[1].ToBoolean().Value()); });
    return Napi::Number::New(info.Env(), most);
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    plans_.clear();
    disposed_ = true;
    return info.Env().Undefined();
  }
};

// setConvScratchBudget(bytes): the scratch one convolution call may take before its batch is split
// (64 MB by default; for tests and memory-tight runs). Returns the previous budget.
Napi::Value SetConvScratchBudget(const Napi::CallbackInfo& info) {
  const double prev = scratchBudget;
  if (info[0].IsNumber() && info[0].As<Napi::Number>().DoubleValue() > 0) scratchBudget = info[0].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(info.Env(), prev);
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  exports.Set("Conv", Conv::Define(env));
  exports.Set("setConvScratchBudget", Napi::Function::New(env, SetConvScratchBudget));
}
