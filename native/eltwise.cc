// Element-wise kernels of the DEFAULT engine, over both cores, with the arithmetic of the TypeScript
// loops they replace for large arrays (so results are the same bits either way): each product of
// floats (and of a float by a JS number) and each sum is done in double and rounded to float once, as
// JavaScript does (the build targets x86-64-v2: no fused multiply-add contracts them).
//   reluForward(x, y, slope):     y = x > 0 ? x : 0 + x * slope          (Caffe's ReLU, CPU)
//   reluBackward(x, dy, dx, slope): dx = x > 0 ? dy : dy * slope
//   axpy(alpha, x, y):            y = alpha * x + y                      (caffe_axpy)
// Arrays are the lengths given by y (dx); in place allowed where the formula reads before it writes.
#include <napi.h>
#include <omp.h>

#include <cstdint>

namespace {

constexpr int64_t kParallelFrom = 1 << 15;  // smaller arrays: one thread (a team's start costs more)

// argument i: a Float32Array of at least `need` floats (need 0: any length); its data and length
bool Floats(const Napi::CallbackInfo& info, size_t i, size_t need, float** out, size_t* len = nullptr) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      v.As<Napi::Float32Array>().ElementLength() < need) {
    Napi::TypeError::New(info.Env(), "eltwise.cc: expected a Float32Array of the output's length")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::Float32Array>().Data();
  if (len) *len = v.As<Napi::Float32Array>().ElementLength();
  return true;
}

Napi::Value ReluForward(const Napi::CallbackInfo& info) {
  float *x, *y;
  size_t n;
  if (!Floats(info, 1, 0, &y, &n) || !Floats(info, 0, n, &x)) return info.Env().Undefined();
  const double s = info[2].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(static) if ((int64_t)n >= kParallelFrom)
  for (int64_t i = 0; i < (int64_t)n; ++i) {
    const float v = x[i];
    y[i] = v > 0 ? v : (float)(0.0 + (double)v * s);
  }
  return info.Env().Undefined();
}

Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  float *x, *dy, *dx;
  size_t n;
  if (!Floats(info, 2, 0, &dx, &n) || !Floats(info, 0, n, &x) || !Floats(info, 1, n, &dy))
    return info.Env().Undefined();
  const double s = info[3].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(static) if ((int64_t)n >= kParallelFrom)
  for (int64_t i = 0; i < (int64_t)n; ++i) dx[i] = x[i] > 0 ? dy[i] : (float)((double)dy[i] * s);
  return info.Env().Undefined();
}

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  float *x, *y;
  size_t n;
  if (!Floats(info, 2, 0, &y, &n) || !Floats(info, 1, n, &x)) return info.Env().Undefined();
  const double a = info[0].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(static) if ((int64_t)n >= kParallelFrom)
  for (int64_t i = 0; i < (int64_t)n; ++i) y[i] = (float)(a * (double)x[i] + (double)y[i]);
  return info.Env().Undefined();
}

}  // namespace

void InitEltwise(Napi::Env env, Napi::Object exports) {
  exports.Set("reluForward", Napi::Function::New(env, ReluForward));
  exports.Set("reluBackward", Napi::Function::New(env, ReluBackward));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
}
