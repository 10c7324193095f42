// Shared by the pooling (pool.cc) and LRN (lrn.cc) kernels: argument checking, pooling geometry,
// and the AVE pooling of one plane (LRN WITHIN_CHANNEL pools the squares as Caffe's inner layer does).
// Pooling geometry arguments, after the arrays: planes (N*C), H, W, outH, outW, kH, kW, sH, sW, pH, pW.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace caffets_pool {

struct Geo {
  int64_t planes;
  int H, W, oH, oW, kH, kW, sH, sW, pH, pW;
  // per window column j: the output columns [colLo[j], colHi[j]) whose cell j is inside the image
  std::vector<int> colLo, colHi;
  int64_t in() const { return (int64_t)H * W; }
  int64_t out() const { return (int64_t)oH * oW; }
  // fills colLo/colHi once the fields are set: 0 <= pw*sW - pW + j < W
  void Ready() {
    colLo.assign(std::max(kW, 0), 0);
    colHi.assign(std::max(kW, 0), 0);
    for (int j = 0; j < kW; ++j) {
      const int a = pW - j, b = W - 1 + pW - j;
      colLo[j] = a <= 0 ? 0 : (a + sW - 1) / sW;
      colHi[j] = b < 0 ? 0 : std::min(b / sW + 1, oW);
    }
  }
};

inline bool Fail(const Napi::Env& env, const char* what) {
  Napi::Error::New(env, what).ThrowAsJavaScriptException();
  return false;
}

// A Float32Array / Int32Array argument with at least `need` elements (nullptr for null when allowed).
template <typename T, typename A>
inline bool Arr(const Napi::CallbackInfo& info, size_t i, int64_t need, bool nullable, T** out) {
  const Napi::Value v = info[i];
  if (nullable && (v.IsNull() || v.IsUndefined())) { *out = nullptr; return true; }
  if (!v.IsTypedArray()) return Fail(info.Env(), "pool.cc: expected a typed array argument");
  auto a = v.As<A>();
  if (a.TypedArrayType() != (std::is_same<T, float>::value ? napi_float32_array : napi_int32_array))
    return Fail(info.Env(), "pool.cc: wrong typed array type");
  if ((int64_t)a.ElementLength() < need) return Fail(info.Env(), "pool.cc: typed array too short");
  *out = a.Data();
  return true;
}
inline bool F32(const Napi::CallbackInfo& info, size_t i, int64_t need, float** out, bool nullable = false) {
  return Arr<float, Napi::Float32Array>(info, i, need, nullable, out);
}
inline bool I32(const Napi::CallbackInfo& info, size_t i, int64_t need, int32_t** out, bool nullable = false) {
  return Arr<int32_t, Napi::Int32Array>(info, i, need, nullable, out);
}

inline int Int(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline float Flt(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().FloatValue(); }

inline Geo ReadGeo(const Napi::CallbackInfo& info, size_t at) {
  Geo g;
  g.planes = info[at].As<Napi::Number>().Int64Value();
  int* f[] = {&g.H, &g.W, &g.oH, &g.oW, &g.kH, &g.kW, &g.sH, &g.sW, &g.pH, &g.pW};
  for (int i = 0; i < 10; ++i) *f[i] = Int(info, at + 1 + i);
  g.Ready();
  return g;
}

// Loop order of the AVE kernels: for each output row, window row h, window column j, then all output
// columns pw at once (a vectorizable inner loop). Every output still sees its window cells in Caffe's
// row-major order, so the float sums round exactly as Caffe's do.

// Rows of output row ph's window: [hs, he) clipped to the image.
inline void Rows(const Geo& g, int ph, int* hs, int* he) {
  const int h0 = ph * g.sH - g.pH;
  *hs = std::max(h0, 0);
  *he = std::min(h0 + g.kH, g.H);
}

// Output columns [lo, hi) whose window column j lies inside the image: 0 <= pw*sW - pW + j < W.
inline void Cols(const Geo& g, int j, int* lo, int* hi) {
  *lo = g.colLo[j];
  *hi = g.colHi[j];
}

// Caffe's AVE divisor: the window clipped at H + pad and W + pad (padding counted), unclipped below.
inline int AveSize(const Geo& g, int ph, int pw) {
  const int h0 = ph * g.sH - g.pH, w0 = pw * g.sW - g.pW;
  return (std::min(h0 + g.kH, g.H + g.pH) - h0) * (std::min(w0 + g.kW, g.W + g.pW) - w0);
}


// The forward loop order of output row ph: f(base, lo, hi) for each of its window rows h, then window
// columns j, where output column pw in [lo, hi) reads cell base + pw * sW (the windows' cells in Caffe's
// row-major order for every output).
template <class F>
inline void ForWindowCells(const Geo& g, int ph, F&& f) {
  int hs, he;
  Rows(g, ph, &hs, &he);
  for (int h = hs; h < he; ++h)
    for (int j = 0; j < g.kW; ++j) f(h * g.W + j - g.pW, g.colLo[j], g.colHi[j]);
}

// One plane of AVE pooling: sum over the window clipped to the image, divided by AveSize.
inline void AvePlane(const Geo& g, const float* __restrict xp, float* __restrict yp) {
  for (int ph = 0; ph < g.oH; ++ph) {
    float* __restrict s = yp + (int64_t)ph * g.oW;
    std::fill(s, s + g.oW, 0.f);
    ForWindowCells(g, ph, [&](int base, int lo, int hi) {
      for (int pw = lo; pw < hi; ++pw) s[pw] += xp[base + pw * g.sW];
    });
    for (int pw = 0; pw < g.oW; ++pw) s[pw] = s[pw] / (float)AveSize(g, ph, pw);
  }
}

// AVE backward for one plane: dx = 0, then each cell gets dy / size from its windows in (ph, pw)
// order, as Caffe adds them (j runs downwards so that a cell meets its windows by increasing pw).
inline void AveBackPlane(const Geo& g, const float* __restrict dyp, float* __restrict dxp, float* __restrict q) {
  std::fill(dxp, dxp + g.in(), 0.f);
  for (int ph = 0; ph < g.oH; ++ph) {
    for (int pw = 0; pw < g.oW; ++pw) q[pw] = dyp[(int64_t)ph * g.oW + pw] / (float)AveSize(g, ph, pw);
    int hs, he;
    Rows(g, ph, &hs, &he);
    for (int h = hs; h < he; ++h)
      for (int j = g.kW - 1; j >= 0; --j) {
        int lo, hi;
        Cols(g, j, &lo, &hi);
        const int base = h * g.W + j - g.pW;
        for (int pw = lo; pw < hi; ++pw) dxp[base + pw * g.sW] += q[pw];
      }
  }
}

}  // namespace caffets_pool
