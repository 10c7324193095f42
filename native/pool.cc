// Pooling and LRN kernels with BVLC Caffe's arithmetic, step for step in float (same operation order,
// so results match Caffe's CPU path up to the ulp of pow()). OpenMP-parallel over (n, c) planes, or
// over (n, pixel block) for cross-channel LRN. Arrays are JS typed arrays, read and written in place.
// Pooling geometry arguments, after the arrays: planes (N*C), H, W, outH, outW, kH, kW, sH, sW, pH, pW.
// Argmax indices are plane-local (h * W + w), as Caffe's mask; -1 marks a window with no element.
#include <napi.h>
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

struct Geo {
  int64_t planes;
  int H, W, oH, oW, kH, kW, sH, sW, pH, pW;
  int64_t in() const { return (int64_t)H * W; }
  int64_t out() const { return (int64_t)oH * oW; }
};

bool Fail(const Napi::Env& env, const char* what) {
  Napi::Error::New(env, what).ThrowAsJavaScriptException();
  return false;
}

// A Float32Array / Int32Array argument with at least `need` elements (nullptr for null when allowed).
template <typename T, typename A>
bool Arr(const Napi::CallbackInfo& info, size_t i, int64_t need, bool nullable, T** out) {
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
bool F32(const Napi::CallbackInfo& info, size_t i, int64_t need, float** out, bool nullable = false) {
  return Arr<float, Napi::Float32Array>(info, i, need, nullable, out);
}
bool I32(const Napi::CallbackInfo& info, size_t i, int64_t need, int32_t** out, bool nullable = false) {
  return Arr<int32_t, Napi::Int32Array>(info, i, need, nullable, out);
}

int Int(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
float Flt(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().FloatValue(); }

Geo ReadGeo(const Napi::CallbackInfo& info, size_t at) {
  Geo g;
  g.planes = info[at].As<Napi::Number>().Int64Value();
  int* f[] = {&g.H, &g.W, &g.oH, &g.oW, &g.kH, &g.kW, &g.sH, &g.sW, &g.pH, &g.pW};
  for (int i = 0; i < 10; ++i) *f[i] = Int(info, at + 1 + i);
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
  const int a = g.pW - j, b = g.W - 1 + g.pW - j;
  *lo = a <= 0 ? 0 : (a + g.sW - 1) / g.sW;
  *hi = b < 0 ? 0 : std::min(b / g.sW + 1, g.oW);
}

// Caffe's AVE divisor: the window clipped at H + pad and W + pad (padding counted), unclipped below.
inline int AveSize(const Geo& g, int ph, int pw) {
  const int h0 = ph * g.sH - g.pH, w0 = pw * g.sW - g.pW;
  return (std::min(h0 + g.kH, g.H + g.pH) - h0) * (std::min(w0 + g.kW, g.W + g.pW) - w0);
}

// One plane of MAX pooling: strict '>' from -FLT_MAX in row-major order (branch-free select);
// arg = -1 for a window with no element.
void MaxPlane(const Geo& g, const float* __restrict xp, float* __restrict yp, int32_t* __restrict arg) {
  for (int ph = 0; ph < g.oH; ++ph) {
    int hs, he;
    Rows(g, ph, &hs, &he);
    for (int pw = 0; pw < g.oW; ++pw) {
      int ws = pw * g.sW - g.pW;
      const int we = std::min(ws + g.kW, g.W);
      ws = std::max(ws, 0);
      float best = -FLT_MAX;
      int a = -1;
      for (int h = hs; h < he; ++h)
        for (int i = h * g.W + ws, e = h * g.W + we; i < e; ++i) {
          const bool gt = xp[i] > best;
          best = gt ? xp[i] : best;
          a = gt ? i : a;
        }
      yp[ph * g.oW + pw] = best;
      arg[ph * g.oW + pw] = a;
    }
  }
}

// maxPoolForward(x, y, mask: Int32Array|null, topMask: Float32Array|null, ...geo)
// Window [h*s - p, min(that + k, H)) clipped at 0; the first max in row-major order wins.
Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 4);
  float *x, *y, *tmask; int32_t* mask;
  if (!F32(info, 0, g.planes * g.in(), &x) || !F32(info, 1, g.planes * g.out(), &y) ||
      !I32(info, 2, g.planes * g.out(), &mask, true) || !F32(info, 3, g.planes * g.out(), &tmask, true))
    return info.Env().Undefined();
#pragma omp parallel
  {
    std::vector<int32_t> scratch(mask ? 0 : g.out());
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
      int32_t* arg = mask ? mask + p * g.out() : scratch.data();
      MaxPlane(g, x + p * g.in(), y + p * g.out(), arg);
      if (tmask) for (int64_t o = 0; o < g.out(); ++o) tmask[p * g.out() + o] = (float)arg[o];
    }
  }
  return info.Env().Undefined();
}

// indexPoolBackward(dy, mask: Int32Array|null, topMask: Float32Array|null, dx, ...geo)
// dx = 0, then dx[mask[o]] += dy[o] in output order (MAX and STOCHASTIC backward).
Napi::Value IndexPoolBackward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 4);
  float *dy, *tmask, *dx; int32_t* mask;
  if (!F32(info, 0, g.planes * g.out(), &dy) || !I32(info, 1, g.planes * g.out(), &mask, true) ||
      !F32(info, 2, g.planes * g.out(), &tmask, true) || !F32(info, 3, g.planes * g.in(), &dx))
    return info.Env().Undefined();
  if (!mask && !tmask) { Fail(info.Env(), "pool.cc: no mask"); return info.Env().Undefined(); }
  const int64_t in = g.in();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes; ++p) {
    float* dxp = dx + p * in;
    std::fill(dxp, dxp + in, 0.f);
    for (int64_t o = p * g.out(), e = o + g.out(); o < e; ++o) {
      const int64_t i = mask ? (int64_t)mask[o] : (int64_t)tmask[o];
      if (i >= 0 && i < in) dxp[i] += dy[o];  // Caffe would write out of bounds for an empty window
    }
  }
  return info.Env().Undefined();
}

// One plane of AVE pooling: sum over the window clipped to the image, divided by AveSize.
void AvePlane(const Geo& g, const float* __restrict xp, float* __restrict yp) {
  for (int ph = 0; ph < g.oH; ++ph) {
    float* __restrict s = yp + (int64_t)ph * g.oW;
    std::fill(s, s + g.oW, 0.f);
    int hs, he;
    Rows(g, ph, &hs, &he);
    for (int h = hs; h < he; ++h)
      for (int j = 0; j < g.kW; ++j) {
        int lo, hi;
        Cols(g, j, &lo, &hi);
        const int base = h * g.W + j - g.pW;  // cell of output column pw: base + pw * sW
        for (int pw = lo; pw < hi; ++pw) s[pw] += xp[base + pw * g.sW];
      }
    for (int pw = 0; pw < g.oW; ++pw) s[pw] = s[pw] / (float)AveSize(g, ph, pw);
  }
}

// AVE backward for one plane: dx = 0, then each cell gets dy / size from its windows in (ph, pw)
// order, as Caffe adds them (j runs downwards so that a cell meets its windows by increasing pw).
void AveBackPlane(const Geo& g, const float* __restrict dyp, float* __restrict dxp, float* __restrict q) {
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

// avePoolForward(x, y, ...geo)
Napi::Value AvePoolForward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 2);
  float *x, *y;
  if (!F32(info, 0, g.planes * g.in(), &x) || !F32(info, 1, g.planes * g.out(), &y)) return info.Env().Undefined();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes; ++p) AvePlane(g, x + p * g.in(), y + p * g.out());
  return info.Env().Undefined();
}

// avePoolBackward(dy, dx, ...geo)
Napi::Value AvePoolBackward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 2);
  float *dy, *dx;
  if (!F32(info, 0, g.planes * g.out(), &dy) || !F32(info, 1, g.planes * g.in(), &dx)) return info.Env().Undefined();
#pragma omp parallel
  {
    std::vector<float> q(g.oW);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) AveBackPlane(g, dy + p * g.out(), dx + p * g.in(), q.data());
  }
  return info.Env().Undefined();
}

// stochasticPoolForward(x, y, rand: Float32Array|null, idx: Int32Array|null, ...geo)
// Caffe's GPU kernels (windows start at h*s, no padding). TRAIN (rand given): pick the first element
// whose running sum reaches rand * window sum, into y and idx. TEST (rand null): sum x^2 / sum x.
Napi::Value StochasticPoolForward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 4);
  float *x, *y, *rnd; int32_t* idx;
  if (!F32(info, 0, g.planes * g.in(), &x) || !F32(info, 1, g.planes * g.out(), &y) ||
      !F32(info, 2, g.planes * g.out(), &rnd, true) || !I32(info, 3, g.planes * g.out(), &idx, true))
    return info.Env().Undefined();
  if (rnd && !idx) { Fail(info.Env(), "pool.cc: no index buffer"); return info.Env().Undefined(); }
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.in();
    for (int ph = 0; ph < g.oH; ++ph) {
      const int hs = ph * g.sH, he = std::min(hs + g.kH, g.H);
      for (int pw = 0; pw < g.oW; ++pw) {
        const int ws = pw * g.sW, we = std::min(ws + g.kW, g.W);
        const int64_t o = p * g.out() + ph * g.oW + pw;
        float sum = 0.f, sq = 0.f;
        for (int h = hs; h < he; ++h)
          for (int w = ws; w < we; ++w) { const float v = xp[h * g.W + w]; sum += v; sq += v * v; }
        if (!rnd) { y[o] = sum > 0.f ? sq / sum : 0.f; continue; }
        const float thres = rnd[o] * sum;
        float cum = 0.f;
        y[o] = 0.f; idx[o] = -1;  // reached only by negative sums, where Caffe leaves stale values
        for (int h = hs; h < he && idx[o] < 0; ++h)
          for (int w = ws; w < we; ++w) {
            cum += xp[h * g.W + w];
            if (cum >= thres) { idx[o] = h * g.W + w; y[o] = xp[h * g.W + w]; break; }
          }
      }
    }
  }
  return info.Env().Undefined();
}

constexpr int64_t kBlock = 512;  // pixels per cross-channel LRN task

// lrnAcrossForward(x, scale, y, num, channels, hw, size, alpha, beta, k)
// scale_c = k + (alpha/size) * sum of x^2 over channels [c - pre, c + pre], as Caffe's running sum
// (first channel by adding the padded window, then + head - tail); y = x * scale^-beta.
Napi::Value LrnAcrossForward(const Napi::CallbackInfo& info) {
  const int64_t N = Int(info, 3), C = Int(info, 4), HW = Int(info, 5);
  const int size = Int(info, 6), pre = (size - 1) / 2;
  const float alpha = Flt(info, 7), beta = Flt(info, 8), k = Flt(info, 9), aos = alpha / size;
  float *x, *sc, *y;
  if (!F32(info, 0, N * C * HW, &x) || !F32(info, 1, N * C * HW, &sc) || !F32(info, 2, N * C * HW, &y))
    return info.Env().Undefined();
  const int64_t nb = (HW + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < N * nb; ++t) {
    const int64_t base = (t / nb) * C * HW, j0 = (t % nb) * kBlock, j1 = std::min(j0 + kBlock, HW);
    const float* xn = x + base;
    float* sn = sc + base;
    for (int64_t j = j0; j < j1; ++j) sn[j] = k;
    for (int64_t c = 0; c <= pre && c < C; ++c)  // padded channels below 0 add exact zeros
      for (int64_t j = j0; j < j1; ++j) { const float v = xn[c * HW + j]; sn[j] += aos * (v * v); }
    for (int64_t c = 1; c < C; ++c) {
      float* s = sn + c * HW;
      const float* head = c + pre < C ? xn + (c + pre) * HW : nullptr;
      const float* tail = c - 1 - pre >= 0 ? xn + (c - 1 - pre) * HW : nullptr;
      for (int64_t j = j0; j < j1; ++j) {
        float v = s[j - HW];
        if (head) v += aos * (head[j] * head[j]);
        if (tail) v -= aos * (tail[j] * tail[j]);
        s[j] = v;
      }
    }
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = c * HW + j0, e = c * HW + j1; j < e; ++j) y[base + j] = std::pow(sn[j], -beta) * xn[j];
  }
  return info.Env().Undefined();
}

// lrnAcrossBackward(x, y, scale, dy, dx, num, channels, hw, size, alpha, beta)
// dx = dy * scale^-beta - (2 alpha beta / size) * x * sum over the window of dy * y / scale.
Napi::Value LrnAcrossBackward(const Napi::CallbackInfo& info) {
  const int64_t N = Int(info, 5), C = Int(info, 6), HW = Int(info, 7);
  const int size = Int(info, 8), pre = (size - 1) / 2;
  const float alpha = Flt(info, 9), beta = Flt(info, 10);
  const float crv = (float)(2. * alpha * beta / size);  // Caffe computes this in double
  float *x, *y, *sc, *dy, *dx;
  const int64_t n = N * C * HW;
  if (!F32(info, 0, n, &x) || !F32(info, 1, n, &y) || !F32(info, 2, n, &sc) || !F32(info, 3, n, &dy) ||
      !F32(info, 4, n, &dx))
    return info.Env().Undefined();
  const int64_t nb = (HW + kBlock - 1) / kBlock;
#pragma omp parallel
  {
    std::vector<float> ratio(C * kBlock), acc(kBlock);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < N * nb; ++t) {
      const int64_t base = (t / nb) * C * HW, j0 = (t % nb) * kBlock, len = std::min(j0 + kBlock, HW) - j0;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t o = base + c * HW + j0;
        float* r = ratio.data() + c * kBlock;
        for (int64_t j = 0; j < len; ++j) {
          dx[o + j] = dy[o + j] * std::pow(sc[o + j], -beta);
          r[j] = (dy[o + j] * y[o + j]) / sc[o + j];
        }
      }
      std::fill(acc.begin(), acc.begin() + len, 0.f);
      for (int64_t c = 0; c < pre && c < C; ++c)  // padded window below channel 0, minus its last slot
        for (int64_t j = 0; j < len; ++j) acc[j] += ratio[c * kBlock + j];
      for (int64_t c = 0; c < C; ++c) {
        const int64_t o = base + c * HW + j0;
        const float* head = c + pre < C ? ratio.data() + (c + pre) * kBlock : nullptr;
        const float* tail = c - pre >= 0 ? ratio.data() + (c - pre) * kBlock : nullptr;
        for (int64_t j = 0; j < len; ++j) {
          if (head) acc[j] += head[j];
          dx[o + j] -= crv * (x[o + j] * acc[j]);
          if (tail) acc[j] -= tail[j];
        }
      }
    }
  }
  return info.Env().Undefined();
}

// Geometry of WITHIN_CHANNEL's inner AVE pooling: kernel size, pad (size-1)/2, stride 1 (out = in).
Geo WithinGeo(int64_t planes, int H, int W, int size) {
  const int pre = (size - 1) / 2;
  return Geo{planes, H, W, H, W, size, size, 1, 1, pre, pre};
}

// lrnWithinForward(x, pooled, power, y, planes, H, W, size, alpha, beta)
// Caffe's composition: pooled = AVE-pool(x^2) (divisor size^2 everywhere, borders included),
// power = (1 + alpha * pooled)^-beta (PowerLayer), y = x * power. k is not used (as in Caffe).
Napi::Value LrnWithinForward(const Napi::CallbackInfo& info) {
  const Geo g = WithinGeo(Int(info, 4), Int(info, 5), Int(info, 6), Int(info, 7));
  const float alpha = Flt(info, 8), power = -Flt(info, 9), ds = power * alpha;
  const int64_t n = g.planes * g.in();
  float *x, *pooled, *pw, *y;
  if (!F32(info, 0, n, &x) || !F32(info, 1, n, &pooled) || !F32(info, 2, n, &pw) || !F32(info, 3, n, &y))
    return info.Env().Undefined();
#pragma omp parallel
  {
    std::vector<float> sq(g.in());  // Caffe's square_output_, one plane
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
      const int64_t o = p * g.in();
      for (int64_t i = 0; i < g.in(); ++i) sq[i] = x[o + i] * x[o + i];
      AvePlane(g, sq.data(), pooled + o);
      for (int64_t i = o; i < o + g.in(); ++i) {
        float t = 1.f;  // PowerLayer with power * scale == 0 outputs 1^power = 1
        if (ds != 0.f) {
          t = pooled[i];
          if (alpha != 1.f) t *= alpha;
          t += 1.f;
          if (power != 1.f) t = std::pow(t, power);
        }
        pw[i] = t;
        y[i] = x[i] * t;
      }
    }
  }
  return info.Env().Undefined();
}

// lrnWithinBackward(x, pooled, power, dy, dx, planes, H, W, size, alpha, beta)
// Back through product, PowerLayer, AVE pooling, square (2x) and the split (sum of both paths).
Napi::Value LrnWithinBackward(const Napi::CallbackInfo& info) {
  const Geo g = WithinGeo(Int(info, 5), Int(info, 6), Int(info, 7), Int(info, 8));
  const float alpha = Flt(info, 9), power = -Flt(info, 10), ds = power * alpha;
  const int64_t n = g.planes * g.in();
  float *x, *pooled, *pw, *dy, *dx;
  if (!F32(info, 0, n, &x) || !F32(info, 1, n, &pooled) || !F32(info, 2, n, &pw) || !F32(info, 3, n, &dy) ||
      !F32(info, 4, n, &dx))
    return info.Env().Undefined();
#pragma omp parallel
  {
    std::vector<float> dpool(g.in()), dsq(g.in()), q(g.oW);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
      const int64_t o = p * g.in();
      for (int64_t i = 0; i < g.in(); ++i) {  // PowerLayer backward, its special cases included
        const float dpow = x[o + i] * dy[o + i];
        float f;
        if (ds == 0.f || power == 1.f) f = ds;
        else if (power == 2.f) f = (ds * alpha) * pooled[o + i] + ds;
        else {
          f = pooled[o + i];
          if (alpha != 1.f) f *= alpha;
          f = pw[o + i] / (f + 1.f);
          if (ds != 1.f) f *= ds;
        }
        dpool[i] = ds == 0.f ? f : dpow * f;
      }
      AveBackPlane(g, dpool.data(), dsq.data(), q.data());
      for (int64_t i = 0; i < g.in(); ++i)
        dx[o + i] = pw[o + i] * dy[o + i] + dsq[i] * (2.f * x[o + i]);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPoolForward", Napi::Function::New(env, MaxPoolForward));
  exports.Set("indexPoolBackward", Napi::Function::New(env, IndexPoolBackward));
  exports.Set("avePoolForward", Napi::Function::New(env, AvePoolForward));
  exports.Set("avePoolBackward", Napi::Function::New(env, AvePoolBackward));
  exports.Set("stochasticPoolForward", Napi::Function::New(env, StochasticPoolForward));
  exports.Set("lrnAcrossForward", Napi::Function::New(env, LrnAcrossForward));
  exports.Set("lrnAcrossBackward", Napi::Function::New(env, LrnAcrossBackward));
  exports.Set("lrnWithinForward", Napi::Function::New(env, LrnWithinForward));
  exports.Set("lrnWithinBackward", Napi::Function::New(env, LrnWithinBackward));
}
