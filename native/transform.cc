// The hot loop of Caffe's DataTransformer::Transform(Datum) for uint8 pixels, in float as Caffe
// (no fused multiply-add: the build targets x86-64-v2): out = (pixel - mean) * scale over the crop
// window, mirrored when asked. The checks, crop offsets and mirror draws stay in data_transformer.ts.
#include <napi.h>

namespace {

// transformUint8(src: Uint8Array, mean: Float32Array|null, meanValues: Float32Array|null, scale, out,
//                geo: Int32Array [offset, channels, datumH, datumW, height, width, hOff, wOff, mirror])
// (the geometry in one typed array: a call per datum, so few arguments to convert)
Napi::Value TransformUint8(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto srcA = info[0].As<Napi::Uint8Array>();
  const float* mean = info[1].IsNull() ? nullptr : info[1].As<Napi::Float32Array>().Data();
  const float* mv = info[2].IsNull() ? nullptr : info[2].As<Napi::Float32Array>().Data();
  const float scale = info[3].As<Napi::Number>().FloatValue();
  auto outA = info[4].As<Napi::Float32Array>();
  auto geo = info[5].As<Napi::Int32Array>();
  if (geo.ElementLength() < 9) {
    Napi::RangeError::New(env, "transformUint8: geometry needs 9 numbers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int32_t* v = geo.Data();
  const int offset = v[0], C = v[1], dh = v[2], dw = v[3], H = v[4], W = v[5], hOff = v[6], wOff = v[7];
  const bool mirror = v[8] != 0;
  if ((size_t)C * dh * dw > srcA.ElementLength() || (size_t)offset + (size_t)C * H * W > outA.ElementLength() ||
      hOff + H > dh || wOff + W > dw || hOff < 0 || wOff < 0 || offset < 0) {
    Napi::RangeError::New(env, "transformUint8: geometry exceeds an array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* src = srcA.Data();
  float* out = outA.Data() + offset;
  for (int c = 0; c < C; c++) {
    for (int h = 0; h < H; h++) {
      const int in = (c * dh + hOff + h) * dw + wOff;
      float* row = out + (c * H + h) * W;
      const uint8_t* s = src + in;
      if (mean) {
        const float* m = mean + in;
        if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = ((float)s[w] - m[w]) * scale;
        else for (int w = 0; w < W; w++) row[w] = ((float)s[w] - m[w]) * scale;
      } else {
        const float mc = mv ? mv[c] : 0.f;
        if (mv) {
          if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = ((float)s[w] - mc) * scale;
          else for (int w = 0; w < W; w++) row[w] = ((float)s[w] - mc) * scale;
        } else {
          if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = (float)s[w] * scale;
          else for (int w = 0; w < W; w++) row[w] = (float)s[w] * scale;
        }
      }
    }
  }
  return env.Undefined();
}

}  // namespace

void InitTransform(Napi::Env env, Napi::Object exports) {
  exports.Set("transformUint8", Napi::Function::New(env, TransformUint8));
}
