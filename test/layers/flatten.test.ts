import '../../src/layers/Flatten';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'flat', type: 'Flatten', flatten_param: p });
const bottom = () => randomBlob([2, 3, 6, 5]); // Caffe's fixture shape

describeEngines('Flatten', () => {
  it('sets up with the default axes, axis, end_axis, and both (Caffe TestSetup*)', () => {
    const cases: [object, number[]][] = [
      [{}, [2, 90]],
      [{ axis: 2 }, [2, 3, 30]],
      [{ end_axis: -2 }, [2, 18, 5]],
      [{ axis: 0, end_axis: -2 }, [36, 5]],
      [{ axis: -3, end_axis: 2 }, [2, 18, 5]],
      [{ axis: 3 }, [2, 3, 6, 5]],
    ];
    for (const [p, want] of cases) {
      const top = new Blob();
      make(p).setUp([bottom()], [top]);
      expect(top.shape).toEqual(want);
    }
  });

  it("forward: the top is the bottom's data memory, in the same order (Caffe TestForward)", () => {
    const x = bottom(),
      top = new Blob(),
      l = make();
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(top.dataMemory).toBe(x.dataMemory);
    for (let c = 0; c < 90; c++) {
      expect(top.cpuData()[c]).toBe(x.cpuData()[x.offset(0, Math.floor(c / 30), Math.floor(c / 5) % 6, c % 5)]);
      expect(top.cpuData()[90 + c]).toBe(x.cpuData()[x.offset(1, Math.floor(c / 30), Math.floor(c / 5) % 6, c % 5)]);
    }
    x.mutableCpuData()[7] = 42; // a write to the bottom shows in the top
    expect(top.cpuData()[7]).toBe(42);
  });

  it("backward: the bottom takes the top's diff memory", () => {
    const x = bottom(),
      top = new Blob(),
      l = make();
    l.setUp([x], [top]);
    l.forward([x], [top]);
    top.mutableCpuDiff().fill(3);
    l.backward([top], [true], [x]);
    expect(x.diffMemory).toBe(top.diffMemory);
    expect(Array.from(x.cpuDiff()).every((v) => v === 3)).toBe(true);
  });

  it('refuses in-place use and bad axes', () => {
    const x = bottom();
    expect(() => make().setUp([x], [x])).toThrow('Flatten Layer does not allow in-place computation.');
    expect(() => make({ axis: 4 }).setUp([bottom()], [new Blob()])).toThrow('axis 4 out of range');
  });

  it('gradient (Caffe TestGradient: 1e-2, 1e-2)', () => {
    checkGradient(make(), [bottom()], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
    checkGradient(make({ axis: 0, end_axis: -2 }), [randomBlob([2, 3, 4])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
    });
  });
});
