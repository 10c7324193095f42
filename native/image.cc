// Image kernels of Caffe's ReadImageToCVMat / CVMatToDatum path, for convert_imageset and the image
// layers (src/io/image.ts, resize.ts, datum.ts):
//
//   jpegDecode(buf, gray) -> { width, height, channels, data } | null
//       a JPEG decoded by the system libjpeg (libjpeg-turbo: the library OpenCV's imread decodes with),
//       set up as cv::imread sets it up: default DCT (ISLOW) and fancy upsampling, output BGR
//       (JCS_EXT_BGR) or, for IMREAD_GRAYSCALE, the luma plane (JCS_GRAYSCALE). null when the general
//       decoder (sharp) must take it: no libjpeg at run time or build time, CMYK/YCCK, an EXIF
//       orientation other than 1 (OpenCV rotates), or any libjpeg warning or error (a damaged file).
//       libjpeg is found at run time (dlopen), so the addon builds and runs without it.
//   resizeLinear(src, channels, height, width, dst, dstHeight, dstWidth)
//       cv::resize INTER_LINEAR on 8-bit HWC pixels, bit-exact with OpenCV 4.5 (the maths: resize.ts).
//   hwcToChw(src, channels, height, width, dst, dstOffset)
//       CVMatToDatum's reordering: dst[offset + (c * H + h) * W + w] = src[(h * W + w) * C + c].
//   imageDatum(src, channels, height, width, label?) -> Uint8Array
//       CVMatToDatum (+ set_label) serialized as protobuf does it: channels, height, width, data (the
//       pixels reordered CHW straight into the message), label, encoded = false, in field order.
//   jpegFileDatum(path, gray, height, width, label, reuse?) -> Promise<{ bytes, dims } | null>
//       ReadImageToDatum of a JPEG file on the libuv thread pool: read, jpegDecode, resizeLinear when
//       both sizes are > 0, imageDatum (dims: channels * height * width); no JavaScript runs per
//       image. bytes: a view of `reuse` when it is large enough (a caller recycling the buffers of
//       written Datums: fresh pages fault, which costs as much as resizing into them), else new. null: not a JPEG, or a file the general path must take (jpegDecode's nulls, an
//       unreadable file: that path reports it).
#include <napi.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#if __has_include(<jpeglib.h>)
#include <jpeglib.h>
#if defined(JCS_EXTENSIONS) && (JPEG_LIB_VERSION == 62 || JPEG_LIB_VERSION == 80)
#define CAFFETS_JPEG 1
#endif
#endif

namespace {

#ifdef CAFFETS_JPEG

// The libjpeg entry points used, resolved from the soname matching the header's ABI.
struct Jpeg {
  decltype(&jpeg_std_error) stdError = nullptr;
  decltype(&jpeg_CreateDecompress) create = nullptr;
  decltype(&jpeg_mem_src) memSrc = nullptr;
  decltype(&jpeg_read_header) readHeader = nullptr;
  decltype(&jpeg_start_decompress) start = nullptr;
  decltype(&jpeg_read_scanlines) readScanlines = nullptr;
  decltype(&jpeg_finish_decompress) finish = nullptr;
  decltype(&jpeg_destroy_decompress) destroy = nullptr;
};

const Jpeg* Lib() {
  static const Jpeg* lib = []() -> const Jpeg* {
    void* h = dlopen(JPEG_LIB_VERSION == 62 ? "libjpeg.so.62" : "libjpeg.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h) return nullptr;
    static Jpeg j;
    j.stdError = (decltype(j.stdError))dlsym(h, "jpeg_std_error");
    j.create = (decltype(j.create))dlsym(h, "jpeg_CreateDecompress");
    j.memSrc = (decltype(j.memSrc))dlsym(h, "jpeg_mem_src");
    j.readHeader = (decltype(j.readHeader))dlsym(h, "jpeg_read_header");
    j.start = (decltype(j.start))dlsym(h, "jpeg_start_decompress");
    j.readScanlines = (decltype(j.readScanlines))dlsym(h, "jpeg_read_scanlines");
    j.finish = (decltype(j.finish))dlsym(h, "jpeg_finish_decompress");
    j.destroy = (decltype(j.destroy))dlsym(h, "jpeg_destroy_decompress");
    if (!j.stdError || !j.create || !j.memSrc || !j.readHeader || !j.start || !j.readScanlines || !j.finish ||
        !j.destroy)
      return nullptr;
    return &j;
  }();
  return lib;
}

// Errors jump back; a warning (corrupt data that libjpeg decodes around) only marks the image.
struct ErrorMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  bool warned = false;
};
void OnError(j_common_ptr c) { longjmp(reinterpret_cast<ErrorMgr*>(c->err)->jump, 1); }
void OnMessage(j_common_ptr c, int level) {
  if (level < 0) reinterpret_cast<ErrorMgr*>(c->err)->warned = true;
}
void NoOutput(j_common_ptr) {}

#endif

uint32_t Read16(const uint8_t* p, bool le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
uint32_t Read32(const uint8_t* p, bool le) {
  return le ? p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24 : (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

// Whether the EXIF data among the markers before the scan leave the image as stored: no EXIF, or
// IFD0's Orientation (0x0112) absent or 1. Anything not understood counts as a rotation.
bool UprightExif(const uint8_t* b, size_t n) {
  size_t p = 2;
  while (p + 4 <= n && b[p] == 0xff) {
    const int m = b[p + 1];
    if (m == 0xda || m == 0xd9) return true;  // start of scan, end of image
    const size_t len = Read16(b + p + 2, false);
    if (len < 2 || p + 2 + len > n) return false;
    const uint8_t* s = b + p + 4;
    const size_t sl = len - 2;
    if (m == 0xe1 && sl >= 6 && std::memcmp(s, "Exif\0\0", 6) == 0) {
      const uint8_t* t = s + 6;
      const size_t tl = sl - 6;
      if (tl < 8) return false;
      const bool le = t[0] == 'I' && t[1] == 'I';
      if (!le && !(t[0] == 'M' && t[1] == 'M')) return false;
      const size_t ifd = Read32(t + 4, le);
      if (ifd + 2 > tl) return false;
      const size_t count = Read16(t + ifd, le);
      for (size_t i = 0; i < count; i++) {
        const size_t e = ifd + 2 + 12 * i;
        if (e + 12 > tl) return false;
        if (Read16(t + e, le) == 0x0112) return Read16(t + e + 8, le) == 1;
      }
    }
    p += 2 + len;
  }
  return true;
}

#ifdef CAFFETS_JPEG
// Decodes a JPEG into alloc(width * height * channels) (HWC); false when this path does not take it.
// Only plain data lives across the jump.
template <class Alloc>
bool DecodeJpeg(const uint8_t* bytes, size_t n, bool gray, int& W, int& H, int& C, Alloc&& alloc) {
  const Jpeg* L = Lib();
  if (!L || n < 4 || bytes[0] != 0xff || bytes[1] != 0xd8 || !UprightExif(bytes, n)) return false;
  jpeg_decompress_struct cinfo;
  ErrorMgr err;
  cinfo.err = L->stdError(&err.pub);
  err.pub.error_exit = OnError;
  err.pub.emit_message = OnMessage;
  err.pub.output_message = NoOutput;
  volatile bool created = false;
  if (setjmp(err.jump)) {
    if (created) L->destroy(&cinfo);
    return false;
  }
  L->create(&cinfo, JPEG_LIB_VERSION, sizeof(cinfo));
  created = true;
  L->memSrc(&cinfo, bytes, (unsigned long)n);
  L->readHeader(&cinfo, TRUE);
  if (cinfo.num_components == 4) {  // CMYK / YCCK: OpenCV converts those itself
    L->destroy(&cinfo);
    return false;
  }
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
  L->start(&cinfo);
  const size_t w = cinfo.output_width, h = cinfo.output_height, c = cinfo.output_components;
  uint8_t* px = alloc(w * h * c);
  static thread_local std::vector<JSAMPROW> rows;
  rows.resize(h);
  for (size_t y = 0; y < h; y++) rows[y] = px + y * w * c;
  while (cinfo.output_scanline < h)
    L->readScanlines(&cinfo, rows.data() + cinfo.output_scanline, (JDIMENSION)(h - cinfo.output_scanline));
  L->finish(&cinfo);
  L->destroy(&cinfo);
  created = false;
  W = (int)w, H = (int)h, C = (int)c;
  return !err.warned;
}
#endif

Napi::Value JpegDecode(const Napi::CallbackInfo& info) {
  auto env = info.Env();
#ifdef CAFFETS_JPEG
  auto buf = info[0].As<Napi::Uint8Array>();
  const bool gray = info[1].As<Napi::Boolean>();
  Napi::Uint8Array data;  // decoded in place (a handle: nothing to unwind on a jump)
  int W = 0, H = 0, C = 0;
  const bool ok = DecodeJpeg(buf.Data(), buf.ElementLength(), gray, W, H, C, [&](size_t size) {
    data = Napi::Uint8Array::New(env, size);
    return data.Data();
  });
  if (!ok) return env.Null();
  auto o = Napi::Object::New(env);
  o.Set("width", W);
  o.Set("height", H);
  o.Set("channels", C);
  o.Set("data", data);
  return o;
#else
  return env.Null();
#endif
}

// cvRound of a float: round half to even (the default rounding mode)
int RoundEven(float v) { return (int)std::nearbyint(v); }

constexpr int kCoefScale = 2048;  // INTER_RESIZE_COEF_SCALE

struct Taps {
  std::vector<int> ofs, w0, w1;
  int max;
};

// Source index and 11-bit weights of each output position (resize.ts linearTaps)
Taps LinearTaps(int srcLen, int dstLen, bool clampFrac) {
  const double scale = 1 / ((double)dstLen / srcLen);
  Taps t{std::vector<int>(dstLen), std::vector<int>(dstLen), std::vector<int>(dstLen), dstLen};
  for (int d = 0; d < dstLen; d++) {
    float f = (float)((d + 0.5) * scale - 0.5);
    int s = (int)std::floor(f);
    f = f - (float)s;
    if (clampFrac) {
      if (s < 0) f = 0, s = 0;
      if (s + 1 >= srcLen) {
        t.max = std::min(t.max, d);
        if (s >= srcLen - 1) f = 0, s = srcLen - 1;
      }
    }
    t.ofs[d] = s;
    t.w0[d] = RoundEven((1.f - f) * kCoefScale);
    t.w1[d] = RoundEven(f * kCoefScale);
  }
  return t;
}

// Output element (y, x, c) of an HWC result at out[y * xs + x * cs + c * ps]: interleaved HWC
// (xs = width * cn, cs = cn, ps = 1) or planar CHW, as a Datum holds it (xs = width, cs = 1, ps = height * width).
void Resize(const uint8_t* src, int cn, int sh, int sw, uint8_t* out, int height, int width, bool planar = false) {
  const double sx = 1 / ((double)width / sw), sy = 1 / ((double)height / sh);
  const int rowLen = width * cn, srcRow = sw * cn;
  const size_t ys = planar ? width : rowLen, ps = planar ? (size_t)height * width : 1;
  const int cs = planar ? 1 : cn;
  if (std::fabs(sx - 2) < DBL_EPSILON && std::fabs(sy - 2) < DBL_EPSILON) {
    // INTER_AREA's exact-half path, which INTER_LINEAR takes too
    for (int y = 0; y < height; y++) {
      const uint8_t *r0 = src + 2 * y * srcRow, *r1 = r0 + srcRow;
      uint8_t* o = out + y * ys;
      for (int x = 0; x < width; x++)
        for (int c = 0; c < cn; c++) {
          const int i = 2 * x * cn + c;
          o[x * cs + c * ps] = (uint8_t)((r0[i] + r0[i + cn] + r1[i] + r1[i + cn] + 2) >> 2);
        }
    }
    return;
  }
  const Taps X = LinearTaps(sw, width, true), Y = LinearTaps(sh, height, false);
  // per output element: two source offsets in a row and their weights; past X.max one pixel * 2048
  std::vector<int> o0(rowLen), o1(rowLen), a0(rowLen), a1(rowLen);
  for (int d = 0, x = 0; d < width; d++)
    for (int c = 0; c < cn; c++, x++) {
      const bool inside = d < X.max;
      o0[x] = X.ofs[d] * cn + c;
      o1[x] = inside ? o0[x] + cn : o0[x];
      a0[x] = inside ? X.w0[d] : kCoefScale;
      a1[x] = inside ? X.w1[d] : 0;
    }
  std::vector<int> bufA(rowLen), bufB(rowLen);
  int *r0 = bufA.data(), *r1 = bufB.data(), y0 = -1, y1 = -1;
  auto hpass = [&](int y, int* dst) {
    const uint8_t* s = src + (size_t)y * srcRow;
    for (int x = 0; x < rowLen; x++) dst[x] = s[o0[x]] * a0[x] + s[o1[x]] * a1[x];
  };
  for (int dy = 0; dy < height; dy++) {
    const int s0 = std::min(std::max(Y.ofs[dy], 0), sh - 1), s1 = std::min(std::max(Y.ofs[dy] + 1, 0), sh - 1);
    if (s0 != y0) {
      if (s0 == y1) {
        std::swap(r0, r1);
        y1 = y0;
      } else {
        hpass(s0, r0);
      }
      y0 = s0;
    }
    if (s1 != y1) {
      if (s1 == y0) std::copy(r0, r0 + rowLen, r1);
      else hpass(s1, r1);
      y1 = s1;
    }
    const int b0 = Y.w0[dy], b1 = Y.w1[dy];
    auto value = [&](int x) {
      const int v = (((b0 * (r0[x] >> 4)) >> 16) + ((b1 * (r1[x] >> 4)) >> 16) + 2) >> 2;
      return (uint8_t)(v > 255 ? 255 : v);
    };
    uint8_t* o = out + (size_t)dy * ys;
    if (!planar || cn == 1) {
      for (int x = 0; x < rowLen; x++) o[x] = value(x);
    } else if (cn == 3) {
      for (int x = 0, i = 0; x < width; x++, i += 3) o[x] = value(i), o[x + ps] = value(i + 1), o[x + 2 * ps] = value(i + 2);
    } else {
      for (int x = 0, i = 0; x < width; x++)
        for (int c = 0; c < cn; c++, i++) o[x + c * ps] = value(i);
    }
  }
}

void ToChw(const uint8_t* s, int64_t C, size_t n, uint8_t* d) {
  if (C == 1) std::memcpy(d, s, n);
  else if (C == 3)
    for (size_t i = 0; i < n; i++, s += 3) d[i] = s[0], d[n + i] = s[1], d[2 * n + i] = s[2];
  else
    for (size_t i = 0; i < n; i++, s += C)
      for (int64_t c = 0; c < C; c++) d[c * n + i] = s[c];
}

// caffe.Datum on the wire: fields 1 channels, 2 height, 3 width (varints), 4 data (bytes), 5 label
// (an int32: a negative one sign-extended to 10 bytes), 7 encoded.
size_t VarintLen(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) n++;
  return n;
}
uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  for (; v >= 0x80; v >>= 7) *p++ = (uint8_t)(v | 0x80);
  *p++ = (uint8_t)v;
  return p;
}
uint64_t Int32Wire(int32_t v) { return (uint64_t)(int64_t)v; }

size_t DatumSize(int C, int H, int W, const int32_t* label) {
  const size_t len = (size_t)C * H * W;
  return 4 + VarintLen(C) + VarintLen(H) + VarintLen(W) + VarintLen(len) + len +
         (label ? 1 + VarintLen(Int32Wire(*label)) : 0) + 2;
}

// The message with its data field filled by chw(dst): the C * H * W pixels, CHW.
template <class Chw>
void WriteDatumWith(uint8_t* p, int C, int H, int W, const int32_t* label, Chw&& chw) {
  const size_t n = (size_t)H * W;
  *p++ = 0x08, p = PutVarint(p, C);
  *p++ = 0x10, p = PutVarint(p, H);
  *p++ = 0x18, p = PutVarint(p, W);
  *p++ = 0x22, p = PutVarint(p, n * C);
  chw(p);
  p += n * C;
  if (label) *p++ = 0x28, p = PutVarint(p, Int32Wire(*label));
  *p++ = 0x38, *p++ = 0;  // encoded: false
}

void WriteDatum(uint8_t* p, int C, int H, int W, const int32_t* label, const uint8_t* hwc) {
  WriteDatumWith(p, C, H, W, label, [&](uint8_t* d) { ToChw(hwc, C, (size_t)H * W, d); });
}

int64_t Int(const Napi::CallbackInfo& info, int i) { return info[i].As<Napi::Number>().Int64Value(); }

Napi::Value ResizeLinear(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>(), dst = info[4].As<Napi::Uint8Array>();
  const int64_t cn = Int(info, 1), sh = Int(info, 2), sw = Int(info, 3), dh = Int(info, 5), dw = Int(info, 6);
  if (cn < 1 || cn > 4 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || (int64_t)src.ElementLength() < cn * sh * sw ||
      (int64_t)dst.ElementLength() < cn * dh * dw || cn * std::max(sw, dw) > (1 << 28)) {
    Napi::RangeError::New(env, "resizeLinear: sizes do not fit the arrays").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Resize(src.Data(), (int)cn, (int)sh, (int)sw, dst.Data(), (int)dh, (int)dw);
  return env.Undefined();
}

Napi::Value HwcToChw(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>(), dst = info[4].As<Napi::Uint8Array>();
  const int64_t C = Int(info, 1), H = Int(info, 2), W = Int(info, 3), off = Int(info, 5);
  if (C < 1 || H < 0 || W < 0 || off < 0 || (int64_t)src.ElementLength() < C * H * W ||
      (int64_t)dst.ElementLength() < off + C * H * W) {
    Napi::RangeError::New(env, "hwcToChw: sizes do not fit the arrays").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ToChw(src.Data(), C, (size_t)H * W, dst.Data() + off);
  return env.Undefined();
}

Napi::Value ImageDatum(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto src = info[0].As<Napi::Uint8Array>();
  const int64_t C = Int(info, 1), H = Int(info, 2), W = Int(info, 3);
  if (C < 1 || C > 4 || H < 0 || W < 0 || H * W > ((int64_t)1 << 31) || (int64_t)src.ElementLength() < C * H * W) {
    Napi::RangeError::New(env, "imageDatum: sizes do not fit the array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int32_t label = 0;
  const bool hasLabel = info.Length() > 4 && info[4].IsNumber();
  if (hasLabel) label = info[4].As<Napi::Number>().Int32Value();
  const int32_t* l = hasLabel ? &label : nullptr;
  auto out = Napi::Uint8Array::New(env, DatumSize((int)C, (int)H, (int)W, l));
  WriteDatum(out.Data(), (int)C, (int)H, (int)W, l, src.Data());
  return out;
}

// The whole file into buf; false when it cannot be read or does not start as a JPEG (FF D8 FF).
bool ReadJpegFile(const std::string& path, std::vector<uint8_t>& buf) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 3 && st.st_size < ((off_t)1 << 31);
  if (ok) {
    buf.resize((size_t)st.st_size);
    size_t got = 0;
    while (ok && got < buf.size()) {
      const ssize_t r = read(fd, buf.data() + got, got == 0 ? 3 : buf.size() - got);
      if (r <= 0) ok = false;
      else got += (size_t)r;
      if (ok && got >= 3 && got == (size_t)r && (buf[0] != 0xff || buf[1] != 0xd8 || buf[2] != 0xff)) ok = false;
    }
  }
  close(fd);
  return ok;
}

class JpegFileDatum : public Napi::AsyncWorker {
 public:
  JpegFileDatum(Napi::Env env, std::string path, bool gray, int height, int width, int32_t label)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)), gray_(gray),
        height_(height), width_(width), label_(label) {}
  ~JpegFileDatum() override {
    if (out_ != reuseData_) std::free(out_);
  }
  // Writes into `reuse` (held until done) when it is large enough.
  void Reuse(Napi::Uint8Array reuse) {
    reuse_ = Napi::Persistent(reuse);
    reuseData_ = reuse.Data();
    reuseLen_ = reuse.ByteLength();
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
#ifdef CAFFETS_JPEG
    // per pool thread, reused from image to image: fresh pages cost as much as decoding here
    static thread_local std::vector<uint8_t> file, pixels;
    if (!ReadJpegFile(path_, file)) return;
    int W = 0, H = 0, C = 0;
    const bool ok = DecodeJpeg(file.data(), file.size(), gray_, W, H, C, [](size_t n) {
      pixels.resize(n);
      return pixels.data();
    });
    if (!ok) return;
    const uint8_t* px = pixels.data();
    const bool resize = height_ > 0 && width_ > 0 && (height_ != H || width_ != W);
    const int sh = H, sw = W;
    if (resize) H = height_, W = width_;
    dims_ = (double)C * H * W;
    size_ = DatumSize(C, H, W, &label_);
    out_ = reuseLen_ >= size_ ? reuseData_ : static_cast<uint8_t*>(std::malloc(size_));
    if (!out_) return;
    // resized straight into the Datum's data, CHW (one pass over the output, no HWC copy)
    if (resize) WriteDatumWith(out_, C, H, W, &label_, [&](uint8_t* d) { Resize(px, C, sh, sw, d, H, W, true); });
    else WriteDatum(out_, C, H, W, &label_, px);
#endif
  }

  void OnOK() override {
    if (!out_) {
      deferred_.Resolve(Env().Null());
      return;
    }
    auto o = Napi::Object::New(Env());
    if (out_ == reuseData_) {
      auto r = reuse_.Value();
      o.Set("bytes", Napi::Uint8Array::New(Env(), size_, r.ArrayBuffer(), r.ByteOffset()));
    } else {
      o.Set("bytes", Napi::Buffer<uint8_t>::New(Env(), out_, size_, [](Napi::Env, uint8_t* p) { std::free(p); }));
    }
    o.Set("dims", dims_);
    out_ = nullptr;
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  bool gray_;
  int height_, width_;
  int32_t label_;
  uint8_t* out_ = nullptr;
  size_t size_ = 0;
  Napi::Reference<Napi::Uint8Array> reuse_;
  uint8_t* reuseData_ = nullptr;
  size_t reuseLen_ = 0;
  double dims_ = 0;
};

Napi::Value JpegFileDatumJs(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t h = Int(info, 2), w = Int(info, 3);
  if (!info[0].IsString() || h > (1 << 16) || w > (1 << 16)) {
    Napi::TypeError::New(env, "jpegFileDatum(path, gray, height, width, label)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* job = new JpegFileDatum(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Boolean>(), (int)h,
                                (int)w, info[4].As<Napi::Number>().Int32Value());
  if (info.Length() > 5 && info[5].IsTypedArray() && info[5].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array)
    job->Reuse(info[5].As<Napi::Uint8Array>());
  auto promise = job->Promise();
  job->Queue();  // deletes itself when done
  return promise;
}

}  // namespace

void InitImage(Napi::Env env, Napi::Object exports) {
  exports.Set("jpegDecode", Napi::Function::New(env, JpegDecode));
  exports.Set("resizeLinear", Napi::Function::New(env, ResizeLinear));
  exports.Set("hwcToChw", Napi::Function::New(env, HwcToChw));
  exports.Set("imageDatum", Napi::Function::New(env, ImageDatum));
  exports.Set("jpegFileDatum", Napi::Function::New(env, JpegFileDatumJs));
}
