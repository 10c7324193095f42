// Pooling and LRN kernels (Caffe's exact semantics), OpenMP-parallel (filled in by the engine work).
#include <napi.h>

void InitPool(Napi::Env env, Napi::Object exports) { (void)env; (void)exports; }
