// Caffe's own CPU arithmetic for the CAFFE engine: the system CBLAS (the library Caffe links, found at
// run time with dlopen, so the addon builds and runs without one) and Caffe's im2col / col2im loops.
// Same BLAS library + same calls in the same order = Caffe's results bit for bit.
#include <napi.h>
#include <dlfcn.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace {

// CBLAS enum values (cblas.h), spelled here so no BLAS header is needed at build time.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SgemvFn = void (*)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SaxpyFn = void (*)(int, float, const float*, int, float*, int);
using SscalFn = void (*)(int, float, float*, int);
using SdotFn = float (*)(int, const float*, int, const float*, int);
using SasumFn = float (*)(int, const float*, int);
using GetThreadsFn = int (*)();
using SetThreadsFn = void (*)(int);

struct Cblas {
  std::string path, error;
  SgemmFn gemm = nullptr; SgemvFn gemv = nullptr; SaxpyFn axpy = nullptr; SscalFn scal = nullptr; SdotFn dot = nullptr; SasumFn asum = nullptr;
  GetThreadsFn getThreads = nullptr; SetThreadsFn setThreads = nullptr;  // OpenBLAS only
};

// $CAFFETS_BLAS, else the BLAS Caffe links on Debian/Ubuntu (libblas.so.3, an alternative that is
// OpenBLAS when installed), else OpenBLAS or a standalone libcblas.
const Cblas& Lib() {
  static Cblas lib = [] {
    Cblas l;
    const char* env = std::getenv("CAFFETS_BLAS");
    const char* names[] = {env, "libblas.so.3", "libopenblas.so.0", "libcblas.so.3", "libopenblas.so"};
    for (const char* name : names) {
      if (!name || !*name) continue;
      void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (!h) { if (l.error.empty()) l.error = dlerror(); continue; }
      l.gemm = (SgemmFn)dlsym(h, "cblas_sgemm");
      l.gemv = (SgemvFn)dlsym(h, "cblas_sgemv");
      l.axpy = (SaxpyFn)dlsym(h, "cblas_saxpy");
      l.scal = (SscalFn)dlsym(h, "cblas_sscal");
      l.dot = (SdotFn)dlsym(h, "cblas_sdot");
      l.asum = (SasumFn)dlsym(h, "cblas_sasum");
      l.getThreads = (GetThreadsFn)dlsym(h, "openblas_get_num_threads");
      l.setThreads = (SetThreadsFn)dlsym(h, "openblas_set_num_threads");
      if (l.gemm && l.gemv && l.axpy && l.scal && l.dot && l.asum) { l.path = name; l.error.clear(); return l; }
      l.error = std::string(name) + " has no CBLAS interface";
      dlclose(h);
    }
    l.gemm = nullptr;
    return l;
  }();
  return lib;
}

bool Ready(const Napi::CallbackInfo& info) {
  if (Lib().gemm) return true;
  Napi::Error::New(info.Env(), "no CBLAS library found (" + Lib().error + ")").ThrowAsJavaScriptException();
  return false;
}

int I(const Napi::CallbackInfo& info, int i) { return info[i].As<Napi::Number>().Int32Value(); }
float F(const Napi::CallbackInfo& info, int i) { return info[i].As<Napi::Number>().FloatValue(); }
float* P(const Napi::CallbackInfo& info, int i) { return info[i].As<Napi::Float32Array>().Data(); }

// Argument i as a Float32Array of at least `need` floats, else a RangeError (nullptr): a wrong size
// from a caller must not become a read or write past the end.
float* P(const Napi::CallbackInfo& info, int i, int64_t need, const char* what) {
  auto a = info[i].As<Napi::Float32Array>();
  if (need < 0 || (int64_t)a.ElementLength() < need) {
    Napi::RangeError::New(info.Env(), std::string(what) + ": array argument " + std::to_string(i) + " holds " +
                          std::to_string(a.ElementLength()) + " floats, " + std::to_string(need) + " needed").ThrowAsJavaScriptException();
    return nullptr;
  }
  return a.Data();
}

// blasLibrary() -> the library's name, or null with blasError() saying why
Napi::Value Library(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!Lib().gemm) return env.Null();
  return Napi::String::New(env, Lib().path);
}
Napi::Value Error(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), Lib().error); }

// blasGemm(transA, transB, M, N, K, alpha, A, B, beta, C): caffe_cpu_gemm
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  const bool ta = info[0].As<Napi::Boolean>(), tb = info[1].As<Napi::Boolean>();
  const int M = I(info, 2), N = I(info, 3), K = I(info, 4);
  float *A = P(info, 6, (int64_t)M * K, "blasGemm"), *B = A ? P(info, 7, (int64_t)K * N, "blasGemm") : nullptr;
  float* C = B ? P(info, 9, (int64_t)M * N, "blasGemm") : nullptr;
  if (!C) return info.Env().Undefined();
  Lib().gemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, M, N, K, F(info, 5), A, ta ? M : K, B, tb ? K : N,
             F(info, 8), C, N);
  return info.Env().Undefined();
}

// blasGemv(transA, M, N, alpha, A, x, beta, y): caffe_cpu_gemv
Napi::Value Gemv(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  const bool ta = info[0].As<Napi::Boolean>();
  const int M = I(info, 1), N = I(info, 2);
  float* A = P(info, 4, (int64_t)M * N, "blasGemv");
  float* x = A ? P(info, 5, ta ? M : N, "blasGemv") : nullptr;
  float* y = x ? P(info, 7, ta ? N : M, "blasGemv") : nullptr;
  if (!y) return info.Env().Undefined();
  Lib().gemv(kRowMajor, ta ? kTrans : kNoTrans, M, N, F(info, 3), A, N, x, 1, F(info, 6), y, 1);
  return info.Env().Undefined();
}

// blasAxpy(alpha, x, y): y += alpha x over y's length (caffe_axpy)
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  auto y = info[2].As<Napi::Float32Array>();
  float* x = P(info, 1, y.ElementLength(), "blasAxpy");
  if (!x) return info.Env().Undefined();
  Lib().axpy((int)y.ElementLength(), F(info, 0), x, 1, y.Data(), 1);
  return info.Env().Undefined();
}

// blasScal(alpha, x): x *= alpha (caffe_scal)
Napi::Value Scal(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  auto x = info[1].As<Napi::Float32Array>();
  Lib().scal((int)x.ElementLength(), F(info, 0), x.Data(), 1);
  return info.Env().Undefined();
}

// blasAsum(x): sum of |x| over x's length (caffe_cpu_asum)
Napi::Value Asum(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  auto x = info[0].As<Napi::Float32Array>();
  return Napi::Number::New(info.Env(), Lib().asum((int)x.ElementLength(), x.Data(), 1));
}

// blasDot(n, x, incx, y, incy): caffe_cpu_strided_dot
Napi::Value Dot(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  const int n = I(info, 0), incx = I(info, 2), incy = I(info, 4);
  float* x = n > 0 ? P(info, 1, (int64_t)(n - 1) * incx + 1, "blasDot") : P(info, 1);
  float* y = x && n > 0 ? P(info, 3, (int64_t)(n - 1) * incy + 1, "blasDot") : P(info, 3);
  if (!x || !y || incx < 1 || incy < 1) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), Lib().dot(n, x, incx, y, incy));
}

// blasThreads([n]): OpenBLAS's thread count (set first when n is given); null for another BLAS
Napi::Value Threads(const Napi::CallbackInfo& info) {
  if (!Ready(info)) return info.Env().Undefined();
  if (!Lib().getThreads) return info.Env().Null();
  if (info.Length() > 0 && Lib().setThreads) Lib().setThreads(I(info, 0));
  return Napi::Number::New(info.Env(), Lib().getThreads());
}

// y = f(x) element-wise over x's length with the C library's float functions (in place allowed):
// caffe_exp, caffe_log, caffe_powx and Caffe's TanH call exactly these on floats.
template <typename T = float, typename Fn>
Napi::Value Elementwise(const Napi::CallbackInfo& info, int yArg, Fn f) {
  auto x = info[0].As<Napi::TypedArrayOf<T>>(), y = info[yArg].As<Napi::TypedArrayOf<T>>();
  if (y.ElementLength() < x.ElementLength()) {
    Napi::RangeError::New(info.Env(), "element-wise: the output is shorter than the input").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const T* xs = x.Data();
  T* ys = y.Data();
  for (size_t i = 0, n = x.ElementLength(); i < n; i++) ys[i] = f(xs[i]);
  return info.Env().Undefined();
}

// expf(x, y), logf(x, y), tanhf(x, y), powx(x, p, y)
Napi::Value Expf(const Napi::CallbackInfo& info) { return Elementwise(info, 1, [](float v) { return std::exp(v); }); }
Napi::Value Logf(const Napi::CallbackInfo& info) { return Elementwise(info, 1, [](float v) { return std::log(v); }); }
Napi::Value Tanhf(const Napi::CallbackInfo& info) { return Elementwise(info, 1, [](float v) { return std::tanh(v); }); }
// expd(x, y) on Float64Arrays: the C library's exp on doubles, where Caffe's code promotes to double
// (LSTMUnit's tanh is 2 / (1 + exp(-2x)) - 1 computed in double)
Napi::Value Expd(const Napi::CallbackInfo& info) {
  return Elementwise<double>(info, 1, [](double v) { return std::exp(v); });
}
Napi::Value Powx(const Napi::CallbackInfo& info) {
  const float p = F(info, 1);
  return Elementwise(info, 2, [p](float v) { return std::pow(v, p); });
}

struct Geo { int C, H, W, kh, kw, ph, pw, sh, sw, dh, dw, oh, ow; };
Geo G(const Napi::CallbackInfo& info, int i) {
  Geo g{I(info, i), I(info, i + 1), I(info, i + 2), I(info, i + 3), I(info, i + 4), I(info, i + 5), I(info, i + 6),
        I(info, i + 7), I(info, i + 8), I(info, i + 9), I(info, i + 10), 0, 0};
  g.oh = (g.H + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1;
  g.ow = (g.W + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1;
  return g;
}

// im2col(im, col, C, H, W, kh, kw, ph, pw, sh, sw, dh, dw): rows (c, ki, kj), columns output positions;
// zero outside the image.
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  const Geo g = G(info, 2);
  const float* im = P(info, 0, (int64_t)g.C * g.H * g.W, "im2col");
  float* col = im ? P(info, 1, (int64_t)g.C * g.kh * g.kw * g.oh * g.ow, "im2col") : nullptr;
  if (!col) return info.Env().Undefined();
  for (int c = 0; c < g.C; c++, im += g.H * g.W)
    for (int ki = 0; ki < g.kh; ki++)
      for (int kj = 0; kj < g.kw; kj++)
        for (int y = 0, r = ki * g.dh - g.ph; y < g.oh; y++, r += g.sh)
          for (int x = 0, q = kj * g.dw - g.pw; x < g.ow; x++, q += g.sw)
            *col++ = (r >= 0 && r < g.H && q >= 0 && q < g.W) ? im[r * g.W + q] : 0.f;
  return info.Env().Undefined();
}

// col2im(col, im, ...): im = 0, then each column entry added to its pixel in im2col's order (the
// summation order Caffe's col2im_cpu uses).
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  const Geo g = G(info, 2);
  const float* col = P(info, 0, (int64_t)g.C * g.kh * g.kw * g.oh * g.ow, "col2im");
  float* im = col ? P(info, 1, (int64_t)g.C * g.H * g.W, "col2im") : nullptr;
  if (!im) return info.Env().Undefined();
  std::fill(im, im + (size_t)g.C * g.H * g.W, 0.f);
  for (int c = 0; c < g.C; c++, im += g.H * g.W)
    for (int ki = 0; ki < g.kh; ki++)
      for (int kj = 0; kj < g.kw; kj++)
        for (int y = 0, r = ki * g.dh - g.ph; y < g.oh; y++, r += g.sh)
          for (int x = 0, q = kj * g.dw - g.pw; x < g.ow; x++, q += g.sw, col++)
            if (r >= 0 && r < g.H && q >= 0 && q < g.W) im[r * g.W + q] += *col;
  return info.Env().Undefined();
}

}  // namespace

void InitBlas(Napi::Env env, Napi::Object exports) {
  exports.Set("blasLibrary", Napi::Function::New(env, Library));
  exports.Set("blasError", Napi::Function::New(env, Error));
  exports.Set("blasGemm", Napi::Function::New(env, Gemm));
  exports.Set("blasGemv", Napi::Function::New(env, Gemv));
  exports.Set("blasAxpy", Napi::Function::New(env, Axpy));
  exports.Set("blasScal", Napi::Function::New(env, Scal));
  exports.Set("blasDot", Napi::Function::New(env, Dot));
  exports.Set("blasAsum", Napi::Function::New(env, Asum));
  exports.Set("blasThreads", Napi::Function::New(env, Threads));
  exports.Set("expf", Napi::Function::New(env, Expf));
  exports.Set("expd", Napi::Function::New(env, Expd));
  exports.Set("tanhf", Napi::Function::New(env, Tanhf));
  exports.Set("logf", Napi::Function::New(env, Logf));
  exports.Set("powx", Napi::Function::New(env, Powx));
  exports.Set("im2col", Napi::Function::New(env, Im2col));
  exports.Set("col2im", Napi::Function::New(env, Col2im));
}
