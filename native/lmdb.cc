// LMDB bindings over the system's liblmdb 0.9 (Debian liblmdb-dev): the on-disk format Caffe's
// db_lmdb.cpp reads and writes (a directory holding data.mdb + lock.mdb, one unnamed database,
// keys compared bytewise). Exposed to JS as two classes:
//
//   const env = new native.LmdbEnv(path, mode, mapSize)
//       mode 0 READ  (MDB_RDONLY | MDB_NOTLS: Caffe's db::READ),
//            1 WRITE (the directory must exist),
//            2 NEW   (mkdir first; fails if the path exists, as Caffe's CHECK on mkdir).
//       mapSize: the initial map size in bytes for WRITE/NEW (0: the file's own); READ keeps the
//       size recorded in the file (never below the data already there), as Caffe does.
//   env.stat()  -> { entries, depth, pageSize, branchPages, leafPages, overflowPages,
//                    mapSize, lastPage, maxKeySize, noLock }
//   env.putBatch(keys: Buffer[], values: Uint8Array[]) -> { mapSize, grown }
//       One write transaction holding every pair, committed atomically. When it meets MDB_MAP_FULL
//       (in a put or in the commit) the transaction is aborted, the map grown with
//       mdb_env_set_mapsize (at least doubled, and enough for the batch), and the whole batch
//       redone: a commit never fails with MAP_FULL. `grown` counts the growth steps it took.
//   env.putBatchAsync(keys, values) -> Promise<{ mapSize, grown }>
//       The same on libuv's thread pool. Until it settles the environment is busy: every other call
//       (close included) throws; keys and values are held, and must not be changed, meanwhile.
//   env.close()
//   const c = new native.LmdbCursor(env)   // a read-only transaction + cursor (a snapshot)
//   c.first() / c.next() -> boolean (false: past the end)
//   c.key() / c.value()  -> Buffer: a COPY of the current record. LMDB's own pointers go into the
//       read-only memory map and die with the transaction (or with a later map growth, or when the
//       environment closes); handing them to JS as external buffers would let a stale Buffer crash
//       the process, so each access copies (one memcpy per record, cheap next to protobuf decoding).
//   c.readBatch(max, maxBytes) -> { buf, ends } | null: the current record and those after it (up to
//       max, and past maxBytes only for the first) copied into one Buffer, key, value, key, value...,
//       with their end offsets; the cursor stays on the last one copied (the Data layer's read-ahead).
//   c.close()
//
// Errors are JS exceptions `<op> <path>: <mdb_strerror>` with properties code (the LMDB/errno
// code), lmdbMessage (mdb_strerror), op and path; those that mean the file is damaged also carry
// `damaged`, the reason in a few words (src/db/lmdb.ts makes the user's one line of it).
//
// Damaged files: liblmdb reads data.mdb through a memory map and trusts its pages. Every liblmdb
// call and every copy out of the map runs under a FaultGuard (fault_guard.h: a sigsetjmp per call
// or per batch of records), so a page past the end of a truncated file (SIGBUS), a pointer sent out
// of the map by a damaged page (SIGSEGV) or a failed liblmdb assertion (caught with
// mdb_env_set_assert instead of abort()) becomes an error, `damaged` saying which and where. After
// one, the environment is poisoned: its cursors and the environment are closed, and every later
// call throws the same error. liblmdb's own corruption codes (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, ...)
// are marked `damaged` as well. A record larger than the pages in use cannot be whole: it is
// reported before it is copied (rather than allocating gigabytes for a bit-flipped length).
//
// MDB_NOLOCK: Caffe never sets it (only builds with ALLOW_LMDB_NOLOCK retry with it after EACCES).
// Here READ retries with it after EACCES too, and uses it from the start when the database's files
// are marked read-only (lock.mdb without any write bit, or no lock.mdb in a directory without
// one), so reading a read-only golden database never rewrites its lock file, even as root.
// Every mode uses MDB_NOTLS (read transactions not tied to threads: several cursors at once);
// it changes nothing on disk.
#include <napi.h>
#include <lmdb.h>

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "fault_guard.h"

namespace {

// liblmdb's codes that can only come from a damaged file (or one written by another format).
bool IsCorruption(int rc) {
  return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_BAD_TXN || rc == MDB_INVALID ||
         rc == MDB_VERSION_MISMATCH || rc == MDB_CURSOR_FULL;
}

Napi::Error LmdbError(Napi::Env env, const std::string& op, const std::string& path, int rc,
                      const std::string& extra = "") {
  const char* msg = mdb_strerror(rc);
  auto e = Napi::Error::New(env, op + " " + path + ": " + msg + extra);
  e.Set("code", Napi::Number::New(env, rc));
  e.Set("lmdbMessage", Napi::String::New(env, msg));
  e.Set("op", Napi::String::New(env, op));
  e.Set("path", Napi::String::New(env, path));
  if (IsCorruption(rc)) e.Set("damaged", Napi::String::New(env, msg));
  return e;
}

// A damaged database met in `op`: `reason` says how (a fault, an assertion, a record too large).
Napi::Error DamagedError(Napi::Env env, const std::string& op, const std::string& path, const std::string& reason) {
  auto e = Napi::Error::New(env, op + " " + path + ": damaged LMDB database (" + reason + ")");
  e.Set("code", Napi::Number::New(env, MDB_CORRUPTED));
  e.Set("lmdbMessage", Napi::String::New(env, reason));
  e.Set("op", Napi::String::New(env, op));
  e.Set("path", Napi::String::New(env, path));
  e.Set("damaged", Napi::String::New(env, reason));
  return e;
}

// The page of data.mdb (open as `fd`, pages of `psize`) mapped at `addr`, from /proc/self/maps; -1
// when `addr` is in no mapping of that file, -2 when that cannot be told (no /proc). Sets `fileSize`
// to the file's size now.
long long PageAt(const char* addr, int fd, unsigned psize, long long& fileSize) {
  struct stat st;
  fileSize = -1;
  if (fd < 0 || psize == 0 || fstat(fd, &st) != 0) return -2;
  fileSize = st.st_size;
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (!maps) return -2;
  long long page = -1;
  char line[4096];
  while (page < 0 && std::fgets(line, sizeof line, maps)) {
    unsigned long long start, end, offset, inode;
    unsigned major, minor;
    if (std::sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end, &offset, &major, &minor, &inode) != 6) continue;
    const auto a = (unsigned long long)(uintptr_t)addr;
    if (a >= start && a < end && inode == (unsigned long long)st.st_ino) page = (long long)((offset + a - start) / psize);
  }
  std::fclose(maps);
  return page;
}

// What a FaultGuard caught, in a few words.
std::string FaultReason(const FaultGuard& g, MDB_env* env, unsigned psize) {
  if (g.sig == SIGABRT) {
    // "mdb.c:5921: Assertion 'IS_LEAF(mp)' failed in mdb_cursor_next()"
    const char* a = std::strstr(g.assertion, "Assertion ");
    std::string what = a ? a + 10 : g.assertion;  // "'IS_LEAF(mp)' failed in mdb_cursor_next()"
    what.erase(std::remove(what.begin(), what.end(), '\''), what.end());
    if (what.size() > 2 && what.compare(what.size() - 2, 2, "()") == 0) what.resize(what.size() - 2);
    std::string plain = std::strstr(g.assertion, "IS_LEAF") ? "a page that should be a leaf is not: "
                        : std::strstr(g.assertion, "IS_BRANCH") ? "a page that should be a branch is not: "
                                                                 : "";
    return plain + "liblmdb's check " + what;
  }
  const std::string kind = g.sig == SIGBUS ? "bus error" : "invalid memory access";
  mdb_filehandle_t fd = -1;
  if (env) mdb_env_get_fd(env, &fd);
  long long fileSize;
  const long long page = PageAt(g.addr, fd, psize, fileSize);
  if (page == -2) return kind + " reading data.mdb";
  if (page < 0) return kind + " at an address outside data.mdb's map";
  std::string r = kind + " reading page " + std::to_string(page);
  if (fileSize >= 0 && (page + 1) * (long long)psize > fileSize) {
    r += ", past the end of data.mdb, which is " + std::to_string(fileSize) + " bytes";
  }
  return r;
}

bool HasWriteBit(const struct stat& st) { return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0; }

// The database's files say "read-only": open without touching lock.mdb.
bool MarkedReadOnly(const std::string& dir) {
  struct stat st;
  if (stat((dir + "/lock.mdb").c_str(), &st) == 0) return !HasWriteBit(st);
  if (stat(dir.c_str(), &st) == 0) return !HasWriteBit(st);
  return false;
}

// Ends a cursor and its read transaction, or a write transaction, under a guard of its own: after a
// fault their state is suspect, and a second fault here only leaks them.
void EndTxn(MDB_cursor* c, MDB_txn* t) {
  FaultGuard g;
  Guarded(g, [&] {
    if (c) mdb_cursor_close(c);
    if (t) mdb_txn_abort(t);
  });
}

class LmdbCursor;

class LmdbEnv : public Napi::ObjectWrap<LmdbEnv> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LmdbEnv", {
      InstanceMethod<&LmdbEnv::Stat>("stat"),
      InstanceMethod<&LmdbEnv::PutBatch>("putBatch"),
      InstanceMethod<&LmdbEnv::PutBatchAsync>("putBatchAsync"),
      InstanceMethod<&LmdbEnv::Close>("close"),
    });
  }

  explicit LmdbEnv(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LmdbEnv>(info) {
    auto env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "LmdbEnv(path, mode, mapSize?)").ThrowAsJavaScriptException();
      return;
    }
    path_ = info[0].As<Napi::String>().Utf8Value();
    const int mode = info[1].As<Napi::Number>().Int32Value();
    const double mapSize = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
    readOnly_ = mode == 0;
    if (mode == 2 && mkdir(path_.c_str(), 0775) != 0) {
      LmdbError(env, "mkdir", path_, errno).ThrowAsJavaScriptException();
      return;
    }
    unsigned flags = MDB_NOTLS;
    if (readOnly_) {
      flags |= MDB_RDONLY;
      if (MarkedReadOnly(path_)) flags |= MDB_NOLOCK;
    }
    int rc = Open(flags, readOnly_ ? 0 : (size_t)mapSize);
    if (rc == EACCES && readOnly_ && !(flags & MDB_NOLOCK) && damaged_.empty()) {
      flags |= MDB_NOLOCK;  // Caffe's ALLOW_LMDB_NOLOCK fallback
      rc = Open(flags, 0);
    }
    if (!damaged_.empty()) { DamagedError(env, "mdb_env_open", path_, damaged_).ThrowAsJavaScriptException(); return; }
    if (rc != 0) { LmdbError(env, "mdb_env_open", path_, rc).ThrowAsJavaScriptException(); return; }
    noLock_ = (flags & MDB_NOLOCK) != 0;
  }

  ~LmdbEnv() override { Shutdown(); }

  MDB_env* handle() const { return env_; }
  const std::string& path() const { return path_; }
  const std::string& damaged() const { return damaged_; }
  void Attach(LmdbCursor* c) { cursors_.insert(c); }
  void Detach(LmdbCursor* c) { cursors_.erase(c); }

  // Another process grew the map: adopt its size (LMDB's documented answer to MDB_MAP_RESIZED).
  // Called inside guarded regions.
  int BeginTxn(unsigned flags, MDB_txn** txn) {
    int rc = mdb_txn_begin(env_, nullptr, flags, txn);
    if (rc == MDB_MAP_RESIZED && cursors_.empty()) {
      rc = mdb_env_set_mapsize(env_, 0);
      if (rc == 0) rc = mdb_txn_begin(env_, nullptr, flags, txn);
    }
    return rc;
  }

  // The bytes of data.mdb in use (its last page's end): no record can be larger. In a guarded region.
  size_t UsedBytes() {
    MDB_envinfo ei;
    mdb_env_info(env_, &ei);
    return (ei.me_last_pgno + 1) * (size_t)psize_;
  }

  // After a fault or assertion in a region: remembers why, ends every cursor and closes the
  // environment (each step guarded), and returns the error to throw.
  Napi::Error Poison(Napi::Env env, const std::string& op, const FaultGuard& g);

  // The error of a poisoned or closed environment; false when it is usable.
  bool Unusable(Napi::Env env, const std::string& op) {
    if (!damaged_.empty()) { DamagedError(env, op, path_, damaged_).ThrowAsJavaScriptException(); return true; }
    if (busy_) {
      Napi::Error::New(env, "LMDB " + path_ + ": " + op + " while putBatchAsync is writing").ThrowAsJavaScriptException();
      return true;
    }
    if (env_) return false;
    Napi::Error::New(env, "LMDB " + path_ + " is closed").ThrowAsJavaScriptException();
    return true;
  }

 private:
  // mdb_env_open under a guard (it reads the meta pages); a fault poisons the environment.
  int Open(unsigned flags, size_t mapSize) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) { env_ = nullptr; return rc; }
    mdb_env_set_assert(env_, OnLmdbAssert);
    if (mapSize > 0) rc = mdb_env_set_mapsize(env_, mapSize);
    FaultGuard g;
    if (!Guarded(g, [&] {
          if (rc == 0) rc = mdb_env_open(env_, path_.c_str(), flags, 0664);
          if (rc == 0) {
            MDB_stat st;
            mdb_env_stat(env_, &st);
            psize_ = st.ms_psize;
          }
        })) {
      damaged_ = FaultReason(g, env_, psize_);
      rc = MDB_CORRUPTED;
    }
    if (rc != 0) {
      FaultGuard c;
      Guarded(c, [&] { mdb_env_close(env_); });
      env_ = nullptr;
    }
    return rc;
  }

  Napi::Value Stat(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (Unusable(env, "mdb_stat")) return env.Undefined();
    MDB_txn* volatile live = nullptr;  // read after a jump
    const char* op = "mdb_txn_begin";
    int rc = 0;
    MDB_stat st;
    MDB_envinfo ei;
    FaultGuard g;
    if (!Guarded(g, [&] {
          MDB_txn* txn;
          rc = BeginTxn(MDB_RDONLY, &txn);
          if (rc != 0) return;
          live = txn;
          MDB_dbi dbi;
          op = "mdb_stat";
          rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
          if (rc == 0) rc = mdb_stat(txn, dbi, &st);
          mdb_env_info(env_, &ei);
        })) {
      EndTxn(nullptr, live);
      Poison(env, "mdb_stat", g).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    EndTxn(nullptr, live);
    if (rc != 0) { LmdbError(env, op, path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
    auto o = Napi::Object::New(env);
    o.Set("entries", (double)st.ms_entries);
    o.Set("depth", (double)st.ms_depth);
    o.Set("pageSize", (double)st.ms_psize);
    o.Set("branchPages", (double)st.ms_branch_pages);
    o.Set("leafPages", (double)st.ms_leaf_pages);
    o.Set("overflowPages", (double)st.ms_overflow_pages);
    o.Set("mapSize", (double)ei.me_mapsize);
    o.Set("lastPage", (double)ei.me_last_pgno);
    o.Set("maxKeySize", (double)mdb_env_get_maxkeysize(env_));
    o.Set("noLock", noLock_);
    return o;
  }

  // Grows the map for a batch of `need` bytes: at least double, and at least the pages in use
  // plus twice the batch (page headers, B-tree splits and copy-on-write of branch pages).
  // In a guarded region.
  int Grow(size_t need) {
    MDB_envinfo ei;
    int rc = mdb_env_info(env_, &ei);
    if (rc != 0) return rc;
    const size_t used = (ei.me_last_pgno + 1) * (size_t)psize_;
    size_t size = ei.me_mapsize * 2;
    if (size < used + 2 * need) size = used + 2 * need;
    const size_t unit = 1 << 20;  // whole MiB
    size = (size + unit - 1) / unit * unit;
    return mdb_env_set_mapsize(env_, size);
  }

  // A batch of pairs and what writing it came to. The pairs point into JS buffers, which the caller
  // keeps alive (and unmoved) until Finish.
  struct Batch {
    std::vector<MDB_val> k, v;
    size_t bytes = 0;
    bool cursorsOpen = false;
    const char* op = "mdb_txn_begin";
    int rc = 0, grown = 0;
    uint32_t at = 0;
    bool faulted = false;
    FaultGuard g;
    MDB_txn* volatile live = nullptr;  // a write transaction a jump left open
    size_t mapSize = 0;
  };

  // Collects the pairs of putBatch(keys, values) into b; false after throwing a TypeError.
  bool Collect(const Napi::CallbackInfo& info, Batch& b) {
    auto env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) {
      Napi::TypeError::New(env, "putBatch(keys: Buffer[], values: Uint8Array[])").ThrowAsJavaScriptException();
      return false;
    }
    auto keys = info[0].As<Napi::Array>(), values = info[1].As<Napi::Array>();
    const uint32_t n = keys.Length();
    if (values.Length() != n) {
      Napi::TypeError::New(env, "putBatch: keys and values differ in length").ThrowAsJavaScriptException();
      return false;
    }
    b.k.resize(n), b.v.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value kj = keys[i], vj = values[i];
      if (!kj.IsTypedArray() || !vj.IsTypedArray()) {
        Napi::TypeError::New(env, "putBatch: keys and values must be Buffers/Uint8Arrays").ThrowAsJavaScriptException();
        return false;
      }
      auto ka = kj.As<Napi::Uint8Array>(), va = vj.As<Napi::Uint8Array>();
      b.k[i].mv_data = ka.Data(); b.k[i].mv_size = ka.ByteLength();
      b.v[i].mv_data = va.Data(); b.v[i].mv_size = va.ByteLength();
      b.bytes += b.k[i].mv_size + b.v[i].mv_size + 16;
    }
    b.cursorsOpen = !cursors_.empty();
    return true;
  }

  // Writes the batch in one transaction (growing the map on MAP_FULL and redoing it). Plain C only:
  // runs on the main thread (putBatch) or on the pool (putBatchAsync).
  void Write(Batch& b) {
    MDB_val* const k = b.k.data();
    MDB_val* const v = b.v.data();
    const uint32_t n = (uint32_t)b.k.size();
    // One region for the whole batch and its retries; only plain values cross it.
    b.faulted = !Guarded(b.g, [&] {
      for (;;) {
        MDB_txn* txn;
        MDB_dbi dbi;
        b.op = "mdb_txn_begin";
        b.rc = BeginTxn(0, &txn);
        if (b.rc != 0) return;
        b.live = txn;
        b.op = "mdb_dbi_open";
        b.rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
        if (b.rc == 0) {
          b.op = "mdb_put";
          for (b.at = 0; b.at < n; ++b.at) {
            b.rc = mdb_put(txn, dbi, &k[b.at], &v[b.at], 0);
            if (b.rc != 0) break;
          }
        }
        if (b.rc == 0) {
          b.op = "mdb_txn_commit";
          b.live = nullptr;
          b.rc = mdb_txn_commit(txn);  // frees txn, whatever the outcome
        } else {
          b.live = nullptr;
          mdb_txn_abort(txn);
        }
        if (b.rc != MDB_MAP_FULL) return;
        // MAP_FULL: nothing of the batch was written; grow the map and redo it.
        b.op = "mdb_env_set_mapsize";
        if (b.cursorsOpen) return;
        b.rc = Grow(b.bytes);
        if (b.rc != 0) return;
        ++b.grown;
      }
    });
    if (b.faulted) return;
    FaultGuard gi;
    Guarded(gi, [&] {
      MDB_envinfo ei;
      mdb_env_info(env_, &ei);
      b.mapSize = ei.me_mapsize;
    });
  }

  // What the batch came to, on the main thread: { mapSize, grown }, or *err set.
  Napi::Value Finish(Napi::Env env, Batch& b, Napi::Error* err) {
    if (b.faulted) {
      EndTxn(nullptr, b.live);
      *err = Poison(env, b.op, b.g);
      return env.Undefined();
    }
    if (b.rc == MDB_MAP_FULL && b.cursorsOpen) {
      *err = LmdbError(env, "mdb_env_set_mapsize", path_, MDB_MAP_FULL,
                       " (the map must grow, which cannot happen while a cursor of this environment is open)");
      return env.Undefined();
    }
    if (b.rc != 0 && std::strcmp(b.op, "mdb_put") == 0) {
      const MDB_val& kv = b.k[b.at];
      std::string key(static_cast<const char*>(kv.mv_data), kv.mv_size);
      std::string extra = " (record " + std::to_string(b.at) + " of the batch, key \"" +
          (key.size() > 80 ? key.substr(0, 80) + "..." : key) + "\", " + std::to_string(kv.mv_size) +
          " bytes; LMDB keys hold at most " + std::to_string(mdb_env_get_maxkeysize(env_)) + " bytes)";
      *err = LmdbError(env, "mdb_put", path_, b.rc, extra);
      return env.Undefined();
    }
    if (b.rc != 0) {
      *err = LmdbError(env, b.op, path_, b.rc);
      return env.Undefined();
    }
    auto o = Napi::Object::New(env);
    o.Set("mapSize", (double)b.mapSize);
    o.Set("grown", b.grown);
    return o;
  }

  bool Writable(Napi::Env env) {
    if (Unusable(env, "mdb_put")) return false;
    if (readOnly_) { LmdbError(env, "mdb_put", path_, EACCES, " (opened for reading)").ThrowAsJavaScriptException(); return false; }
    return true;
  }

  Napi::Value PutBatch(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    Batch b;
    if (!Writable(env) || !Collect(info, b)) return env.Undefined();
    Write(b);
    Napi::Error err;
    auto r = Finish(env, b, &err);
    if (!err.IsEmpty()) err.ThrowAsJavaScriptException();
    return r;
  }

  // putBatch on libuv's pool, so that decoding goes on while LMDB writes. The environment is busy
  // (every other call throws) until the promise settles; keys and values are held until then.
  class PutBatchWorker : public Napi::AsyncWorker {
   public:
    PutBatchWorker(const Napi::CallbackInfo& info, LmdbEnv* owner)
        : Napi::AsyncWorker(info.Env()), deferred_(Napi::Promise::Deferred::New(info.Env())), owner_(owner) {
      self_ = Napi::Persistent(info.This().As<Napi::Object>());
      keys_ = Napi::Persistent(info[0].As<Napi::Object>());
      values_ = Napi::Persistent(info[1].As<Napi::Object>());
    }
    Batch batch;
    Napi::Promise Promise() const { return deferred_.Promise(); }
    void Execute() override { owner_->Write(batch); }
    void OnOK() override {
      owner_->busy_ = false;
      Napi::Error err;
      auto r = owner_->Finish(Env(), batch, &err);
      if (err.IsEmpty()) deferred_.Resolve(r);
      else deferred_.Reject(err.Value());
    }

   private:
    Napi::Promise::Deferred deferred_;
    LmdbEnv* owner_;
    Napi::ObjectReference self_, keys_, values_;
  };

  Napi::Value PutBatchAsync(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!Writable(env)) return env.Undefined();
    auto* job = new PutBatchWorker(info, this);
    if (!Collect(info, job->batch)) {
      delete job;
      return env.Undefined();
    }
    auto promise = job->Promise();
    busy_ = true;
    job->Queue();  // deletes itself when done
    return promise;
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) {
      Napi::Error::New(info.Env(), "LMDB " + path_ + ": close while putBatchAsync is writing").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown();

  MDB_env* env_ = nullptr;
  std::string path_;
  std::string damaged_;  // why the environment was poisoned; empty while it is sound
  unsigned psize_ = 0;
  bool readOnly_ = false, noLock_ = false;
  bool busy_ = false;  // a putBatchAsync is writing
  std::unordered_set<LmdbCursor*> cursors_;
};

class LmdbCursor : public Napi::ObjectWrap<LmdbCursor> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LmdbCursor", {
      InstanceMethod<&LmdbCursor::First>("first"),
      InstanceMethod<&LmdbCursor::Next>("next"),
      InstanceMethod<&LmdbCursor::Key>("key"),
      InstanceMethod<&LmdbCursor::Value>("value"),
      InstanceMethod<&LmdbCursor::ReadBatch>("readBatch"),
      InstanceMethod<&LmdbCursor::CloseJs>("close"),
    });
  }

  explicit LmdbCursor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LmdbCursor>(info) {
    auto env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "LmdbCursor(env)").ThrowAsJavaScriptException();
      return;
    }
    auto envObj = info[0].As<Napi::Object>();
    LmdbEnv* e = LmdbEnv::Unwrap(envObj);
    if (!e) return;  // Unwrap threw
    if (e->Unusable(env, "mdb_cursor_open")) return;
    MDB_txn* volatile live = nullptr;
    const char* op = "mdb_txn_begin";
    int rc = 0;
    FaultGuard g;
    if (!Guarded(g, [&] {
          MDB_txn* txn;
          rc = e->BeginTxn(MDB_RDONLY, &txn);
          if (rc != 0) return;
          live = txn;
          MDB_dbi dbi;
          op = "mdb_cursor_open";
          rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
          if (rc == 0) rc = mdb_cursor_open(txn, dbi, &cursor_);
          if (rc == 0) used_ = e->UsedBytes();
        })) {
      EndTxn(nullptr, live);
      cursor_ = nullptr;
      e->Poison(env, op, g).ThrowAsJavaScriptException();
      return;
    }
    if (rc != 0) {
      EndTxn(nullptr, live);
      cursor_ = nullptr;
      LmdbError(env, op, e->path(), rc).ThrowAsJavaScriptException();
      return;
    }
    txn_ = live;
    owner_ = e;
    ownerRef_ = Napi::Persistent(envObj);  // keeps the environment alive while the cursor is
    e->Attach(this);
  }

  ~LmdbCursor() override { Release(); }

  // Ends the transaction; called by close(), the destructor, or the environment closing (`damaged`:
  // it was poisoned, and this cursor's later calls throw that).
  void Release(const std::string& damaged = "") {
    EndTxn(cursor_, txn_);
    cursor_ = nullptr; txn_ = nullptr; valid_ = false;
    if (!damaged.empty()) { damaged_ = damaged; path_ = owner_ ? owner_->path() : path_; }
    if (owner_) { owner_->Detach(this); owner_ = nullptr; }
    if (!ownerRef_.IsEmpty()) ownerRef_.Reset();
  }

 private:
  // The error of a closed cursor (or of its poisoned environment); false when it is usable.
  bool Closed(Napi::Env env, const char* op) {
    if (cursor_) return false;
    if (!damaged_.empty()) DamagedError(env, op, path_, damaged_).ThrowAsJavaScriptException();
    else Napi::Error::New(env, "LMDB cursor is closed").ThrowAsJavaScriptException();
    return true;
  }

  // A fault or assertion in one of this cursor's regions: poisons the environment (which releases
  // this cursor) and returns the error to throw.
  Napi::Error Fault(Napi::Env env, const char* op, const FaultGuard& g) {
    valid_ = false;
    return owner_->Poison(env, op, g);
  }

  // A record larger than the pages in use: its length was damaged.
  bool TooLarge(size_t size) const { return size > used_ || size > (size_t)INT32_MAX; }

  Napi::Value Seek(const Napi::CallbackInfo& info, MDB_cursor_op op) {
    auto env = info.Env();
    if (Closed(env, "mdb_cursor_get")) return env.Undefined();
    int rc = 0;
    FaultGuard g;
    if (!Guarded(g, [&] { rc = mdb_cursor_get(cursor_, &key_, &value_, op); })) {
      Fault(env, "mdb_cursor_get", g).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (rc == MDB_NOTFOUND) { valid_ = false; return Napi::Boolean::New(env, false); }
    if (rc != 0) {
      valid_ = false;
      LmdbError(env, "mdb_cursor_get", owner_->path(), rc).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    valid_ = true;
    return Napi::Boolean::New(env, true);
  }
  Napi::Value First(const Napi::CallbackInfo& info) { return Seek(info, MDB_FIRST); }
  Napi::Value Next(const Napi::CallbackInfo& info) { return Seek(info, MDB_NEXT); }  // unpositioned: the first

  Napi::Value Copy(const Napi::CallbackInfo& info, const MDB_val& v) {
    auto env = info.Env();
    if (Closed(env, "mdb_cursor_get")) return env.Undefined();
    if (!valid_) { Napi::Error::New(env, "LMDB cursor is not on a record").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (TooLarge(v.mv_size)) {
      DamagedError(env, "mdb_cursor_get", owner_->path(), "a record of " + std::to_string(v.mv_size) +
                   " bytes, larger than the " + std::to_string(used_) + " bytes in use").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto buf = Napi::Buffer<uint8_t>::New(env, v.mv_size);
    uint8_t* const dst = buf.Data();
    FaultGuard g;
    if (!Guarded(g, [&] { std::memcpy(dst, v.mv_data, v.mv_size); })) {
      Fault(env, "mdb_cursor_get", g).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return buf;
  }
  Napi::Value Key(const Napi::CallbackInfo& info) { return Copy(info, key_); }
  Napi::Value Value(const Napi::CallbackInfo& info) { return Copy(info, value_); }

  // readBatch(max, maxBytes) -> { buf: Buffer, ends: Int32Array } | null: the current record and the
  // ones after it (at most `max` records, and past `maxBytes` only for the first) copied into one
  // buffer as key, value, key, value...; ends[2i] ends record i's key, ends[2i + 1] its value. The
  // cursor stays on the last record copied. null when the cursor is not on a record.
  // Two guarded regions: the walk (records' places, valid for the read transaction), then the copy.
  Napi::Value ReadBatch(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (Closed(env, "mdb_cursor_get")) return env.Undefined();
    if (!valid_) return env.Null();
    const int64_t max = std::min<int64_t>(std::max<int64_t>(info[0].As<Napi::Number>().Int64Value(), 1), 1 << 16);
    const int64_t maxBytes = info[1].As<Napi::Number>().Int64Value();
    std::vector<MDB_val> places(2 * max);  // sized before the region: nothing in it allocates
    MDB_val* const recs = places.data();
    size_t count = 0;  // MDB_vals filled: 2 per record
    int64_t bytes = 0;
    int rc = 0;
    size_t tooLarge = 0;
    FaultGuard g;
    if (!Guarded(g, [&] {
          recs[0] = key_;
          recs[1] = value_;
          count = 2;
          if (TooLarge(key_.mv_size + value_.mv_size)) { tooLarge = key_.mv_size + value_.mv_size; return; }
          bytes = key_.mv_size + value_.mv_size;
          while ((int64_t)count / 2 < max) {
            MDB_val k, v;
            rc = mdb_cursor_get(cursor_, &k, &v, MDB_NEXT);
            if (rc == MDB_NOTFOUND) { rc = 0; break; }
            if (rc != 0) return;
            if (TooLarge(k.mv_size + v.mv_size)) { tooLarge = k.mv_size + v.mv_size; return; }
            if (bytes + (int64_t)(k.mv_size + v.mv_size) > maxBytes) {
              // back onto the last record copied: the next one goes in the next batch
              rc = mdb_cursor_get(cursor_, &k, &v, MDB_PREV);
              return;
            }
            recs[count++] = k;
            recs[count++] = v;
            bytes += k.mv_size + v.mv_size;
          }
        })) {
      Fault(env, "mdb_cursor_get", g).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (tooLarge) {
      valid_ = false;
      DamagedError(env, "mdb_cursor_get", owner_->path(), "a record of " + std::to_string(tooLarge) +
                   " bytes, larger than the " + std::to_string(used_) + " bytes in use").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (rc != 0 || bytes > (int64_t)INT32_MAX) {
      valid_ = false;
      LmdbError(env, "mdb_cursor_get", owner_->path(), rc ? rc : MDB_CORRUPTED).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    key_ = recs[count - 2];
    value_ = recs[count - 1];
    auto buf = Napi::Buffer<uint8_t>::New(env, (size_t)bytes);
    auto ends = Napi::Int32Array::New(env, count);
    uint8_t* const dst = buf.Data();
    int32_t* const end = ends.Data();
    if (!Guarded(g, [&] {
          for (size_t r = 0, at = 0; r < count; r++) {
            std::memcpy(dst + at, recs[r].mv_data, recs[r].mv_size);
            at += recs[r].mv_size;
            end[r] = (int32_t)at;
          }
        })) {
      Fault(env, "mdb_cursor_get", g).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto out = Napi::Object::New(env);
    out.Set("buf", buf);
    out.Set("ends", ends);
    return out;
  }

  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{0, nullptr}, value_{0, nullptr};
  bool valid_ = false;
  size_t used_ = 0;  // bytes of data.mdb in use when the transaction began
  LmdbEnv* owner_ = nullptr;
  Napi::ObjectReference ownerRef_;
  std::string damaged_, path_;  // after the environment was poisoned: why, and its path
};

Napi::Error LmdbEnv::Poison(Napi::Env env, const std::string& op, const FaultGuard& g) {
  if (damaged_.empty()) damaged_ = FaultReason(g, env_, psize_);
  const std::string why = damaged_;
  while (!cursors_.empty()) (*cursors_.begin())->Release(why);
  Shutdown();
  return DamagedError(env, op, path_, why);
}

void LmdbEnv::Shutdown() {
  // Cursors first: their read transactions must end before the environment does.
  while (!cursors_.empty()) (*cursors_.begin())->Release(damaged_);
  if (env_) {
    FaultGuard g;
    Guarded(g, [&] { mdb_env_close(env_); });
    env_ = nullptr;
  }
}

}  // namespace

void InitLmdb(Napi::Env env, Napi::Object exports) {
  InstallFaultHandlers();
  exports.Set("LmdbEnv", LmdbEnv::Define(env));
  exports.Set("LmdbCursor", LmdbCursor::Define(env));
  int major, minor, patch;
  mdb_version(&major, &minor, &patch);
  exports.Set("lmdbVersion", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
}
