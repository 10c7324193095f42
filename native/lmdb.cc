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
// code), lmdbMessage (mdb_strerror), op and path.
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

#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

Napi::Error LmdbError(Napi::Env env, const std::string& op, const std::string& path, int rc,
                      const std::string& extra = "") {
  const char* msg = mdb_strerror(rc);
  auto e = Napi::Error::New(env, op + " " + path + ": " + msg + extra);
  e.Set("code", Napi::Number::New(env, rc));
  e.Set("lmdbMessage", Napi::String::New(env, msg));
  e.Set("op", Napi::String::New(env, op));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

bool HasWriteBit(const struct stat& st) { return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0; }

// The database's files say "read-only": open without touching lock.mdb.
bool MarkedReadOnly(const std::string& dir) {
  struct stat st;
  if (stat((dir + "/lock.mdb").c_str(), &st) == 0) return !HasWriteBit(st);
  if (stat(dir.c_str(), &st) == 0) return !HasWriteBit(st);
  return false;
}

class LmdbCursor;

class LmdbEnv : public Napi::ObjectWrap<LmdbEnv> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LmdbEnv", {
      InstanceMethod<&LmdbEnv::Stat>("stat"),
      InstanceMethod<&LmdbEnv::PutBatch>("putBatch"),
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
    if (rc == EACCES && readOnly_ && !(flags & MDB_NOLOCK)) {
      flags |= MDB_NOLOCK;  // Caffe's ALLOW_LMDB_NOLOCK fallback
      rc = Open(flags, 0);
    }
    if (rc != 0) { LmdbError(env, "mdb_env_open", path_, rc).ThrowAsJavaScriptException(); return; }
    noLock_ = (flags & MDB_NOLOCK) != 0;
  }

  ~LmdbEnv() override { Shutdown(); }

  MDB_env* handle() const { return env_; }
  const std::string& path() const { return path_; }
  void Attach(LmdbCursor* c) { cursors_.insert(c); }
  void Detach(LmdbCursor* c) { cursors_.erase(c); }

  // Another process grew the map: adopt its size (LMDB's documented answer to MDB_MAP_RESIZED).
  int BeginTxn(unsigned flags, MDB_txn** txn) {
    int rc = mdb_txn_begin(env_, nullptr, flags, txn);
    if (rc == MDB_MAP_RESIZED && cursors_.empty()) {
      rc = mdb_env_set_mapsize(env_, 0);
      if (rc == 0) rc = mdb_txn_begin(env_, nullptr, flags, txn);
    }
    return rc;
  }

 private:
  int Open(unsigned flags, size_t mapSize) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) { env_ = nullptr; return rc; }
    if (mapSize > 0) rc = mdb_env_set_mapsize(env_, mapSize);
    if (rc == 0) rc = mdb_env_open(env_, path_.c_str(), flags, 0664);
    if (rc != 0) { mdb_env_close(env_); env_ = nullptr; }
    return rc;
  }

  bool Check(Napi::Env env) {
    if (env_) return true;
    Napi::Error::New(env, "LMDB " + path_ + " is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Stat(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!Check(env)) return env.Undefined();
    MDB_txn* txn;
    int rc = BeginTxn(MDB_RDONLY, &txn);
    if (rc != 0) { LmdbError(env, "mdb_txn_begin", path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
    MDB_dbi dbi;
    MDB_stat st;
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (rc == 0) rc = mdb_stat(txn, dbi, &st);
    mdb_txn_abort(txn);
    if (rc != 0) { LmdbError(env, "mdb_stat", path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
    MDB_envinfo ei;
    mdb_env_info(env_, &ei);
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
  int Grow(size_t need) {
    MDB_envinfo ei;
    int rc = mdb_env_info(env_, &ei);
    if (rc != 0) return rc;
    MDB_stat st;
    mdb_env_stat(env_, &st);
    const size_t used = (ei.me_last_pgno + 1) * (size_t)st.ms_psize;
    size_t size = ei.me_mapsize * 2;
    if (size < used + 2 * need) size = used + 2 * need;
    const size_t unit = 1 << 20;  // whole MiB
    size = (size + unit - 1) / unit * unit;
    return mdb_env_set_mapsize(env_, size);
  }

  Napi::Value PutBatch(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (readOnly_) { LmdbError(env, "mdb_put", path_, EACCES, " (opened for reading)").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) {
      Napi::TypeError::New(env, "putBatch(keys: Buffer[], values: Uint8Array[])").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto keys = info[0].As<Napi::Array>(), values = info[1].As<Napi::Array>();
    const uint32_t n = keys.Length();
    if (values.Length() != n) {
      Napi::TypeError::New(env, "putBatch: keys and values differ in length").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::vector<MDB_val> k(n), v(n);
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value kv = keys[i], vv = values[i];
      if (!kv.IsTypedArray() || !vv.IsTypedArray()) {
        Napi::TypeError::New(env, "putBatch: keys and values must be Buffers/Uint8Arrays").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      auto ka = kv.As<Napi::Uint8Array>(), va = vv.As<Napi::Uint8Array>();
      k[i].mv_data = ka.Data(); k[i].mv_size = ka.ByteLength();
      v[i].mv_data = va.Data(); v[i].mv_size = va.ByteLength();
      bytes += k[i].mv_size + v[i].mv_size + 16;
    }
    int grown = 0;
    for (;;) {
      MDB_txn* txn;
      MDB_dbi dbi;
      int rc = BeginTxn(0, &txn);
      if (rc != 0) { LmdbError(env, "mdb_txn_begin", path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
      rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
      if (rc != 0) {
        mdb_txn_abort(txn);
        LmdbError(env, "mdb_dbi_open", path_, rc).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      uint32_t i = 0;
      for (; i < n; ++i) {
        rc = mdb_put(txn, dbi, &k[i], &v[i], 0);
        if (rc != 0) break;
      }
      if (rc == 0) {
        rc = mdb_txn_commit(txn);  // frees txn, whatever the outcome
      } else {
        mdb_txn_abort(txn);
        if (rc != MDB_MAP_FULL) {
          std::string key(static_cast<const char*>(k[i].mv_data), k[i].mv_size);
          std::string extra = " (record " + std::to_string(i) + " of the batch, key \"" +
              (key.size() > 80 ? key.substr(0, 80) + "..." : key) + "\", " + std::to_string(k[i].mv_size) +
              " bytes; LMDB keys hold at most " + std::to_string(mdb_env_get_maxkeysize(env_)) + " bytes)";
          LmdbError(env, "mdb_put", path_, rc, extra).ThrowAsJavaScriptException();
          return env.Undefined();
        }
      }
      if (rc == 0) break;
      if (rc != MDB_MAP_FULL) { LmdbError(env, "mdb_txn_commit", path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
      // MAP_FULL: nothing of the batch was written; grow the map and redo it.
      if (!cursors_.empty()) {
        LmdbError(env, "mdb_env_set_mapsize", path_, MDB_MAP_FULL,
                  " (the map must grow, which cannot happen while a cursor of this environment is open)")
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
      rc = Grow(bytes);
      if (rc != 0) { LmdbError(env, "mdb_env_set_mapsize", path_, rc).ThrowAsJavaScriptException(); return env.Undefined(); }
      ++grown;
    }
    MDB_envinfo ei;
    mdb_env_info(env_, &ei);
    auto o = Napi::Object::New(env);
    o.Set("mapSize", (double)ei.me_mapsize);
    o.Set("grown", grown);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown();

  MDB_env* env_ = nullptr;
  std::string path_;
  bool readOnly_ = false, noLock_ = false;
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
    if (!e->handle()) { Napi::Error::New(env, "LMDB " + e->path() + " is closed").ThrowAsJavaScriptException(); return; }
    int rc = e->BeginTxn(MDB_RDONLY, &txn_);
    if (rc != 0) { txn_ = nullptr; LmdbError(env, "mdb_txn_begin", e->path(), rc).ThrowAsJavaScriptException(); return; }
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn_, nullptr, 0, &dbi);
    if (rc == 0) rc = mdb_cursor_open(txn_, dbi, &cursor_);
    if (rc != 0) {
      mdb_txn_abort(txn_);
      txn_ = nullptr; cursor_ = nullptr;
      LmdbError(env, "mdb_cursor_open", e->path(), rc).ThrowAsJavaScriptException();
      return;
    }
    owner_ = e;
    ownerRef_ = Napi::Persistent(envObj);  // keeps the environment alive while the cursor is
    e->Attach(this);
  }

  ~LmdbCursor() override { Release(); }

  // Ends the transaction; called by close(), the destructor, or the environment closing.
  void Release() {
    if (cursor_) mdb_cursor_close(cursor_);
    if (txn_) mdb_txn_abort(txn_);
    cursor_ = nullptr; txn_ = nullptr; valid_ = false;
    if (owner_) { owner_->Detach(this); owner_ = nullptr; }
    if (!ownerRef_.IsEmpty()) ownerRef_.Reset();
  }

 private:
  Napi::Value Seek(const Napi::CallbackInfo& info, MDB_cursor_op op) {
    auto env = info.Env();
    if (!cursor_) { Napi::Error::New(env, "LMDB cursor is closed").ThrowAsJavaScriptException(); return env.Undefined(); }
    int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
    if (rc == MDB_NOTFOUND) { valid_ = false; return Napi::Boolean::New(env, false); }
    if (rc != 0) {
      valid_ = false;
      LmdbError(env, "mdb_cursor_get", owner_ ? owner_->path() : "", rc).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    valid_ = true;
    return Napi::Boolean::New(env, true);
  }
  Napi::Value First(const Napi::CallbackInfo& info) { return Seek(info, MDB_FIRST); }
  Napi::Value Next(const Napi::CallbackInfo& info) { return Seek(info, MDB_NEXT); }  // unpositioned: the first

  Napi::Value Copy(const Napi::CallbackInfo& info, const MDB_val& v) {
    auto env = info.Env();
    if (!valid_) { Napi::Error::New(env, "LMDB cursor is not on a record").ThrowAsJavaScriptException(); return env.Undefined(); }
    return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(v.mv_data), v.mv_size);
  }
  Napi::Value Key(const Napi::CallbackInfo& info) { return Copy(info, key_); }
  Napi::Value Value(const Napi::CallbackInfo& info) { return Copy(info, value_); }

  // readBatch(max, maxBytes) -> { buf: Buffer, ends: Int32Array } | null: the current record and the
  // ones after it (at most `max` records, and past `maxBytes` only for the first) copied into one
  // buffer as key, value, key, value...; ends[2i] ends record i's key, ends[2i + 1] its value. The
  // cursor stays on the last record copied. null when the cursor is not on a record.
  Napi::Value ReadBatch(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!cursor_) { Napi::Error::New(env, "LMDB cursor is closed").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (!valid_) return env.Null();
    const int64_t max = info[0].As<Napi::Number>().Int64Value(), maxBytes = info[1].As<Napi::Number>().Int64Value();
    // first the records' places (valid for the read transaction), then one copy into the Buffer
    std::vector<MDB_val> recs{key_, value_};
    int64_t bytes = key_.mv_size + value_.mv_size;
    while ((int64_t)recs.size() / 2 < max) {
      MDB_val k, v;
      int rc = mdb_cursor_get(cursor_, &k, &v, MDB_NEXT);
      if (rc == MDB_NOTFOUND) break;
      if (rc == 0 && bytes + (int64_t)(k.mv_size + v.mv_size) > maxBytes) rc = mdb_cursor_get(cursor_, &k, &v, MDB_PREV);
      else if (rc == 0) { recs.push_back(k); recs.push_back(v); bytes += k.mv_size + v.mv_size; continue; }
      if (rc != 0) {
        LmdbError(env, "mdb_cursor_get", owner_ ? owner_->path() : "", rc).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      break;  // stepped back onto the last record copied: the next one goes in the next batch
    }
    key_ = recs[recs.size() - 2];
    value_ = recs.back();
    auto buf = Napi::Buffer<uint8_t>::New(env, (size_t)bytes);
    auto ends = Napi::Int32Array::New(env, recs.size());
    uint8_t* dst = buf.Data();
    for (size_t r = 0, at = 0; r < recs.size(); r++) {
      std::memcpy(dst + at, recs[r].mv_data, recs[r].mv_size);
      at += recs[r].mv_size;
      ends[r] = (int32_t)at;
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
  LmdbEnv* owner_ = nullptr;
  Napi::ObjectReference ownerRef_;
};

void LmdbEnv::Shutdown() {
  // Cursors first: their read transactions must end before the environment does.
  while (!cursors_.empty()) (*cursors_.begin())->Release();
  if (env_) { mdb_env_close(env_); env_ = nullptr; }
}

}  // namespace

void InitLmdb(Napi::Env env, Napi::Object exports) {
  exports.Set("LmdbEnv", LmdbEnv::Define(env));
  exports.Set("LmdbCursor", LmdbCursor::Define(env));
  int major, minor, patch;
  mdb_version(&major, &minor, &patch);
  exports.Set("lmdbVersion", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
}
