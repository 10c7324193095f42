// A guard that turns a memory fault (SIGBUS, SIGSEGV) or a liblmdb assertion inside a region of native
// code into a return value, for code that reads a memory-mapped file it cannot trust (lmdb.cc).
//
// Why: liblmdb reads its data file through a memory map and trusts every page. A file truncated (before
// or after it was opened) faults with SIGBUS on the first page past its end; a damaged page can send a
// pointer outside the map (SIGSEGV) or fail one of liblmdb's assertions, which abort(). None of these
// can be checked beforehand without copying every page, so the reads are run under a guard instead:
//
//   FaultGuard g;
//   if (!Guarded(g, [&] { ...liblmdb calls and memcpys from the map, plain C data only... })) {
//     ...g.sig (SIGBUS, SIGSEGV, or SIGABRT for an assertion), g.addr, g.assertion...
//   }
//
// Mechanism: sigsetjmp arms a jump buffer held by a thread-local pointer; process-wide SIGBUS/SIGSEGV
// handlers, installed once (InstallFaultHandlers), siglongjmp to it when the faulting thread is armed and
// hand every other fault to the handler that was there before (Node's WebAssembly trap handler, or the
// default action), so nothing changes outside guarded regions. liblmdb's assertions are caught with its
// own hook, mdb_env_set_assert (honoured by Debian's liblmdb, built with assertions), whose callback
// jumps the same way instead of returning to abort(). Cost: one sigsetjmp (no system call: the signal
// mask is not saved; the handler unblocks its signal itself) and two thread-local stores per region;
// callers arm it once per batch of records, never per record.
//
// Rules for the region: it must not allocate or build C++ objects whose state matters after a jump
// (a jump skips destructors and may leave register-cached locals stale), nor call into N-API/V8. After
// a jump the data structures liblmdb was walking are suspect: the caller treats its environment as
// poisoned (closes it and reports the database as damaged).
#pragma once

#include <setjmp.h>
#include <signal.h>

#include <atomic>

struct FaultGuard {
  sigjmp_buf jb;
  int sig = 0;                // SIGBUS, SIGSEGV, or SIGABRT (a liblmdb assertion)
  const char* addr = nullptr;  // the faulting address (signals)
  char assertion[320] = {0};  // liblmdb's assertion text
};

namespace fault_guard {
extern thread_local FaultGuard* armed;  // this thread's guard, while in a region
extern std::atomic<int> armedCount;    // regions armed in all threads (the handler's fast exit)
}  // namespace fault_guard

/** Installs the SIGBUS/SIGSEGV handlers (once per process; later calls do nothing). */
void InstallFaultHandlers();

/** liblmdb's assert callback (MDB_assert_func): jumps out of an armed region, else returns (abort). */
struct MDB_env;
void OnLmdbAssert(MDB_env* env, const char* msg);

/** Runs `f` under `g`: true when it returned, false when a fault or assertion jumped out of it. */
template <class F>
__attribute__((noinline)) bool Guarded(FaultGuard& g, F&& f) {
  FaultGuard* const outer = fault_guard::armed;  // not modified after sigsetjmp: valid after a jump
  if (sigsetjmp(g.jb, 0) != 0) {
    fault_guard::armed = outer;
    fault_guard::armedCount.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  fault_guard::armedCount.fetch_add(1, std::memory_order_relaxed);
  fault_guard::armed = &g;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  f();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  fault_guard::armed = outer;
  fault_guard::armedCount.fetch_sub(1, std::memory_order_relaxed);
  return true;
}
