// caffets_mpi: Open MPI's C API for data-parallel training across processes (mpirun -np N caffets
// train). Built only where mpi.h exists (binding.gyp, scripts/mpi-config.js); src/native/mpi.ts
// loads it when present.
//
// One communication thread makes every MPI call (MPI_THREAD_FUNNELED: it is the thread that
// initialised MPI), in the order the JS thread queued them. A reduction started from JS runs there
// while the JS thread goes on with backward; wait(id) blocks the JS thread until it is done. The JS
// array a job reads and writes is kept alive by a reference until its wait().
//
// Replicas must keep identical weights, so every rank must get the same bits of a sum. Two ranks do:
// a + b = b + a in floating point, whatever MPI_Allreduce's algorithm. More ranks sum by a
// reduce-scatter of equal chunks followed by an all-gather of the reduced chunks: each element is
// summed once, by one rank, whatever the implementation's reduction order.
//
// The ranks' compute threads take every core (src/api/train_mpi.ts), so Open MPI's waits yield the
// core instead of spinning on it (mpi_yield_when_idle, unless the environment sets it).
#include <napi.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <mpi.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Job {
  enum Kind { SUM, BCAST, FINALIZE } kind;
  void* ptr = nullptr;
  size_t count = 0;  // floats for SUM, bytes for BCAST
  int root = 0;
  bool done = false;
  std::string error;
};

struct State {
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job*> queue;
  std::map<int64_t, Job*> jobs;
  std::map<int64_t, Napi::Reference<Napi::Value>> refs;
  int64_t nextId = 1;
  bool started = false, finalized = false;
  int rank = 0, size = 1, localRank = 0, localSize = 1;
  std::string initError, library;
  std::vector<float> scratch;  // the padded buffer of a sum (communication thread only)
};

State& S() {
  static State* s = new State();  // never destroyed: the thread may outlive static destruction
  return *s;
}

std::string MpiError(const char* op, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
  return std::string(op) + ": " + std::string(msg, len);
}

// sum over the ranks of n floats at p, in place (see the header)
std::string Sum(float* p, size_t n) {
  State& s = S();
  if (s.size <= 2) {
    int rc = MPI_Allreduce(MPI_IN_PLACE, p, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? "" : MpiError("MPI_Allreduce", rc);
  }
  const size_t chunk = (n + s.size - 1) / s.size;
  s.scratch.assign(chunk * s.size, 0.f);
  std::memcpy(s.scratch.data(), p, n * sizeof(float));
  std::vector<float> mine(chunk);
  int rc = MPI_Reduce_scatter_block(s.scratch.data(), mine.data(), (int)chunk, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Reduce_scatter_block", rc);
  rc = MPI_Allgather(mine.data(), (int)chunk, MPI_FLOAT, s.scratch.data(), (int)chunk, MPI_FLOAT, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Allgather", rc);
  std::memcpy(p, s.scratch.data(), n * sizeof(float));
  return "";
}

std::string Run(Job* j) {
  State& s = S();
  switch (j->kind) {
    case Job::SUM: {
      // chunks under 2^31 elements for MPI's int counts
      const size_t step = (size_t)1 << 30;
      for (size_t k = 0; k < j->count; k += step) {
        std::string e = Sum(static_cast<float*>(j->ptr) + k, std::min(step, j->count - k));
        if (!e.empty()) return e;
      }
      return "";
    }
    case Job::BCAST: {
      const size_t step = (size_t)1 << 30;
      for (size_t k = 0; k < j->count; k += step) {
        int rc = MPI_Bcast(static_cast<char*>(j->ptr) + k, (int)std::min(step, j->count - k), MPI_BYTE, j->root,
                           MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return MpiError("MPI_Bcast", rc);
      }
      return "";
    }
    case Job::FINALIZE: {
      int rc = MPI_Finalize();
      s.finalized = true;
      return rc == MPI_SUCCESS ? "" : MpiError("MPI_Finalize", rc);
    }
  }
  return "";
}

void ThreadMain() {
  State& s = S();
  {
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    std::lock_guard<std::mutex> lock(s.mu);
    if (rc != MPI_SUCCESS) {
      s.initError = "MPI_Init_thread failed";
    } else {
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
      MPI_Comm_size(MPI_COMM_WORLD, &s.size);
      MPI_Comm local;
      if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_rank(local, &s.localRank);
        MPI_Comm_size(local, &s.localSize);
        MPI_Comm_free(&local);
      }
      char lib[MPI_MAX_LIBRARY_VERSION_STRING];
      int len = 0;
      MPI_Get_library_version(lib, &len);
      s.library = std::string(lib, len);
      const size_t nl = s.library.find_first_of(",\n");
      if (nl != std::string::npos) s.library.resize(nl);
    }
    s.started = true;
    s.cv.notify_all();
    if (rc != MPI_SUCCESS) return;
  }
  for (;;) {
    Job* j;
    {
      std::unique_lock<std::mutex> lock(s.mu);
      s.cv.wait(lock, [&] { return !s.queue.empty(); });
      j = s.queue.front();
      s.queue.pop_front();
    }
    std::string err = Run(j);
    const bool last = j->kind == Job::FINALIZE;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      j->error = err;
      j->done = true;
    }
    s.cv.notify_all();
    if (last) return;
  }
}

// Open MPI opens its components (mca_*.so) with dlopen; they resolve libmpi's and libopen-pal's
// symbols from the global scope, so libmpi, loaded RTLD_LOCAL as this addon's dependency, is promoted
// to RTLD_GLOBAL first.
std::string PromoteLibmpi() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) || !info.dli_fname) return "dladdr(MPI_Init) failed";
  if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) {
    const char* e = dlerror();
    return std::string("dlopen ") + info.dli_fname + ": " + (e ? e : "failed");
  }
  return "";
}

// init(): { rank, size, localRank, localSize, library } (MPI_Init once; later calls return the same)
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = S();
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.thread.joinable() && !s.started) {
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    std::string e = PromoteLibmpi();
    if (!e.empty()) {
      Napi::Error::New(env, e).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    s.thread = std::thread(ThreadMain);
  }
  s.cv.wait(lock, [&] { return s.started; });
  if (!s.initError.empty()) {
    Napi::Error::New(env, s.initError).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", s.rank);
  o.Set("size", s.size);
  o.Set("localRank", s.localRank);
  o.Set("localSize", s.localSize);
  o.Set("library", s.library);
  return o;
}

int64_t Submit(Napi::Env env, Job* j, Napi::Value keep) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  const int64_t id = s.nextId++;
  s.jobs[id] = j;
  if (!keep.IsUndefined()) s.refs[id] = Napi::Persistent(keep);
  s.queue.push_back(j);
  s.cv.notify_all();
  return id;
}

bool CheckOpen(Napi::Env env) {
  State& s = S();
  if (s.started && s.initError.empty() && !s.finalized && s.thread.joinable()) return true;
  Napi::Error::New(env, "MPI is not initialised (or already finalized)").ThrowAsJavaScriptException();
  return false;
}

// Blocks until job `id` is done; throws its MPI error.
void WaitFor(Napi::Env env, int64_t id) {
  State& s = S();
  Job* j;
  std::string err;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    auto it = s.jobs.find(id);
    if (it == s.jobs.end()) return;
    j = it->second;
    s.cv.wait(lock, [&] { return j->done; });
    s.jobs.erase(it);
    err = j->error;
  }
  auto r = s.refs.find(id);
  if (r != s.refs.end()) s.refs.erase(r);  // the Reference's destructor releases it (JS thread)
  const bool last = j->kind == Job::FINALIZE;
  delete j;
  if (last && s.thread.joinable()) s.thread.join();
  if (!err.empty()) Napi::Error::New(env, err).ThrowAsJavaScriptException();
}

// sumStart(f32): starts summing the array over the ranks, in place; returns the job id for wait()
Napi::Value SumStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  auto a = info[0].As<Napi::Float32Array>();
  Job* j = new Job();
  j->kind = Job::SUM;
  j->ptr = a.Data();
  j->count = a.ElementLength();
  return Napi::Number::New(env, (double)Submit(env, j, info[0]));
}

Napi::Value Wait(const Napi::CallbackInfo& info) {
  WaitFor(info.Env(), info[0].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

// broadcast(typedArray, root): the root's bytes into every rank's array (blocks)
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  auto a = info[0].As<Napi::TypedArray>();
  Job* j = new Job();
  j->kind = Job::BCAST;
  j->ptr = static_cast<char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  j->count = a.ByteLength();
  j->root = info[1].As<Napi::Number>().Int32Value();
  WaitFor(env, Submit(env, j, info[0]));
  return env.Undefined();
}

// finalize(): MPI_Finalize on the communication thread, which then ends
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = S();
  if (!s.thread.joinable() || s.finalized) return env.Undefined();
  Job* j = new Job();
  j->kind = Job::FINALIZE;
  WaitFor(env, Submit(env, j, env.Undefined()));
  return env.Undefined();
}

// abort(code): MPI_Abort, which ends every rank of the job (a rank failed; the others would wait forever)
Napi::Value Abort(const Napi::CallbackInfo& info) {
  MPI_Abort(MPI_COMM_WORLD, info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("sumStart", Napi::Function::New(env, SumStart));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  return exports;
}

}  // namespace

NODE_API_MODULE(caffets_mpi, InitModule)
