// The oneDNN primitives of one convolution for one batch size (a Plan), on the caller's plain buffers:
// x/y NCHW, w OIHW ([O, I/G, kh, kw], which is goihw for G groups). Each primitive lets oneDNN pick its
// own layout (format_tag::any) and keeps cached reorders for the tensors it wants in another layout; a
// primitive is built on its first use, so the per-call work is binding buffers and executing. The
// reordered copies live only during a call, so they are carved out of one scratch arena per thread
// that every convolution shares: the memory they take is the largest call's, not the sum over layers
// and directions. Used by conv.cc, which splits large batches into several Plans' calls.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <unordered_map>

namespace caffets_conv {

using dnnl::memory;
using Tag = memory::format_tag;
using Dims = memory::dims;
using Args = std::unordered_map<int, memory>;

inline dnnl::engine& Engine() { static dnnl::engine e(dnnl::engine::kind::cpu, 0); return e; }
inline dnnl::stream& Stream() { static dnnl::stream s(Engine()); return s; }

// The scratch arena of this thread: grow-only, reused by every call (its pages stay mapped, so calls
// after the first fault nothing in). A call reserves its whole need first (nothing else is live then,
// so growing may move it), then takes 64-byte aligned pieces in order.
class Scratch {
 public:
  static constexpr size_t kAlign = 64;
  static size_t Round(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
  explicit Scratch(size_t need) {
    Arena& a = Mine();
    if (a.size < need) {
      std::free(a.base);
      a.base = static_cast<char*>(std::aligned_alloc(kAlign, need));
      a.size = a.base ? need : 0;
      if (!a.base) throw std::bad_alloc();
    }
    base_ = a.base;
  }
  void* Take(size_t bytes) { void* p = base_ + used_; used_ += Round(bytes); return p; }

 private:
  struct Arena {
    char* base = nullptr;
    size_t size = 0;
    ~Arena() { std::free(base); }
  };
  static Arena& Mine() { thread_local Arena a; return a; }
  char* base_;
  size_t used_ = 0;
};

// One tensor argument of a primitive: `user` wraps the caller's plain buffer (its pointer is set per
// call); `inner` is what the primitive reads or writes. They are the same memory when the layouts
// agree; otherwise a reorder (built once) converts between them through a scratch piece. `accumulate`
// forces the indirection and makes the inner -> user reorder add into the user buffer (a sum post-op:
// dst += src).
struct Port {
  memory user, inner;
  dnnl::reorder conv;
  bool reorders = false;
  size_t innerBytes = 0;

  void Init(const memory::desc& userMd, const memory::desc& primMd, bool input, bool accumulate = false) {
    user = memory(userMd, Engine(), DNNL_MEMORY_NONE);
    if (!accumulate && userMd == primMd) { inner = user; return; }
    inner = memory(primMd, Engine(), DNNL_MEMORY_NONE);
    innerBytes = Scratch::Round(primMd.get_size());
    reorders = true;
    dnnl::primitive_attr attr;
    if (accumulate) { dnnl::post_ops po; po.append_sum(1.f); attr.set_post_ops(po); }
    conv = input ? dnnl::reorder(user, inner, attr) : dnnl::reorder(inner, user, attr);
  }
  // Binds the caller's buffer (and a scratch piece); an input is converted into the primitive's layout
  // right away.
  void In(float* p, Scratch& s) {
    Out(p, s);
    if (reorders) conv.execute(Stream(), user, inner);
  }
  void Out(float* p, Scratch& s) {
    user.set_data_handle(p);
    if (reorders) inner.set_data_handle(s.Take(innerBytes));
  }
  // After the primitive ran: converts (or adds) its result into the caller's buffer.
  void Flush() { if (reorders) conv.execute(Stream(), inner, user); }
};

/** The scratch bytes of a call through these ports. */
template <typename... P>
inline size_t Need(const P&... ports) { return (size_t(0) + ... + ports.innerBytes); }

struct Geometry {
  int64_t n, c, h, w, o, g, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  bool bias;
  // forward only: a ReLU fused as a post-op (y = max(v, 0) + slope min(v, 0) of v = conv + b), and the
  // inference prop kind (backward calls then take their hint from a separately built training descriptor)
  bool relu = false, inference = false;
  float slope = 0;
  Dims Src() const { return {n, c, h, w}; }
  Dims Dst() const { return {n, o, oh, ow}; }
  Dims Wei() const { return g > 1 ? Dims{g, o / g, c / g, kh, kw} : Dims{o, c, kh, kw}; }
  Tag WeiTag() const { return g > 1 ? Tag::goihw : Tag::oihw; }
  Dims Strides() const { return {sh, sw}; }
  Dims Dilates() const { return {dh - 1, dw - 1}; }  // oneDNN counts the gaps, Caffe the step
  Dims PadL() const { return {ph, pw}; }
  // Caffe floors the output size; the right padding that makes oneDNN's window arithmetic agree
  // exactly with the output size (it may be smaller than the left one, even negative).
  Dims PadR() const {
    return {(oh - 1) * sh + dh * (kh - 1) + 1 - h - ph, (ow - 1) * sw + dw * (kw - 1) + 1 - w - pw};
  }
};

inline memory::desc Md(const Dims& d, Tag t) { return memory::desc(d, memory::data_type::f32, t); }
inline memory::desc Any(const Dims& d) { return Md(d, Tag::any); }

class Plan {
 public:
  // Builds the forward primitive descriptor (throws dnnl::error for a geometry oneDNN refuses).
  explicit Plan(const Geometry& g) : g_(g), fwdPd_(FwdDesc(g.inference), FwdAttr(), Engine()) {}

  // y = conv(x, w) (+ b)
  void Forward(float* x, float* w, float* b, float* y) {
    if (!fwd_) BuildForward();
    Scratch s(Need(fX_, fW_, fB_, fY_));
    fX_.In(x, s); fW_.In(w, s);
    if (g_.bias) fB_.In(b, s);
    fY_.Out(y, s);
    fwd_->execute(Stream(), fArgs_);
    fY_.Flush();
    Stream().wait();
  }

  // dx = conv^T(dy, w) (overwrites dx)
  void BackwardData(float* dy, float* w, float* dx) {
    if (!bwdD_) BuildBackwardData();
    Scratch s(Need(dDy_, dW_, dDx_));
    dDy_.In(dy, s); dW_.In(w, s); dDx_.Out(dx, s);
    bwdD_->execute(Stream(), dArgs_);
    dDx_.Flush();
    Stream().wait();
  }

  // dw += dL/dw, and db += dL/db when db is given
  void BackwardWeights(float* x, float* dy, float* dw, float* db) {
    if (!bwdW_) BuildBackwardWeights();
    Scratch s(Need(wX_, wDy_, wDw_, wDb_));
    wX_.In(x, s); wDy_.In(dy, s); wDw_.Out(dw, s);
    if (g_.bias) wDb_.Out(db, s);
    bwdW_->execute(Stream(), wArgs_);
    wDw_.Flush();
    if (db) wDb_.Flush();  // the bias gradient was computed anyway; add it only when asked
    Stream().wait();
  }

  // The scratch bytes of the largest call (Port::Init: a piece wherever the primitive's layout differs
  // from the plain one, and always for the accumulated gradients) among forward and the backward
  // directions asked for. Descriptors are queried, nothing allocated.
  double ScratchBytes(bool data, bool weights) const {
    const Geometry& g = g_;
    auto inner = [](const memory::desc& user, const memory::desc& prim) {
      return user == prim ? 0.0 : double(Scratch::Round(prim.get_size()));
    };
    auto always = [](const memory::desc& prim) { return double(Scratch::Round(prim.get_size())); };
    const auto src = Md(g.Src(), Tag::nchw), dst = Md(g.Dst(), Tag::nchw), wei = Md(g.Wei(), g.WeiTag());
    const auto bias = Md({g.o}, Tag::x);
    double most = inner(src, fwdPd_.src_desc()) + inner(wei, fwdPd_.weights_desc()) + inner(dst, fwdPd_.dst_desc());
    if (g.bias) most += inner(bias, fwdPd_.bias_desc());
    if (data) {
      auto d = BwdDataPd();
      most = std::max(most, inner(dst, d.diff_dst_desc()) + inner(wei, d.weights_desc()) +
                                inner(src, d.diff_src_desc()));
    }
    if (weights) {
      auto w = BwdWeightsPd();
      double b = inner(src, w.src_desc()) + inner(dst, w.diff_dst_desc()) + always(w.diff_weights_desc());
      if (g.bias) b += always(w.diff_bias_desc());
      most = std::max(most, b);
    }
    return most;
  }

 private:
  Geometry g_;
  dnnl::convolution_forward::primitive_desc fwdPd_;
  // the training forward descriptor the backward ones are built against (fwdPd_ unless inference)
  mutable std::unique_ptr<dnnl::convolution_forward::primitive_desc> trainPd_;
  // forward: y = conv(x, w) + b
  std::unique_ptr<dnnl::convolution_forward> fwd_;
  Port fX_, fW_, fB_, fY_;
  Args fArgs_;
  // backward data: dx = conv^T(dy, w)
  std::unique_ptr<dnnl::convolution_backward_data> bwdD_;
  Port dDy_, dW_, dDx_;
  Args dArgs_;
  // backward weights: dw += ..., db += ...
  std::unique_ptr<dnnl::convolution_backward_weights> bwdW_;
  Port wX_, wDy_, wDw_, wDb_;
  Args wArgs_;

  dnnl::convolution_forward::desc FwdDesc(bool inference) const {
    const Geometry& g = g_;
    auto alg = dnnl::algorithm::convolution_direct;
    auto pk = inference ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
    if (g.bias)
      return {pk, alg, Any(g.Src()), Any(g.Wei()), Md({g.o}, Tag::x), Any(g.Dst()), g.Strides(), g.Dilates(), g.PadL(), g.PadR()};
    return {pk, alg, Any(g.Src()), Any(g.Wei()), Any(g.Dst()), g.Strides(), g.Dilates(), g.PadL(), g.PadR()};
  }

  dnnl::primitive_attr FwdAttr() const {
    dnnl::primitive_attr attr;
    if (g_.relu) {
      dnnl::post_ops po;
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, g_.slope, 0.f);
      attr.set_post_ops(po);
    }
    return attr;
  }

  const dnnl::convolution_forward::primitive_desc& TrainPd() const {
    if (!g_.inference) return fwdPd_;
    if (!trainPd_) trainPd_ = std::make_unique<dnnl::convolution_forward::primitive_desc>(FwdDesc(false), Engine());
    return *trainPd_;
  }

  void BuildForward() {
    const Geometry& g = g_;
    fX_.Init(Md(g.Src(), Tag::nchw), fwdPd_.src_desc(), true);
    fW_.Init(Md(g.Wei(), g.WeiTag()), fwdPd_.weights_desc(), true);
    fY_.Init(Md(g.Dst(), Tag::nchw), fwdPd_.dst_desc(), false);
    fArgs_ = {{DNNL_ARG_SRC, fX_.inner}, {DNNL_ARG_WEIGHTS, fW_.inner}, {DNNL_ARG_DST, fY_.inner}};
    if (g.bias) {
      fB_.Init(Md({g.o}, Tag::x), fwdPd_.bias_desc(), true);
      fArgs_[DNNL_ARG_BIAS] = fB_.inner;
    }
    fwd_ = std::make_unique<dnnl::convolution_forward>(fwdPd_);
  }

  dnnl::convolution_backward_data::primitive_desc BwdDataPd() const {
    const Geometry& g = g_;
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, Any(g.Src()), Any(g.Wei()),
                                               Any(g.Dst()), g.Strides(), g.Dilates(), g.PadL(), g.PadR());
    return {desc, Engine(), TrainPd()};
  }

  void BuildBackwardData() {
    const Geometry& g = g_;
    auto pd = BwdDataPd();
    dDy_.Init(Md(g.Dst(), Tag::nchw), pd.diff_dst_desc(), true);
    dW_.Init(Md(g.Wei(), g.WeiTag()), pd.weights_desc(), true);
    dDx_.Init(Md(g.Src(), Tag::nchw), pd.diff_src_desc(), false);
    dArgs_ = {{DNNL_ARG_DIFF_DST, dDy_.inner}, {DNNL_ARG_WEIGHTS, dW_.inner}, {DNNL_ARG_DIFF_SRC, dDx_.inner}};
    bwdD_ = std::make_unique<dnnl::convolution_backward_data>(pd);
  }

  dnnl::convolution_backward_weights::primitive_desc BwdWeightsPd() const {
    const Geometry& g = g_;
    auto alg = dnnl::algorithm::convolution_direct;
    auto desc = g.bias
        ? dnnl::convolution_backward_weights::desc(alg, Any(g.Src()), Any(g.Wei()), Md({g.o}, Tag::x), Any(g.Dst()),
                                                   g.Strides(), g.Dilates(), g.PadL(), g.PadR())
        : dnnl::convolution_backward_weights::desc(alg, Any(g.Src()), Any(g.Wei()), Any(g.Dst()), g.Strides(),
                                                   g.Dilates(), g.PadL(), g.PadR());
    return {desc, Engine(), TrainPd()};
  }

  void BuildBackwardWeights() {
    const Geometry& g = g_;
    auto pd = BwdWeightsPd();
    wX_.Init(Md(g.Src(), Tag::nchw), pd.src_desc(), true);
    wDy_.Init(Md(g.Dst(), Tag::nchw), pd.diff_dst_desc(), true);
    wDw_.Init(Md(g.Wei(), g.WeiTag()), pd.diff_weights_desc(), false, /*accumulate=*/true);
    wArgs_ = {{DNNL_ARG_SRC, wX_.inner}, {DNNL_ARG_DIFF_DST, wDy_.inner}, {DNNL_ARG_DIFF_WEIGHTS, wDw_.inner}};
    if (g.bias) {
      wDb_.Init(Md({g.o}, Tag::x), pd.diff_bias_desc(), false, /*accumulate=*/true);
      wArgs_[DNNL_ARG_DIFF_BIAS] = wDb_.inner;
    }
    bwdW_ = std::make_unique<dnnl::convolution_backward_weights>(pd);
  }

};

}  // namespace caffets_conv
