import '../../src/layers/Crop';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'crop', type: 'Crop', crop_param: p });
// Caffe's fixture: data 2x4x5x4, size reference 2x3x4x2
const data = (shape = [2, 4, 5, 4]) => randomBlob(shape, -1, 1, 1);
const ref = (shape = [2, 3, 4, 2]) => randomBlob(shape, -1, 1, 2);

/** Strides of a shape. */
const strides = (s: readonly number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));

/** top[idx] must equal bottom[idx + off] at every top index. */
function expectWindow(bottom: Blob, top: Blob, off: number[]): void {
  const ts = top.shape,
    tst = strides(ts),
    bst = strides(bottom.shape),
    x = bottom.cpuData(),
    y = top.cpuData();
  for (let t = 0; t < top.count; t++) {
    let b = 0;
    for (let j = 0; j < ts.length; j++) b += ((Math.floor(t / tst[j]) % ts[j]) + off[j]) * bst[j];
    expect(y[t]).toBe(x[b]);
  }
}

function cropped(p: object, x = data(), r = ref()): Blob {
  const top = new Blob(),
    l = make(p);
  l.setUp([x, r], [top]);
  l.forward([x, r], [top]);
  return top;
}

describeEngines('Crop', () => {
  it(
    'shapes: all axes, default axis 2, axis -1, uncropped axes may differ ' +
      '(Caffe TestSetupShape* / TestDimensionsCheck)',
    () => {
      expect(cropped({ axis: 0 }).shape).toEqual([2, 3, 4, 2]);
      expect(cropped({}).shape).toEqual([2, 4, 4, 2]);
      expect(cropped({ axis: -1 }).shape).toEqual([2, 4, 5, 2]);
      expect(cropped({}, data(), ref([2, 5, 4, 2])).shape).toEqual([2, 4, 4, 2]);
    },
  );

  it('crop all without and with offsets (Caffe TestCropAll / TestCropAllOffset)', () => {
    const x = data();
    expectWindow(x, cropped({ axis: 0 }, x), [0, 0, 0, 0]);
    expectWindow(x, cropped({ axis: 0, offset: [0, 1, 1, 2] }, x), [0, 1, 1, 2]);
  });

  it('crop HW with two offsets and with one offset for both (Caffe TestCropHW)', () => {
    const x = data();
    expectWindow(x, cropped({ axis: 2, offset: [1, 2] }, x), [0, 0, 1, 2]);
    expectWindow(x, cropped({ axis: 2, offset: [1] }, x), [0, 0, 1, 1]);
  });

  it('5-D crop (Caffe TestCrop5D)', () => {
    const x = data([2, 4, 5, 4, 2]);
    const top = cropped({ axis: 2, offset: [1, 2, 0] }, x, ref([2, 3, 4, 2, 1]));
    expect(top.shape).toEqual([2, 4, 4, 2, 1]);
    expectWindow(x, top, [0, 0, 1, 2, 0]);
  });

  it('1-D crop', () => {
    const x = new Blob([5]);
    x.mutableCpuData().set([0, 1, 2, 3, 4]);
    expect(Array.from(cropped({ axis: 0, offset: [2] }, x, new Blob([3])).cpuData())).toEqual([2, 3, 4]);
  });

  it('backward zero-fills the bottom diff and copies the top diff into the window', () => {
    const x = new Blob([1, 1, 3, 3]),
      r = new Blob([1, 1, 2, 2]),
      top = new Blob(),
      l = make({ offset: [1, 0] });
    l.setUp([x, r], [top]);
    l.forward([x, r], [top]);
    x.mutableCpuDiff().fill(9);
    r.mutableCpuDiff().fill(9);
    top.mutableCpuDiff().set([1, 2, 3, 4]);
    l.backward([top], [true, true], [x, r]);
    expect(Array.from(x.cpuDiff())).toEqual([0, 0, 0, 1, 2, 0, 3, 4, 0]);
    expect(Array.from(r.cpuDiff())).toEqual([0, 0, 0, 0]);
  });

  it('rejects out-of-bounds crops and offset lists of the wrong length', () => {
    expect(() => cropped({ offset: [2] })).toThrow(
      'Check failed: bottom[0]->shape(i) - crop_offset >= bottom[1]->shape(i) (3 vs. 4) ' +
        'the crop for dimension 2 is out-of-bounds with size 4 and offset 2',
    );
    expect(() => cropped({ axis: 0, offset: [1, 1, 1] })).toThrow(
      'number of offset values specified must be equal to the number of dimensions following axis.',
    );
    expect(() => cropped({ axis: 4 })).toThrow('axis 4 out of range');
    expect(() => cropped({ axis: 0 }, data(), ref([2, 3, 4]))).toThrow('axis 3 out of range');
  });

  // Caffe: stepsize 1e-2, threshold 1e-3; bottom 1 (the size reference) gets a zero gradient
  it('gradient, crop all (Caffe TestCropAllGradient)', () => {
    checkGradient(make({ axis: 0 }), [data(), ref()], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('gradient, crop HW (Caffe TestCropHWGradient)', () => {
    checkGradient(make({ axis: 2, offset: [1, 2] }), [data(), ref()], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
  });

  it('gradient, 5-D (Caffe TestCrop5DGradient)', () => {
    checkGradient(make({ axis: 2, offset: [1, 2, 0] }), [data([2, 4, 5, 4, 2]), ref([2, 3, 4, 2, 1])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
  });
});
