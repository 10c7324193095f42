// The hot loop of Caffe's DataTransformer::Transform(Datum) for uint8 pixels, in float as Caffe
// (no fused multiply-add: the build targets x86-64-v2): out = (pixel - mean) * scale over the crop
// window, mirrored when asked. The checks, crop offsets and mirror draws stay in data_transformer.ts.
// Geometry of one item, 9 int32s: offset (into out), channels, datumH, datumW, height, width, hOff,
// wOff, mirror (0/1), filled by setItemGeometry (src/data/transform_item.ts).
// The index mapping is transformItem's (src/data/transform_item.ts) for CHW sources: out element (c, h, w)
// at offset + (c * H + h) * W + (mirror ? W - 1 - w : w) = (src[i] - mean[i] or mv[c]) * scale with
// i = (c * datumH + hOff + h) * datumW + wOff + w. The TypeScript loop serves float_data, images and
// blobs; this one uint8 datums (speed). test/data/data_transformer.test.ts checks both give the same bytes.
#include <napi.h>

#include <utility>
#include <vector>

namespace {

// false when the geometry does not fit the arrays
bool TransformOne(const uint8_t* src, size_t srcLen, const float* mean, const float* mv, float scale, float* outBase,
                  size_t outLen, const int32_t* v) {
  const int offset = v[0], C = v[1], dh = v[2], dw = v[3], H = v[4], W = v[5], hOff = v[6], wOff = v[7];
  const bool mirror = v[8] != 0;
  if (C < 0 || dh < 0 || dw < 0 || H < 0 || W < 0 || (size_t)C * dh * dw > srcLen ||
      (size_t)offset + (size_t)C * H * W > outLen || hOff + H > dh || wOff + W > dw || hOff < 0 || wOff < 0 || offset < 0)
    return false;
  float* out = outBase + offset;
  if (W == dw && !mirror) {
    // full rows, not mirrored: each channel's H rows are one run of H * W pixels
    for (int c = 0; c < C; c++) {
      const int in = (c * dh + hOff) * dw, len = H * W;
      const uint8_t* s = src + in;
      float* o = out + c * len;
      const float mc = mv ? mv[c] : 0.f;
      if (mean) {
        const float* m = mean + in;
        for (int k = 0; k < len; k++) o[k] = ((float)s[k] - m[k]) * scale;
      } else if (mv) {
        for (int k = 0; k < len; k++) o[k] = ((float)s[k] - mc) * scale;
      } else {
        for (int k = 0; k < len; k++) o[k] = (float)s[k] * scale;
      }
    }
    return true;
  }
  for (int c = 0; c < C; c++) {
    const float mc = mv ? mv[c] : 0.f;
    for (int h = 0; h < H; h++) {
      const int in = (c * dh + hOff + h) * dw + wOff;
      float* row = out + (c * H + h) * W;
      const uint8_t* s = src + in;
      if (mean) {
        const float* m = mean + in;
        if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = ((float)s[w] - m[w]) * scale;
        else for (int w = 0; w < W; w++) row[w] = ((float)s[w] - m[w]) * scale;
      } else if (mv) {
        if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = ((float)s[w] - mc) * scale;
        else for (int w = 0; w < W; w++) row[w] = ((float)s[w] - mc) * scale;
      } else {
        if (mirror) for (int w = 0; w < W; w++) row[W - 1 - w] = (float)s[w] * scale;
        else for (int w = 0; w < W; w++) row[w] = (float)s[w] * scale;
      }
    }
  }
  return true;
}

const float* OptionalFloats(const Napi::Value& v) { return v.IsNull() ? nullptr : v.As<Napi::Float32Array>().Data(); }

// transformUint8(src: Uint8Array, mean: Float32Array|null, meanValues: Float32Array|null, scale, out, geo: Int32Array)
Napi::Value TransformUint8(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>();
  auto out = info[4].As<Napi::Float32Array>();
  auto geo = info[5].As<Napi::Int32Array>();
  if (geo.ElementLength() < 9 ||
      !TransformOne(src.Data(), src.ElementLength(), OptionalFloats(info[1]), OptionalFloats(info[2]),
                    info[3].As<Napi::Number>().FloatValue(), out.Data(), out.ElementLength(), geo.Data()))
    Napi::RangeError::New(env, "transformUint8: geometry exceeds an array").ThrowAsJavaScriptException();
  return env.Undefined();
}

// transformUint8Batch(bufs: Uint8Array[], geos: Int32Array (12 per item: the 9 numbers of the
// geometry, then the index into bufs, the byte offset and the byte length of the item's pixels),
// items, mean, meanValues, scale, out): the items of one batch in one call
Napi::Value TransformUint8Batch(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto arr = info[0].As<Napi::Array>();
  auto geos = info[1].As<Napi::Int32Array>();
  const uint32_t n = info[2].As<Napi::Number>().Uint32Value();
  const float* mean = OptionalFloats(info[3]);
  const float* mv = OptionalFloats(info[4]);
  const float scale = info[5].As<Napi::Number>().FloatValue();
  auto out = info[6].As<Napi::Float32Array>();
  std::vector<std::pair<const uint8_t*, size_t>> bufs(arr.Length());
  for (uint32_t b = 0; b < arr.Length(); b++) {
    auto a = arr.Get(b).As<Napi::Uint8Array>();
    bufs[b] = {a.Data(), a.ElementLength()};
  }
  if (geos.ElementLength() < (size_t)n * 12) {
    Napi::RangeError::New(env, "transformUint8Batch: 12 geometry numbers per item").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  for (uint32_t i = 0; i < n; i++) {
    const int32_t* g = geos.Data() + 12 * i;
    const int32_t b = g[9], at = g[10], len = g[11];
    if (b < 0 || (size_t)b >= bufs.size() || at < 0 || len < 0 || (size_t)at + len > bufs[b].second ||
        !TransformOne(bufs[b].first + at, len, mean, mv, scale, out.Data(), out.ElementLength(), g)) {
      Napi::RangeError::New(env, "transformUint8Batch: geometry exceeds an array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  return env.Undefined();
}

}  // namespace

void InitTransform(Napi::Env env, Napi::Object exports) {
  exports.Set("transformUint8", Napi::Function::New(env, TransformUint8));
  exports.Set("transformUint8Batch", Napi::Function::New(env, TransformUint8Batch));
}
