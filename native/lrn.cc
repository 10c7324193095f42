// LRN kernels with BVLC Caffe's arithmetic, step for step in float (same operation order, so results
// match Caffe's CPU path up to the ulp of pow()): ACROSS_CHANNELS as Caffe's running window sum,
// WITHIN_CHANNEL as Caffe composes it from square, AVE pooling, power and product layers.
// OpenMP-parallel over (n, pixel block) across channels, over planes within.
#include <napi.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "pool_util.h"

namespace {

using namespace caffets_pool;


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
  Geo g{planes, H, W, H, W, size, size, 1, 1, pre, pre, {}, {}};
  g.Ready();
  return g;
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

void InitLrn(Napi::Env env, Napi::Object exports) {
  exports.Set("lrnAcrossForward", Napi::Function::New(env, LrnAcrossForward));
  exports.Set("lrnAcrossBackward", Napi::Function::New(env, LrnAcrossBackward));
  exports.Set("lrnWithinForward", Napi::Function::New(env, LrnWithinForward));
  exports.Set("lrnWithinBackward", Napi::Function::New(env, LrnWithinBackward));
}
