// Pooling kernels with BVLC Caffe's arithmetic, step for step in float (same operation order, so
// results match Caffe's CPU path). OpenMP-parallel over (n, c) planes. Arrays are JS typed arrays,
// read and written in place. Argmax indices are plane-local (h * W + w), as Caffe's mask; -1 marks a
// window with no element. Helpers and the AVE plane loop: pool_util.h.
#include <napi.h>
#include <omp.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "pool_util.h"

namespace {

using namespace caffets_pool;


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

// MAX pooling values only (no argmax: a net that runs no backward through the layer): each output
// still meets its window's cells in row-major order with the same strict '>' from -FLT_MAX, so the
// values (signed zeros, NaNs skipped) are MaxPlane's; the loop runs over a row's outputs at once.
void MaxPlaneValues(const Geo& g, const float* __restrict xp, float* __restrict yp) {
  for (int ph = 0; ph < g.oH; ++ph) {
    float* __restrict s = yp + (int64_t)ph * g.oW;
    std::fill(s, s + g.oW, -FLT_MAX);
    ForWindowCells(g, ph, [&](int base, int lo, int hi) {
      if (g.sW == 1)
        for (int pw = lo; pw < hi; ++pw) s[pw] = xp[base + pw] > s[pw] ? xp[base + pw] : s[pw];
      else
        for (int pw = lo; pw < hi; ++pw) {
          const float v = xp[base + pw * g.sW];
          s[pw] = v > s[pw] ? v : s[pw];
        }
    });
  }
}

// maxPoolForward(x, y, mask: Int32Array|null, topMask: Float32Array|null, ...geo)
// Window [h*s - p, min(that + k, H)) clipped at 0; the first max in row-major order wins. Neither mask
// nor topMask: the values only.
Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  const Geo g = ReadGeo(info, 4);
  float *x, *y, *tmask; int32_t* mask;
  if (!F32(info, 0, g.planes * g.in(), &x) || !F32(info, 1, g.planes * g.out(), &y) ||
      !I32(info, 2, g.planes * g.out(), &mask, true) || !F32(info, 3, g.planes * g.out(), &tmask, true))
    return info.Env().Undefined();
  if (!mask && !tmask) {
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) MaxPlaneValues(g, x + p * g.in(), y + p * g.out());
    return info.Env().Undefined();
  }
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

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPoolForward", Napi::Function::New(env, MaxPoolForward));
  exports.Set("indexPoolBackward", Napi::Function::New(env, IndexPoolBackward));
  exports.Set("avePoolForward", Napi::Function::New(env, AvePoolForward));
  exports.Set("avePoolBackward", Napi::Function::New(env, AvePoolBackward));
  exports.Set("stochasticPoolForward", Napi::Function::New(env, StochasticPoolForward));
}
