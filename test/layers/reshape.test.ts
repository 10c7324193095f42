import '../../src/layers/Reshape';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (dims: number[], extra: object = {}) =>
  createLayer({ name: 'reshape', type: 'Reshape', reshape_param: { shape: { dim: dims }, ...extra } });
const bottom = () => randomBlob([2, 3, 6, 5]); // Caffe's fixture shape

function shapeOf(dims: number[], extra: object = {}, x = bottom()): readonly number[] {
  const top = new Blob();
  make(dims, extra).setUp([x], [top]);
  return top.shape;
}

describeEngines('Reshape', () => {
  it(
    '0 copies a dim and -1 is inferred ' +
      '(Caffe TestFlattenOutputSizes / TestCopyDimensions / TestInferenceOfUnspecified)',
    () => {
      expect(shapeOf([0, -1, 1, 1])).toEqual([2, 90, 1, 1]);
      expect(shapeOf([0, 0, 0, 0])).toEqual([2, 3, 6, 5]);
      expect(shapeOf([0, 3, 10, -1])).toEqual([2, 3, 10, 3]);
      expect(shapeOf([-1])).toEqual([180]);
    },
  );

  it(
    'axis and num_axes ' +
      '(Caffe TestInferenceOfUnspecifiedWithStartAxis / TestInsertSingletonAxes* / TestFlattenMiddle)',
    () => {
      expect(shapeOf([3, 10, -1], { axis: 1 })).toEqual([2, 3, 10, 3]);
      expect(shapeOf([1, 1, 1], { axis: 0, num_axes: 0 })).toEqual([1, 1, 1, 2, 3, 6, 5]);
      expect(shapeOf([1, 1, 1], { axis: 2, num_axes: 0 })).toEqual([2, 3, 1, 1, 1, 6, 5]);
      expect(shapeOf([1, 1, 1], { axis: -1, num_axes: 0 })).toEqual([2, 3, 6, 5, 1, 1, 1]);
      expect(shapeOf([-1], { axis: 1, num_axes: 2 })).toEqual([2, 18, 5]);
      expect(shapeOf([0, -1], { axis: -3, num_axes: 2 })).toEqual([2, 3, 6, 5]); // axis -3 starts after axis 1
      expect(shapeOf([0, 2, -1], { axis: 1 })).toEqual([2, 3, 2, 15]);
    },
  );

  it('the top is a view: same data and diff memory, values in order (Caffe TestForward / TestFlattenValues)', () => {
    const x = bottom(),
      top = new Blob(),
      l = make([6, 2, 3, 5]);
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(top.shape).toEqual([6, 2, 3, 5]);
    expect(top.dataMemory).toBe(x.dataMemory);
    expect(top.diffMemory).toBe(x.diffMemory);
    expect(Array.from(top.cpuData())).toEqual(Array.from(x.cpuData()));
    // the gradient is the identity: a top diff is the bottom diff
    top.mutableCpuDiff().set(Float32Array.from({ length: 180 }, (_, i) => i));
    l.backward([top], [true], [x]);
    expect(x.cpuDiff()[179]).toBe(179);
  });

  it('forward after the bottom is reshaped (Caffe TestForwardAfterReshape)', () => {
    const x = bottom(),
      top = new Blob(),
      l = make([6, 2, 3, 5]);
    l.setUp([x], [top]);
    l.forward([x], [top]);
    x.reshape([180]);
    l.reshape([x], [top]);
    x.mutableCpuData().set(randomBlob([180], -1, 1, 99).cpuData());
    l.forward([x], [top]);
    expect(Array.from(top.cpuData())).toEqual(Array.from(x.cpuData()));
    // a bigger bottom (new memory) is followed
    x.reshape([2, 3, 6, 10]);
    const y = new Blob();
    const l2 = make([0, -1]);
    l2.setUp([x], [y]);
    expect(y.shape).toEqual([2, 180]);
    expect(y.dataMemory).toBe(x.dataMemory);
  });

  it('errors: two -1s, a 0 past the bottom axes, indivisible count, count mismatch, bad axis, in place', () => {
    expect(() => shapeOf([-1, 0, -1])).toThrow(
      'Check failed: inferred_axis_ == -1 (0 vs. -1) new shape contains multiple -1 dims; ' +
        'at most a single (1) value of -1 may be specified',
    );
    expect(() => shapeOf([0, 0, 0, 0, 0])).toThrow(
      'new shape contains a 0, but there was no corresponding bottom axis to copy',
    );
    expect(() => shapeOf([7, -1])).toThrow(
      'bottom count (180) must be divisible by the product of the specified dimensions (7)',
    );
    expect(() => shapeOf([2, 3])).toThrow(
      'Check failed: top[0]->count() == bottom[0]->count() (6 vs. 180) output count must match input count',
    );
    expect(() => shapeOf([1], { axis: 5 })).toThrow('axis 5 out of range for 4-D input blob');
    expect(() => shapeOf([1], { axis: -6 })).toThrow('axis -6 out of range');
    expect(() => shapeOf([1], { axis: 2, num_axes: 3 })).toThrow('end_axis = axis + num_axes is out of range');
    expect(() => shapeOf([1], { num_axes: -2 })).toThrow('num_axes must be >= 0, or -1 for all');
    const x = bottom();
    expect(() => make([-1]).setUp([x], [x])).toThrow('Reshape Layer does not allow in-place computation.');
  });
});

describeEngines('Reshape gradient (top shares the bottom diff)', () => {
  it('passes the gradient check', () => {
    const l = createLayer({ name: 'r', type: 'Reshape', reshape_param: { shape: { dim: [0, -1] } } });
    checkGradient(l, [randomBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
  });
});
