// Shared by the Convolution and Deconvolution tests: a 2-D geometry, Caffe's parameter forms for it,
// and an element-wise closeness check against a direct-loop reference.

export interface Geo {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  group: number;
}

/** A 3x3, stride 1, no padding, no dilation, ungrouped geometry with `o` overriding. */
export const G = (o: Partial<Geo>): Geo => ({ kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, group: 1, ...o });

const gauss = { weight_filler: { type: 'gaussian' }, bias_filler: { type: 'gaussian' } };

/** Caffe's parameter forms for a geometry: the *_h/*_w forms when the two axes differ. */
export function paramFor(numOutput: number, g: Geo, bias: boolean): object {
  const hw = (a: number, b: number, one: string, h: string, w: string) =>
    a === b ? { [one]: [a] } : { [h]: a, [w]: b };
  return {
    num_output: numOutput,
    bias_term: bias,
    group: g.group,
    ...gauss,
    ...hw(g.kh, g.kw, 'kernel_size', 'kernel_h', 'kernel_w'),
    ...hw(g.sh, g.sw, 'stride', 'stride_h', 'stride_w'),
    ...hw(g.ph, g.pw, 'pad', 'pad_h', 'pad_w'),
    dilation: g.dh === g.dw ? [g.dh] : [g.dh, g.dw],
  };
}

/** Every element within `tol` (relative, floor 1) of the reference. */
export function expectClose(got: Float32Array, want: Float32Array, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(got[i] - want[i]) > tol * Math.max(1, Math.abs(want[i])))
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}
