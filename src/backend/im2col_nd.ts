// Caffe's N-D im2col / col2im (im2col_nd_cpu, col2im_nd_cpu) for one image of any number of spatial
// axes; the 2-D case that convolutions use is native (native/blas.cc, the same layout and order).
// Column row r = (c, k_0, ..., k_{d-1}) in row-major order over channels and kernel offsets; column
// entry (r, o_0, ..., o_{d-1}) holds the pixel at o_i * stride_i - pad_i + k_i * dilation_i on each
// axis, or 0 outside the image. col2im zeroes the image, then adds each column entry to its pixel in
// that order (Caffe's summation order).

/** Geometry of one image: channels, spatial input and output sizes, and the per-axis parameters. */
export interface Im2colNdGeometry {
  channels: number;
  input: readonly number[];
  output: readonly number[];
  kernel: readonly number[];
  pad: readonly number[];
  stride: readonly number[];
  dilation: readonly number[];
}

function visit(g: Im2colNdGeometry, fn: (colIndex: number, imIndex: number) => void): void {
  const d = g.input.length;
  const kernelSize = g.kernel.reduce((a, b) => a * b, 1);
  const outSize = g.output.reduce((a, b) => a * b, 1);
  const offset = new Array<number>(d).fill(0);
  const pos = new Array<number>(d).fill(0);
  for (let r = 0; r < g.channels * kernelSize; r++) {
    // kernel offset of row r on each axis (the last axis varies fastest)
    for (let i = d - 1, q = r; i >= 0; i--) {
      offset[i] = q % g.kernel[i];
      q = Math.trunc(q / g.kernel[i]);
    }
    const c = Math.trunc(r / kernelSize);
    pos.fill(0);
    for (let o = 0; o < outSize; o++) {
      let im = c,
        inside = true;
      for (let i = 0; i < d; i++) {
        const at = pos[i] * g.stride[i] - g.pad[i] + offset[i] * g.dilation[i];
        if (at < 0 || at >= g.input[i]) inside = false;
        im = im * g.input[i] + at;
      }
      fn(r * outSize + o, inside ? im : -1);
      // next output position, the last axis fastest
      for (let i = d - 1; i >= 0; i--) {
        if (++pos[i] < g.output[i]) break;
        pos[i] = 0;
      }
    }
  }
}

/** col = im2col(im) for one image. */
export function im2colNd(im: Float32Array, col: Float32Array, g: Im2colNdGeometry): void {
  visit(g, (ci, ii) => {
    col[ci] = ii < 0 ? 0 : im[ii];
  });
}

/** im = 0, then im += col2im(col), for one image. */
export function col2imNd(col: Float32Array, im: Float32Array, g: Im2colNdGeometry): void {
  im.fill(0, 0, g.channels * g.input.reduce((a, b) => a * b, 1));
  visit(g, (ci, ii) => {
    if (ii >= 0) im[ii] += col[ci];
  });
}
