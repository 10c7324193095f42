// The element-wise float routines Caffe's CPU solvers are written in (math_functions.cpp over BLAS),
// with float rounding after every operation as Caffe stores each intermediate in a float blob.
// Float32Array stores round; a product of two floats is exact in a double, so `a*x + y` computed in
// double and stored behaves like BLAS's fused saxpy.
import { backend } from '../backend';

export const f32 = Math.fround;

/** caffe_cpu_axpby: y = beta*y, then y += alpha*x (BLAS sscal then saxpy, as Caffe without MKL). */
export function axpby(alpha: number, x: Float32Array, beta: number, y: Float32Array): void {
  if (beta === 0) y.fill(0);
  else backend().scal(beta, y);
  backend().axpy(alpha, x, y);
}

/** caffe_axpy: y += alpha*x. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  backend().axpy(alpha, x, y);
}

/** caffe_cpu_scale: y = alpha*x. */
export function scale(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = alpha * x[i];
}

/** caffe_scal: x *= alpha. */
export function scal(alpha: number, x: Float32Array): void {
  backend().scal(alpha, x);
}

/** caffe_powx(x, 2): y = x^2. */
export function square(x: Float32Array, y: Float32Array): void {
  backend().powx(x, 2, y);
}

/** caffe_powx(x, 0.5): y = x^0.5. */
export function sqrt(x: Float32Array, y: Float32Array): void {
  backend().powx(x, 0.5, y);
}

/** caffe_add: y = a + b. */
export function add(a: Float32Array, b: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = a[i] + b[i];
}

/** caffe_mul: y = a * b. */
export function mul(a: Float32Array, b: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = a[i] * b[i];
}

/** caffe_div: y = a / b. */
export function div(a: Float32Array, b: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = a[i] / b[i];
}

/** caffe_add_scalar: y += alpha. */
export function addScalar(alpha: number, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i] + alpha;
}

/** caffe_cpu_sign: y = (0 < x) - (x < 0). */
export function sign(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = (x[i] > 0 ? 1 : 0) - (x[i] < 0 ? 1 : 0);
}
