// Convolution primitives over oneDNN (filled in by the engine work).
#include <napi.h>

void InitConv(Napi::Env env, Napi::Object exports) { (void)env; (void)exports; }
