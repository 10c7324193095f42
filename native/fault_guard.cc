// The handlers behind FaultGuard (fault_guard.h).
#include "fault_guard.h"

#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <mutex>

namespace fault_guard {
thread_local FaultGuard* armed = nullptr;
std::atomic<int> armedCount{0};
}  // namespace fault_guard

namespace {

struct sigaction previousBus, previousSegv;

// Jumps back into the armed region's Guarded() (never returns).
[[noreturn]] void Jump(FaultGuard* g) {
  fault_guard::armed = nullptr;
  siglongjmp(g->jb, 1);
}

void OnFault(int sig, siginfo_t* info, void* context) {
  // Outside every region no thread-local is touched (its first use in a thread may allocate).
  FaultGuard* g = fault_guard::armedCount.load(std::memory_order_relaxed) > 0 ? fault_guard::armed : nullptr;
  if (g) {
    g->sig = sig;
    g->addr = static_cast<const char*>(info->si_addr);
    sigset_t set;  // the jump leaves the handler: unblock its signal (the mask is not restored by it)
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    Jump(g);
  }
  // Not ours: the previous handler, or the default action (dies of the signal, as without us).
  const struct sigaction& prev = sig == SIGBUS ? previousBus : previousSegv;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
    prev.sa_sigaction(sig, info, context);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  } else {
    signal(sig, SIG_DFL);
    raise(sig);  // pending until the handler returns; a fault would also recur on return
  }
}

}  // namespace

void InstallFaultHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = OnFault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &previousBus);
    sigaction(SIGSEGV, &sa, &previousSegv);
  });
}

void OnLmdbAssert(MDB_env*, const char* msg) {
  FaultGuard* g = fault_guard::armed;
  if (!g) return;  // outside a region liblmdb prints the assertion and aborts, as it would without us
  g->sig = SIGABRT;
  std::snprintf(g->assertion, sizeof g->assertion, "%s", msg);
  Jump(g);
}
