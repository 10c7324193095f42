// The Datums of a database read-ahead batch (LMDB cursors copy records into one buffer: key, value,
// key, value...), parsed in one call for the data layers' common case: uint8 pixels in `data`, with
// channels, height, width and label. Anything else (float_data, encoded images, unknown fields, a
// malformed record) is marked for the general decoder (src/formats/datum_wire.ts), which decodes it or
// reports it in its one line.
//
// parseDatums(bytes: Uint8Array, ends: Int32Array, from, count, out: Int32Array)
//   record i's value is bytes[ends[2i], ends[2i + 1]); for i in [from, from + count), out[8 (i - from) ...]
//   = plain (1, else 0), channels, height, width, label, data offset (in bytes), data length, 0.
//   Varints are read as datum_wire.ts reads them (the low 32 bits as an int32; the last field wins).
#include <napi.h>

#include <cstdint>

namespace {

// one varint at p (advanced); false when it runs past end or over 10 bytes
bool Varint(const uint8_t*& p, const uint8_t* end, uint32_t* v) {
  uint32_t r = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p >= end) return false;
    const uint8_t b = *p++;
    if (shift < 32) r |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

// 1 for a plain uint8 Datum (fields 1-5 and encoded false only, data present), else 0
int32_t Parse(const uint8_t* base, const uint8_t* p, const uint8_t* end, int32_t* o) {
  int32_t c = 0, h = 0, w = 0, label = 0, at = -1, len = 0;
  while (p < end) {
    uint32_t tag, v;
    if (!Varint(p, end, &tag)) return 0;
    const uint32_t field = tag >> 3, wire = tag & 7;
    if (wire == 0 && (field == 1 || field == 2 || field == 3 || field == 5 || field == 7)) {
      if (!Varint(p, end, &v)) return 0;
      if (field == 1) c = (int32_t)v;
      else if (field == 2) h = (int32_t)v;
      else if (field == 3) w = (int32_t)v;
      else if (field == 5) label = (int32_t)v;
      else if (v != 0) return 0;  // encoded
    } else if (wire == 2 && field == 4) {
      if (!Varint(p, end, &v) || (int32_t)v < 0 || v > (uint64_t)(end - p)) return 0;
      at = (int32_t)(p - base);
      len = (int32_t)v;
      p += v;
    } else {
      return 0;  // float_data or a field the general decoder handles
    }
  }
  if (at < 0 || len == 0) return 0;
  o[1] = c, o[2] = h, o[3] = w, o[4] = label, o[5] = at, o[6] = len;
  return 1;
}

Napi::Value ParseDatums(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto bytes = info[0].As<Napi::Uint8Array>();
  auto ends = info[1].As<Napi::Int32Array>();
  const int64_t from = info[2].As<Napi::Number>().Int64Value(), count = info[3].As<Napi::Number>().Int64Value();
  auto out = info[4].As<Napi::Int32Array>();
  if (from < 0 || count < 0 || (size_t)(2 * (from + count)) > ends.ElementLength() ||
      out.ElementLength() < (size_t)(8 * count)) {
    Napi::RangeError::New(env, "parseDatums: records out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* base = bytes.Data();
  const int64_t n = (int64_t)bytes.ElementLength();
  for (int64_t i = 0; i < count; i++) {
    int32_t* o = out.Data() + 8 * i;
    const int32_t a = ends.Data()[2 * (from + i)], b = ends.Data()[2 * (from + i) + 1];
    o[0] = a >= 0 && a <= b && b <= n ? Parse(base, base + a, base + b, o) : 0;
    o[7] = 0;
  }
  return env.Undefined();
}

}  // namespace

void InitDatum(Napi::Env env, Napi::Object exports) {
  exports.Set("parseDatums", Napi::Function::New(env, ParseDatums));
}
