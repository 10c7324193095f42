// caffets native CPU backend: N-API bindings over oneDNN. Tensors are Float32Arrays owned by JS;
// the addon reads their memory in place (no copies).
#include <napi.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <malloc.h>
#include <cstring>
#include <thread>

void InitConv(Napi::Env env, Napi::Object exports);  // conv.cc
void InitPool(Napi::Env env, Napi::Object exports);  // pool.cc
void InitLrn(Napi::Env env, Napi::Object exports);   // lrn.cc
void InitLmdb(Napi::Env env, Napi::Object exports);  // lmdb.cc
void InitBlas(Napi::Env env, Napi::Object exports);  // blas.cc
void InitTransform(Napi::Env env, Napi::Object exports);  // transform.cc
void InitDatum(Napi::Env env, Napi::Object exports);  // datum.cc
void InitEltwise(Napi::Env env, Napi::Object exports);  // eltwise.cc
void InitImage(Napi::Env env, Napi::Object exports);  // image.cc

namespace {

// row-major C = alpha * op(A) op(B) + beta * C, as caffe_cpu_gemm
// gemm(transA, transB, M, N, K, alpha, A, B, beta, C)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>(), tb = info[1].As<Napi::Boolean>();
  const int64_t M = info[2].As<Napi::Number>().Int64Value(), N = info[3].As<Napi::Number>().Int64Value(),
                K = info[4].As<Napi::Number>().Int64Value();
  const float alpha = info[5].As<Napi::Number>().FloatValue();
  auto A = info[6].As<Napi::Float32Array>(), B = info[7].As<Napi::Float32Array>();
  const float beta = info[8].As<Napi::Number>().FloatValue();
  auto C = info[9].As<Napi::Float32Array>();
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A.Data(), lda, B.Data(), ldb, beta, C.Data(), N);
  if (st != dnnl_success) Napi::Error::New(info.Env(), "dnnl_sgemm failed").ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// keepFreedMemory(): glibc malloc keeps freed blocks of up to 4 MiB for reuse (M_MMAP_THRESHOLD, instead of
// its adaptive threshold) and returns heap tops to the system only past 64 MiB (M_TRIM_THRESHOLD). For
// streams of large short-lived buffers (convert_imageset's Datums, liblmdb's overflow pages): fresh pages
// fault and are zeroed on each use, which costs about as much as decoding them. Process-wide, once.
Napi::Value KeepFreedMemory(const Napi::CallbackInfo& info) {
  static const bool done = mallopt(M_MMAP_THRESHOLD, 4 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 64 << 20) == 1;
  return Napi::Boolean::New(info.Env(), done);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("dnnl", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("isa", (int)dnnl_get_effective_cpu_isa());
  o.Set("threads", omp_get_max_threads());
  o.Set("hardwareThreads", (int)std::thread::hardware_concurrency());
  return o;
}

// The OpenMP thread count libgomp chose when it loaded: OMP_NUM_THREADS, else the CPUs this process may
// run on. Read once, before any omp_set_num_threads.
int DefaultThreads() {
  static const int n = omp_get_max_threads();
  return n;
}

// ompThreads(n): the OpenMP thread count of our kernels and oneDNN's (0 = libgomp's default, above)
Napi::Value OmpThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  omp_set_num_threads(n > 0 ? n : DefaultThreads());
  return info.Env().Undefined();
}

// copyFloats(dst, src, n): memcpy of n floats; unlike TypedArray.set it stays a memcpy when either
// array lives in a SharedArrayBuffer (V8 copies those element by element)
Napi::Value CopyFloats(const Napi::CallbackInfo& info) {
  auto dst = info[0].As<Napi::Float32Array>(), src = info[1].As<Napi::Float32Array>();
  const size_t n = info[2].As<Napi::Number>().Int64Value();
  if (n > dst.ElementLength() || n > src.ElementLength()) {
    Napi::RangeError::New(info.Env(), "copyFloats: n exceeds an array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::memcpy(dst.Data(), src.Data(), n * sizeof(float));
  return info.Env().Undefined();
}

// Silences the process's stderr (fd 2) until the returned fd is given back to RestoreStderr: for
// native libraries that print there unasked (Dawn's Vulkan limit warnings while an adapter opens).
// Returns -1 when nothing was redirected.
static Napi::Value SilenceStderr(const Napi::CallbackInfo& info) {
  fflush(stderr);
  int saved = dup(2);
  int null = open("/dev/null", O_WRONLY);
  if (saved < 0 || null < 0 || dup2(null, 2) < 0) {
    if (saved >= 0) close(saved);
    if (null >= 0) close(null);
    return Napi::Number::New(info.Env(), -1);
  }
  close(null);
  return Napi::Number::New(info.Env(), saved);
}

static Napi::Value RestoreStderr(const Napi::CallbackInfo& info) {
  int saved = info[0].As<Napi::Number>().Int32Value();
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  DefaultThreads();
  exports.Set("silenceStderr", Napi::Function::New(env, SilenceStderr));
  exports.Set("restoreStderr", Napi::Function::New(env, RestoreStderr));
  exports.Set("copyFloats", Napi::Function::New(env, CopyFloats));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("ompThreads", Napi::Function::New(env, OmpThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("keepFreedMemory", Napi::Function::New(env, KeepFreedMemory));
  InitConv(env, exports);
  InitPool(env, exports);
  InitLrn(env, exports);
  InitLmdb(env, exports);
  InitBlas(env, exports);
  InitTransform(env, exports);
  InitDatum(env, exports);
  InitEltwise(env, exports);
  InitImage(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(caffets_native, Init)
