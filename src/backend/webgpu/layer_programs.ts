// WGSL programs of the layers' device kernels (webgpu_kernels.ts), in programs.ts's conventions.
// Each follows the Caffe CUDA kernel's maths for its layer (one thread per output element).
import { EW_WORKGROUP, EXP_ACC, POWX, Program, ew } from './programs';

/** Geometry of im2col/col2im and pooling: an image plane of channels x H x W, windows kh x kw. */
const GEOM = `struct Params {
  n: u32, oX: u32, oY: u32, oZ: u32,
  channels: u32, height: u32, width: u32, outH: u32, outW: u32,
  kh: u32, kw: u32, ph: u32, pw: u32, sh: u32, sw: u32, dh: u32, dw: u32,
}`;

/** A program with one thread per index i < P.n (grid-stride) over the Params struct `params`. */
function grid(params: string, slots: number, body: string, helpers = ''): Program {
  return {
    slots,
    source: `${params}
${helpers}
@compute @workgroup_size(${EW_WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  for (var i = g.x; i < P.n; i += nw.x * ${EW_WORKGROUP}u) {
    ${body}
  }
}`,
  };
}

/** A grid program over GEOM's Params. */
const geom = (slots: number, body: string) => grid(GEOM, slots, body);

// im2col of n / (C kh kw outH outW) images: col[img][(c kh kw + ki kw + kj) x (outH outW)] =
// x[img, c, h, w] (0 outside), one thread per col entry
const IM2COL = geom(
  2,
  `let colImg = P.channels * P.kh * P.kw * P.outH * P.outW;
    let img = i / colImg; let j = i % colImg;
    let ow = j % P.outW; let oh = (j / P.outW) % P.outH; let r = j / (P.outW * P.outH);
    let kj = r % P.kw; let ki = (r / P.kw) % P.kh; let c = r / (P.kw * P.kh);
    let h = i32(oh * P.sh + ki * P.dh) - i32(P.ph);
    let w = i32(ow * P.sw + kj * P.dw) - i32(P.pw);
    var v = 0.0;
    if (h >= 0 && h < i32(P.height) && w >= 0 && w < i32(P.width)) {
      v = B0[P.oX + ((img * P.channels + c) * P.height + u32(h)) * P.width + u32(w)];
    }
    B1[P.oY + i] = v;`,
);

// col2im: x[img, c, h, w] = sum of the col entries that im2col read from it (one thread per pixel, so
// no atomics): the windows (oh, ow) and taps (ki, kj) with oh sh + ki dh - ph = h, likewise for w
const COL2IM = geom(
  2,
  `let w = i % P.width; let h = (i / P.width) % P.height; let c = (i / (P.width * P.height)) % P.channels;
    let img = i / (P.width * P.height * P.channels);
    let col = P.oY + img * P.channels * P.kh * P.kw * P.outH * P.outW;
    var v = 0.0;
    for (var ki = 0u; ki < P.kh; ki++) {
      let hs = i32(h + P.ph) - i32(ki * P.dh);
      if (hs < 0 || hs % i32(P.sh) != 0) { continue; }
      let oh = u32(hs) / P.sh;
      if (oh >= P.outH) { continue; }
      for (var kj = 0u; kj < P.kw; kj++) {
        let ws = i32(w + P.pw) - i32(kj * P.dw);
        if (ws < 0 || ws % i32(P.sw) != 0) { continue; }
        let ow = u32(ws) / P.sw;
        if (ow >= P.outW) { continue; }
        v += B1[col + ((c * P.kh + ki) * P.kw + kj) * P.outH * P.outW + oh * P.outW + ow];
      }
    }
    B0[P.oX + i] = v;`,
);

// pooling windows: hstart = oh sh - ph, clipped to the image (MAX) or to H + ph (AVE divisor)
const WINDOW = `let ow = i % P.outW; let oh = (i / P.outW) % P.outH; let nc = i / (P.outW * P.outH);
    let hs0 = i32(oh * P.sh) - i32(P.ph); let ws0 = i32(ow * P.sw) - i32(P.pw);
    let he0 = min(hs0 + i32(P.kh), i32(P.height + P.ph)); let we0 = min(ws0 + i32(P.kw), i32(P.width + P.pw));
    let hs = max(hs0, 0); let ws = max(ws0, 0);
    let he = min(he0, i32(P.height)); let we = min(we0, i32(P.width));
    let plane = P.oX + nc * P.height * P.width;`;

// MAX: y = max over the window (the first maximum in row-major order), mask = its plane index (-1 for
// an empty window); x, y, mask in slots 0, 1, 2 (mask offset in oZ)
const MAX_POOL = geom(
  3,
  `${WINDOW}
    var m = bitcast<f32>(0xff7fffffu); var idx = -1; // -FLT_MAX
    for (var h = hs; h < he; h++) {
      for (var w = ws; w < we; w++) {
        let v = B0[plane + u32(h) * P.width + u32(w)];
        if (v > m) { m = v; idx = h * i32(P.width) + w; }
      }
    }
    B1[P.oY + i] = m;
    B2[P.oZ + i] = f32(idx);`,
);

// MAX backward: dx[h, w] = sum of dy over the outputs whose mask names (h, w) (one thread per input
// pixel, windows that can contain it); dy, mask, dx in slots 0, 1, 2; n = inputs
const MAX_POOL_BACK = geom(
  3,
  `let w = i % P.width; let h = (i / P.width) % P.height; let nc = i / (P.width * P.height);
    let phs = select(0u, (h + P.ph - P.kh) / P.sh + 1u, h + P.ph >= P.kh);
    let phe = min((h + P.ph) / P.sh + 1u, P.outH);
    let pws = select(0u, (w + P.pw - P.kw) / P.sw + 1u, w + P.pw >= P.kw);
    let pwe = min((w + P.pw) / P.sw + 1u, P.outW);
    let me = f32(h * P.width + w);
    var g = 0.0;
    for (var oh = phs; oh < phe; oh++) {
      for (var ow = pws; ow < pwe; ow++) {
        let o = nc * P.outH * P.outW + oh * P.outW + ow;
        if (B1[P.oY + o] == me) { g += B0[P.oX + o]; }
      }
    }
    B2[P.oZ + i] = g;`,
);

// AVE: y = sum over the window clipped to the image / the window clipped to H + pad
const AVE_POOL = geom(
  2,
  `${WINDOW}
    var s = 0.0;
    for (var h = hs; h < he; h++) {
      for (var w = ws; w < we; w++) { s += B0[plane + u32(h) * P.width + u32(w)]; }
    }
    B1[P.oY + i] = s / f32((he0 - hs0) * (we0 - ws0));`,
);

// AVE backward: dx[h, w] = sum over windows containing it of dy / pool size; dy, dx in slots 0, 1
const AVE_POOL_BACK = geom(
  2,
  `let w = i % P.width; let h = (i / P.width) % P.height; let nc = i / (P.width * P.height);
    let phs = select(0u, (h + P.ph - P.kh) / P.sh + 1u, h + P.ph >= P.kh);
    let phe = min((h + P.ph) / P.sh + 1u, P.outH);
    let pws = select(0u, (w + P.pw - P.kw) / P.sw + 1u, w + P.pw >= P.kw);
    let pwe = min((w + P.pw) / P.sw + 1u, P.outW);
    var g = 0.0;
    for (var oh = phs; oh < phe; oh++) {
      for (var ow = pws; ow < pwe; ow++) {
        let hs = i32(oh * P.sh) - i32(P.ph); let ws = i32(ow * P.sw) - i32(P.pw);
        let he = min(hs + i32(P.kh), i32(P.height + P.ph)); let we = min(ws + i32(P.kw), i32(P.width + P.pw));
        g += B0[P.oX + nc * P.outH * P.outW + oh * P.outW + ow] / f32((he - hs) * (we - ws));
      }
    }
    B1[P.oY + i] = g;`,
);

// log(1 + e) for e >= 0 with the rounding of 1 + e corrected (needs EXP_ACC's helpers)
const LOG1P_ACC = `fn log1p_acc(e: f32) -> f32 {
  let u = (1.0 + e) * ff_one();
  if (u == 1.0) { return e; }
  return log_acc(u) - (((u - 1.0) * ff_one()) - e) / u;
}`;

/** Softmax geometry: outer x channels x inner; one thread per (outer, inner) position. */
const SM = `struct Params { n: u32, oX: u32, oY: u32, oZ: u32, oW: u32, channels: u32, inner: u32,
  ignore: i32, hasIgnore: u32, scale: f32 }`;
const sm = (slots: number, body: string, helpers = '') =>
  grid(
    SM,
    slots,
    `let o = i / P.inner; let s = i % P.inner; let base = o * P.channels * P.inner + s;
    ${body}`,
    helpers,
  );

// softmax over channels: y = exp(x - max) / sum (Caffe's channel max, subtract, exp, sum, divide; exp
// as accurate as Caffe's expf: the drivers' built-in is several ulp off)
const SOFTMAX = sm(
  2,
  `var m = bitcast<f32>(0xff7fffffu);
    for (var c = 0u; c < P.channels; c++) { m = max(m, B0[P.oX + base + c * P.inner]); }
    var sum = 0.0;
    for (var c = 0u; c < P.channels; c++) {
      let e = exp_acc(B0[P.oX + base + c * P.inner] - m);
      B1[P.oY + base + c * P.inner] = e;
      sum += e;
    }
    for (var c = 0u; c < P.channels; c++) { B1[P.oY + base + c * P.inner] /= sum; }`,
  EXP_ACC,
);

// softmax backward: dx = (dy - dot) y with dot = sum_c dy y (Caffe's channel dot, subtract, multiply); y, dy,
// dx in slots 0..2 (dx may be dy: each element is read before it is written)
const SOFTMAX_BACK = sm(
  3,
  `var dot = 0.0;
    for (var c = 0u; c < P.channels; c++) { dot += B1[P.oY + base + c * P.inner] * B0[P.oX + base + c * P.inner]; }
    for (var c = 0u; c < P.channels; c++) {
      let k = base + c * P.inner;
      B2[P.oZ + k] = (B1[P.oY + k] - dot) * B0[P.oX + k];
    }`,
);

// SoftmaxWithLoss per position: loss = -log(max(prob[label], FLT_MIN)), count = 1; both 0 for the
// ignore_label; prob, label, loss, count in slots 0..3
const SOFTMAX_LOSS = sm(
  4,
  `let label = i32(B1[P.oY + i]);
    if (P.hasIgnore != 0u && label == P.ignore) { B2[P.oZ + i] = 0.0; B3[P.oW + i] = 0.0; continue; }
    B2[P.oZ + i] = -log(max(B0[P.oX + base + u32(label) * P.inner], 1.17549435e-38));
    B3[P.oW + i] = 1.0;`,
);

// SoftmaxWithLoss backward: dx = (prob - onehot(label)) * scale / normalizer[0], 0 for the ignored;
// prob (dx in place allowed? no: dx in slot 2), label, dx, normalizer in slots 0..3
const SOFTMAX_LOSS_BACK = sm(
  4,
  `let label = i32(B1[P.oY + i]);
    let ignored = P.hasIgnore != 0u && label == P.ignore;
    let k = P.scale / B3[P.oW];
    for (var c = 0u; c < P.channels; c++) {
      var v = B0[P.oX + base + c * P.inner];
      if (!ignored && i32(c) == label) { v -= 1.0; }
      B2[P.oZ + base + c * P.inner] = select(v * k, 0.0, ignored);
    }`,
);

// SigmoidCrossEntropyLoss per element (one position per element): loss = log(1 + exp(-|x|)) -
// x (t - [x >= 0]), count = 1; both 0 where the target truncates to the ignore label; x, t, loss, count
const SIGMOID_CE_LOSS = sm(
  4,
  `let x = B0[P.oX + i]; let t = B1[P.oY + i];
    if (P.hasIgnore != 0u && i32(t) == P.ignore) { B2[P.oZ + i] = 0.0; B3[P.oW + i] = 0.0; continue; }
    B2[P.oZ + i] = log1p_acc(exp_acc(-abs(x))) - x * (t - select(0.0, 1.0, x >= 0.0));
    B3[P.oW + i] = 1.0;`,
  `${EXP_ACC}\n${LOG1P_ACC}`,
);

// its backward: dx = (sigmoid(x) - t) scale / normalizer[0], 0 where ignored; x, t, dx, normalizer
const SIGMOID_CE_LOSS_BACK = sm(
  4,
  `let t = B1[P.oY + i];
    let ignored = P.hasIgnore != 0u && i32(t) == P.ignore;
    let sg = 0.5 * tanh(0.5 * B0[P.oX + i]) + 0.5;
    B2[P.oZ + i] = select((sg - t) * (P.scale / B3[P.oW]), 0.0, ignored);`,
);

// top[0] = sum(loss) / normalizer, normalizer = max(1, sum(count)) for VALID else P.a (kept in
// norm[0] for backward); one workgroup; loss, count, top, norm in slots 0..3
const LOSS_REDUCE: Program = {
  slots: 4,
  source: `struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, a: f32, b: f32 }
var<workgroup> sl: array<f32, 256>;
var<workgroup> sc: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3u) {
  var a = 0.0; var c = 0.0;
  for (var i = l.x; i < P.n; i += 256u) { a += B0[P.o0 + i]; c += B1[P.o1 + i]; }
  sl[l.x] = a; sc[l.x] = c;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { sl[l.x] += sl[l.x + w]; sc[l.x] += sc[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) {
    // P.b = 1: VALID normalization (count of non-ignored positions, at least 1)
    let norm = select(max(P.a, 1.0), max(sc[0], 1.0), P.b == 1.0);
    B2[P.o2] = sl[0] / norm;
    B3[P.o3] = norm;
  }
}`,
};

// db[c] += sum over images and pixels of dy[img, c, :] (Caffe's bias gradient, one gemv per image),
// one workgroup per channel; dy, db in slots 0, 1
const CHANNEL_SUM: Program = {
  slots: 2,
  source: `struct Params { imgs: u32, pixels: u32, channels: u32, oX: u32, oY: u32 }
var<workgroup> s: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let c = wg.x;
  var acc = 0.0;
  for (var e = l.x; e < P.imgs * P.pixels; e += 256u) {
    let img = e / P.pixels;
    acc += B0[P.oX + (img * P.channels + c) * P.pixels + e % P.pixels];
  }
  s[l.x] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { s[l.x] += s[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { B1[P.oY + c] += s[0]; }
}`,
};

/** The solvers' fused updates (Caffe's <solver>_update_gpu): g (the diff, becoming the update), h, h2
 *  in slots 0..2, scalars s0..s3. */
const update = (slots: number, body: string) =>
  grid(
    'struct Params { n: u32, o0: u32, o1: u32, o2: u32, s0: f32, s1: f32, s2: f32, s3: f32 }',
    slots,
    `let gi = B0[P.o0 + i];
    ${body}`,
  );

/** LRN across channels (Caffe's lrn_layer.cu): one thread per (image, pixel) walks the channels with a
 *  running window sum; channel c of the thread's column is at `base + c * hw`. */
const LRN = `struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, channels: u32, hw: u32,
  pre: u32, aos: f32, negBeta: f32, k: f32, crv: f32 }`;
const lrn = (slots: number, body: string) =>
  grid(LRN, slots, `let base = (i / P.hw) * P.channels * P.hw + i % P.hw;\n    ${body}`, POWX);

// scale = k + alpha/size * sum of x^2 over channels [c - pre, c + pre] (Caffe's fill-scale), as a running
// sum in the CPU layer's order (k, then alpha/size x^2 added and removed per channel, so the scales are the
// CPU's); then y = x scale^-beta (Caffe's compute-output); x, scale, y in slots 0..2
const LRN_FORWARD = lrn(
  3,
  `var s = P.k;
    for (var c = 0u; c <= P.pre && c < P.channels; c++) { let v = B0[P.o0 + base + c * P.hw]; s += P.aos * (v * v); }
    B1[P.o1 + base] = s;
    for (var c = 1u; c < P.channels; c++) {
      if (c + P.pre < P.channels) { let v = B0[P.o0 + base + (c + P.pre) * P.hw]; s += P.aos * (v * v); }
      if (c > P.pre) { let v = B0[P.o0 + base + (c - P.pre - 1u) * P.hw]; s -= P.aos * (v * v); }
      B1[P.o1 + base + c * P.hw] = s;
    }
    for (var c = 0u; c < P.channels; c++) {
      let j = base + c * P.hw;
      B2[P.o2 + j] = B0[P.o0 + j] * powx(B1[P.o1 + j], P.negBeta);
    }`,
);

// dx = dy scale^-beta - crv x * sum over the window of dy y / scale (compute-diff); x, y, scale, dy, dx
const LRN_BACKWARD = lrn(
  5,
  `var acc = 0.0;
    for (var c = 0u; c < P.pre && c < P.channels; c++) {
      let j = base + c * P.hw;
      acc += B3[P.o3 + j] * B1[P.o1 + j] / B2[P.o2 + j];
    }
    for (var c = 0u; c < P.channels; c++) {
      if (c + P.pre < P.channels) {
        let j = base + (c + P.pre) * P.hw;
        acc += B3[P.o3 + j] * B1[P.o1 + j] / B2[P.o2 + j];
      }
      let j = base + c * P.hw;
      B4[P.o4 + j] = B3[P.o3 + j] * powx(B2[P.o2 + j], P.negBeta) - P.crv * (B0[P.o0 + j] * acc);
      if (c >= P.pre) {
        let t = base + (c - P.pre) * P.hw;
        acc -= B3[P.o3 + t] * B1[P.o1 + t] / B2[P.o2 + t];
      }
    }`,
);

// LRN within a channel, Caffe's PowerLayer (power -beta = P.b, scale alpha = P.a, shift 1) and product:
// power = (1 + alpha pooled)^-beta (1 when power * scale is 0), y = x power; x, pooled, power, y
const LRN_WITHIN_OUTPUT = ew(
  4,
  `var t = 1.0;
    if (P.b * P.a != 0.0) {
      t = B1[P.o1 + i];
      if (P.a != 1.0) { t *= P.a; }
      t += 1.0;
      if (P.b != 1.0) { t = powx(t, P.b); }
    }
    B2[P.o2 + i] = t;
    B3[P.o3 + i] = B0[P.o0 + i] * t;`,
  POWX,
);

// back through PowerLayer, its special cases included: g = (x dy) * dpower/dpooled in place; g, pooled, power
const LRN_WITHIN_POWER_BACK = ew(
  3,
  `let ds = P.b * P.a;
    var f = ds;
    if (ds != 0.0 && P.b != 1.0) {
      if (P.b == 2.0) { f = (ds * P.a) * B1[P.o1 + i] + ds; }
      else {
        f = B1[P.o1 + i];
        if (P.a != 1.0) { f *= P.a; }
        f = B2[P.o2 + i] / (f + 1.0);
        if (ds != 1.0) { f *= ds; }
      }
    }
    B0[P.o0 + i] = select(B0[P.o0 + i] * f, f, ds == 0.0);`,
);

// dx = power dy + dsq (2 x), dsq (the pooling's gradient) already in dx; power, dy, x, dx
const LRN_WITHIN_DIFF = ew(4, 'B3[P.o3 + i] = B0[P.o0 + i] * B1[P.o1 + i] + B3[P.o3 + i] * (2.0 * B2[P.o2 + i]);');

// dst[r dstStride + k] = src[r srcStride + k] (Caffe's concat/slice kernel); src, dst in slots 0, 1
const COPY_STRIDED = grid(
  'struct Params { n: u32, o0: u32, o1: u32, count: u32, srcStride: u32, dstStride: u32 }',
  2,
  `let r = i / P.count; let k = i % P.count;
    B1[P.o1 + r * P.dstStride + k] = B0[P.o0 + r * P.srcStride + k];`,
);

// Tile (Caffe's Tile / TileBackward kernels): top row r of `inner` values is bottom row r / tiles; a
// bottom diff sums its rows' tiles copies in order; x or dy, y or dx in slots 0, 1
const TILE_PARAMS = 'struct Params { n: u32, o0: u32, o1: u32, inner: u32, tiles: u32 }';
const TILE_FORWARD = grid(
  TILE_PARAMS,
  2,
  `let r = i / P.inner; B1[P.o1 + i] = B0[P.o0 + (r / P.tiles) * P.inner + i % P.inner];`,
);
const TILE_BACKWARD = grid(
  TILE_PARAMS,
  2,
  `let k = i % P.inner; let base = (i / P.inner) * P.tiles * P.inner + k;
    var s = 0.0;
    for (var t = 0u; t < P.tiles; t++) { s += B0[P.o0 + base + t * P.inner]; }
    B1[P.o1 + i] = s;`,
);

// Crop (4 axes): top element i = (a, b, c, d) over top dims (., t1, t2, t3) is bottom element
// (a + f0) s0 + (b + f1) s1 + (c + f2) s2 + d + f3; forward gathers into the top, backward scatters
// the top diff back (one-to-one: no two threads write one element); from, to in slots 0, 1
const CROP4 = grid(
  `struct Params { n: u32, o0: u32, o1: u32, t1: u32, t2: u32, t3: u32, s0: u32, s1: u32, s2: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, forward: u32 }`,
  2,
  `let d = i % P.t3; let c = (i / P.t3) % P.t2; let b = (i / (P.t3 * P.t2)) % P.t1;
    let a = i / (P.t3 * P.t2 * P.t1);
    let j = (a + P.f0) * P.s0 + (b + P.f1) * P.s1 + (c + P.f2) * P.s2 + d + P.f3;
    if (P.forward != 0u) { B1[P.o1 + i] = B0[P.o0 + j]; } else { B1[P.o1 + j] = B0[P.o0 + i]; }`,
);

// LSTMUnit, one thread per (stream n, unit d), as Caffe's CPU maths: sigmoid(x) = 1 / (1 + exp(-x)),
// tanh(x) = 2 / (1 + exp(-2x)) - 1, f = 0 where cont is 0. Forward: c_{t-1}, X, cont, c_t, h_t in slots
// 0..4; backward adds dc_t, dh_t, dc_{t-1}, dX in slots 4..7 (c_t in 3)
const LSTM_HELPERS = `${EXP_ACC}
fn sigm(v: f32) -> f32 { return 1.0 / (1.0 + exp_acc(-v)); }
fn tanh_c(v: f32) -> f32 { return 2.0 / (1.0 + exp_acc(-2.0 * v)) - 1.0; }`;
const LSTM_GATES = `let d = i % P.H; let x = (i / P.H) * 4u * P.H + d; let cn = B2[P.o2 + i / P.H];
    let ig = sigm(B1[P.o1 + x]);
    let f = select(cn * sigm(B1[P.o1 + x + P.H]), 0.0, cn == 0.0);
    let g = tanh_c(B1[P.o1 + x + 3u * P.H]);`;
const LSTM_UNIT_FORWARD = grid(
  'struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, H: u32 }',
  5,
  `${LSTM_GATES}
    let c = f * B0[P.o0 + i] + ig * g;
    B3[P.o3 + i] = c;
    B4[P.o4 + i] = sigm(B1[P.o1 + x + 2u * P.H]) * tanh_c(c);`,
  LSTM_HELPERS,
);
const LSTM_UNIT_BACKWARD = grid(
  'struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, o5: u32, o6: u32, o7: u32, H: u32 }',
  8,
  `${LSTM_GATES}
    let o = sigm(B1[P.o1 + x + 2u * P.H]);
    let tc = tanh_c(B3[P.o3 + i]);
    let dh = B5[P.o5 + i];
    let dc = B4[P.o4 + i] + dh * o * (1.0 - tc * tc);
    B6[P.o6 + i] = dc * f;
    B7[P.o7 + x] = dc * g * ig * (1.0 - ig);
    B7[P.o7 + x + P.H] = dc * B0[P.o0 + i] * f * (1.0 - f);
    B7[P.o7 + x + 2u * P.H] = dh * tc * o * (1.0 - o);
    B7[P.o7 + x + 3u * P.H] = dc * ig * (1.0 - g * g);`,
  LSTM_HELPERS,
);

// Embed forward, one thread per top element: y[m, j] = w[x[m], j] (+ b[j]); x, w, b (w when none), y
const EMBED_FORWARD = grid(
  'struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, N: u32, bias: u32 }',
  4,
  `let m = i / P.N; let j = i % P.N;
    var v = B1[P.o1 + u32(B0[P.o0 + m]) * P.N + j];
    if (P.bias != 0u) { v += B2[P.o2 + j]; }
    B3[P.o3 + i] = v;`,
);
// Embed backward to the weights, one thread per column j (no two threads write one element, no float
// atomics needed): dw[x[m], j] += dy[m, j] for m in order, as the CPU sums; x, dy, dw
const EMBED_BACKWARD = grid(
  'struct Params { n: u32, o0: u32, o1: u32, o2: u32, N: u32, M: u32 }',
  3,
  `for (var m = 0u; m < P.M; m++) {
      let k = P.o2 + u32(B0[P.o0 + m]) * P.N + i;
      B2[k] = B2[k] + B1[P.o1 + m * P.N + i];
    }`,
);

// Eltwise MAX step k = P.a: k = 1 compares bottoms 0 and 1 (a tie to 1); later bottoms win only when
// greater than the running max; a, b, y, mask in slots 0..3 (a is y for k > 1)
const ELTWISE_MAX = ew(
  4,
  `let b = B1[P.o1 + i];
    if (P.a == 1.0) {
      let a = B0[P.o0 + i]; let first = a > b;
      B2[P.o2 + i] = select(b, a, first); B3[P.o3 + i] = select(1.0, 0.0, first);
    } else if (b > B2[P.o2 + i]) { B2[P.o2 + i] = b; B3[P.o3 + i] = P.a; }`,
);

/** Scale and Bias: y = x s[(i / innerS) % dimS] + b[(i / innerB) % dimB]; x, s, b, y in slots 0..3. */
const BROADCAST_AFFINE = grid(
  `struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, dimS: u32, innerS: u32, dimB: u32, innerB: u32,
  hasS: u32, hasB: u32 }`,
  4,
  `var v = B0[P.o0 + i];
    if (P.hasS != 0u) { v = v * B1[P.o1 + (i / P.innerS) % P.dimS]; }
    if (P.hasB != 0u) { v = v + B2[P.o2 + (i / P.innerB) % P.dimB]; }
    B3[P.o3 + i] = v;`,
);

/** PReLU: channel c = (i / dim) % channels (channels 1 when shared). */
const PRELU = 'struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, channels: u32, dim: u32 }';
// y = x > 0 ? x : slope[c] x; x, slope, y
const PRELU_FORWARD = grid(
  PRELU,
  3,
  `let x = B0[P.o0 + i];
    B2[P.o2 + i] = select(B1[P.o1 + (i / P.dim) % P.channels] * x, x, x > 0.0);`,
);
// dx = x > 0 ? dy : dy slope[c]; dy, x, slope, dx
const PRELU_BACKWARD = grid(
  PRELU,
  4,
  `let dy = B0[P.o0 + i];
    B3[P.o3 + i] = select(dy * B2[P.o2 + (i / P.dim) % P.channels], dy, B1[P.o1 + i] > 0.0);`,
);

/** Accuracy per position (outer x inner): hit (1 when fewer than topK other classes score >= the true
 *  class) and count (1), both 0 at ignored positions; scores, label, hit, count in slots 0..3. */
const ACCURACY = grid(
  `struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, classes: u32, inner: u32, topK: i32,
  ignore: i32, hasIgnore: u32 }`,
  4,
  `let label = i32(B1[P.o1 + i]);
    if (P.hasIgnore != 0u && label == P.ignore) { B2[P.o2 + i] = 0.0; B3[P.o3 + i] = 0.0; continue; }
    let base = P.o0 + (i / P.inner) * P.classes * P.inner + i % P.inner;
    let t = B0[base + u32(label) * P.inner];
    var better = -1; // the true class itself scores >= itself
    for (var k = 0u; k < P.classes && better < P.topK; k++) {
      if (B0[base + k * P.inner] >= t) { better++; }
    }
    B2[P.o2 + i] = select(0.0, 1.0, better < P.topK);
    B3[P.o3 + i] = 1.0;`,
);

// per-class accuracy, one workgroup per class c: hits / count over the counted positions labelled c (0 for
// none); label, hit, count, perClass in slots 0..3
const ACCURACY_PER_CLASS: Program = {
  slots: 4,
  source: `struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, a: f32, b: f32 }
var<workgroup> sh: array<f32, 256>;
var<workgroup> sn: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let c = i32(wg.x);
  var h = 0.0; var m = 0.0;
  for (var e = l.x; e < P.n; e += 256u) {
    if (B2[P.o2 + e] != 0.0 && i32(B0[P.o0 + e]) == c) { h += B1[P.o1 + e]; m += 1.0; }
  }
  sh[l.x] = h; sn[l.x] = m;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { sh[l.x] += sh[l.x + w]; sn[l.x] += sn[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { B3[P.o3 + wg.x] = select(sh[0] / sn[0], 0.0, sn[0] == 0.0); }
}`,
};

export const LAYER_PROGRAMS: Record<string, Program> = {
  // s0 momentum, s1 local rate: h' = momentum h + rate g; g = (1 + momentum) h' - momentum h
  nesterov_update: update(
    2,
    `let hi = B1[P.o1 + i]; let hn = P.s0 * hi + P.s1 * gi; B1[P.o1 + i] = hn;
    B0[P.o0 + i] = (1.0 + P.s0) * hn - P.s0 * hi;`,
  ),
  // s0 delta, s1 local rate: h += g^2; g = rate g / (sqrt(h) + delta)
  adagrad_update: update(
    2,
    `let hi = B1[P.o1 + i] + gi * gi; B1[P.o1 + i] = hi;
    B0[P.o0 + i] = P.s1 * gi / (sqrt(hi) + P.s0);`,
  ),
  // s0 rms_decay, s1 delta, s2 local rate: h = decay h + (1 - decay) g^2; g = rate g / (sqrt(h) + delta)
  rmsprop_update: update(
    2,
    `let hi = P.s0 * B1[P.o1 + i] + (1.0 - P.s0) * gi * gi; B1[P.o1 + i] = hi;
    B0[P.o0 + i] = P.s2 * gi / (sqrt(hi) + P.s1);`,
  ),
  // s0 momentum, s1 delta, s2 local rate: h = m h + (1 - m) g^2; g *= sqrt((h2 + delta) / (h + delta));
  // h2 = m h2 + (1 - m) g^2; g = rate g
  adadelta_update: update(
    3,
    `let hi = P.s0 * B1[P.o1 + i] + (1.0 - P.s0) * gi * gi; B1[P.o1 + i] = hi;
    let gu = gi * sqrt((B2[P.o2 + i] + P.s1) / (hi + P.s1));
    B2[P.o2 + i] = P.s0 * B2[P.o2 + i] + (1.0 - P.s0) * gu * gu;
    B0[P.o0 + i] = P.s2 * gu;`,
  ),
  // s0 beta1, s1 beta2, s2 eps_hat, s3 corrected local rate: m, v moments in h, h2
  adam_update: update(
    3,
    `let mi = P.s0 * B1[P.o1 + i] + (1.0 - P.s0) * gi; B1[P.o1 + i] = mi;
    let vi = P.s1 * B2[P.o2 + i] + (1.0 - P.s1) * gi * gi; B2[P.o2 + i] = vi;
    B0[P.o0 + i] = P.s3 * mi / (sqrt(vi) + P.s2);`,
  ),
  channel_sum: CHANNEL_SUM,
  // Caffe's CPU form max(x, 0) + slope min(x, 0): +0 for negative x with slope 0, as its CPU writes
  relu_forward: ew(2, 'let x = B0[P.o0 + i]; B1[P.o1 + i] = max(x, 0.0) + P.a * min(x, 0.0);'),
  // dx = dy (x > 0 ? 1 : slope); dy, x, dx in slots 0, 1, 2
  relu_backward: ew(3, 'let x = B1[P.o1 + i]; B2[P.o2 + i] = B0[P.o0 + i] * select(P.a, 1.0, x > 0.0);'),
  sigmoid_forward: ew(2, 'B1[P.o1 + i] = 0.5 * tanh(0.5 * B0[P.o0 + i]) + 0.5;'),
  // dx = dy y (1 - y); dy, y, dx
  sigmoid_backward: ew(3, 'let y = B1[P.o1 + i]; B2[P.o2 + i] = B0[P.o0 + i] * y * (1.0 - y);'),
  tanh_forward: ew(2, 'B1[P.o1 + i] = tanh(B0[P.o0 + i]);'),
  // dx = dy (1 - y^2)
  tanh_backward: ew(3, 'let y = B1[P.o1 + i]; B2[P.o2 + i] = B0[P.o0 + i] * (1.0 - y * y);'),
  // BNLL: x > 0 ? x + log(1 + exp(-x)) : log(1 + exp(x)), log(1 + e) as accurate as Caffe's double log
  bnll_forward: ew(
    2,
    'let x = B0[P.o0 + i]; B1[P.o1 + i] = max(x, 0.0) + log1p_acc(exp_acc(-abs(x)));',
    `${EXP_ACC}\n${LOG1P_ACC}`,
  ),
  // dx = dy e / (1 + e), e = exp(min(x, 50)); dy, x, dx
  bnll_backward: ew(
    3,
    'let e = exp_acc(min(B1[P.o1 + i], 50.0)); B2[P.o2 + i] = B0[P.o0 + i] * e / (e + 1.0);',
    EXP_ACC,
  ),
  crop4: CROP4,
  embed_forward: EMBED_FORWARD,
  embed_backward: EMBED_BACKWARD,
  lstm_unit_forward: LSTM_UNIT_FORWARD,
  lstm_unit_backward: LSTM_UNIT_BACKWARD,
  tile_forward: TILE_FORWARD,
  tile_backward: TILE_BACKWARD,
  // hi < x ? hi : x, then lo < m ? m : lo (NaN x gives lo, as on the CPU)
  clip_forward: ew(2, 'let x = B0[P.o0 + i]; let m = select(x, P.b, P.b < x); B1[P.o1 + i] = select(P.a, m, P.a < m);'),
  // dy, x, dx
  clip_backward: ew(3, 'let v = B1[P.o1 + i]; B2[P.o2 + i] = select(0.0, B0[P.o0 + i], v >= P.a && v <= P.b);'),
  // x, s, y: s = sigmoid(beta x) (Sigmoid's tanh form), y = x s
  swish_forward: ew(
    3,
    'let v = B0[P.o0 + i]; let s = 0.5 * tanh(0.5 * (v * P.a)) + 0.5; B1[P.o1 + i] = s; B2[P.o2 + i] = v * s;',
  ),
  // y, dy, s, dx
  swish_backward: ew(4, 'let by = P.a * B0[P.o0 + i]; B3[P.o3 + i] = B1[P.o1 + i] * (by + B2[P.o2 + i] * (1.0 - by));'),
  threshold_forward: ew(2, 'B1[P.o1 + i] = select(0.0, 1.0, B0[P.o0 + i] > P.a);'),
  im2col: IM2COL,
  col2im: COL2IM,
  max_pool: MAX_POOL,
  max_pool_backward: MAX_POOL_BACK,
  ave_pool: AVE_POOL,
  ave_pool_backward: AVE_POOL_BACK,
  softmax: SOFTMAX,
  softmax_backward: SOFTMAX_BACK,
  softmax_loss: SOFTMAX_LOSS,
  softmax_loss_backward: SOFTMAX_LOSS_BACK,
  sigmoid_ce_loss: SIGMOID_CE_LOSS,
  sigmoid_ce_loss_backward: SIGMOID_CE_LOSS_BACK,
  loss_reduce: LOSS_REDUCE,
  lrn_forward: LRN_FORWARD,
  lrn_backward: LRN_BACKWARD,
  lrn_within_output: LRN_WITHIN_OUTPUT,
  lrn_within_power_backward: LRN_WITHIN_POWER_BACK,
  lrn_within_diff: LRN_WITHIN_DIFF,
  // y = mask != 0 ? x scale : 0; x, mask, y
  dropout: ew(3, 'B2[P.o2 + i] = select(0.0, B0[P.o0 + i] * P.a, B1[P.o1 + i] != 0.0);'),
  copy_strided: COPY_STRIDED,
  eltwise_max: ELTWISE_MAX,
  // dx = mask == k ? dy : 0; dy, mask, dx
  eltwise_max_backward: ew(3, 'B2[P.o2 + i] = select(0.0, B0[P.o0 + i], B1[P.o1 + i] == P.a);'),
  // y = (s == 0 ? 0 : 1 / s) x with s = B1[o1]; x, s, y
  scale_by_inverse: ew(3, 'let s = B1[P.o1]; B2[P.o2 + i] = select(1.0 / s, 0.0, s == 0.0) * B0[P.o0 + i];'),
  broadcast_affine: BROADCAST_AFFINE,
  prelu_forward: PRELU_FORWARD,
  prelu_backward: PRELU_BACKWARD,
  // t = x <= 0 ? dy x : 0; dy, x, t
  prelu_slope_terms: ew(3, 'let x = B1[P.o1 + i]; B2[P.o2 + i] = select(0.0, B0[P.o0 + i] * x, x <= 0.0);'),
  // Caffe's CPU form, in float: max(x, 0) + alpha (exp(min(x, 0)) - 1)
  elu_forward: ew(2, 'let x = B0[P.o0 + i]; B1[P.o1 + i] = max(x, 0.0) + P.a * (exp_acc(min(x, 0.0)) - 1.0);', EXP_ACC),
  // dx = x > 0 ? dy : dy (alpha + y); dy, x, y, dx
  elu_backward: ew(
    4,
    'let dy = B0[P.o0 + i]; B3[P.o3 + i] = select(dy * (P.a + B2[P.o2 + i]), dy, B1[P.o1 + i] > 0.0);',
  ),
  accuracy: ACCURACY,
  accuracy_per_class: ACCURACY_PER_CLASS,
};
