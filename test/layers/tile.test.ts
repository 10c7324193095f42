import '../../src/layers/Tile';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object) => createLayer({ name: 'tile', type: 'Tile', tile_param: p });
const bottom = () => randomBlob([2, 3, 4, 5]); // Caffe's fixture shape

describeEngines('Tile', () => {
  it('sets up on every axis with 1 and 3 tiles (Caffe TestTrivialSetup / TestSetup)', () => {
    for (const tiles of [1, 3]) {
      for (let axis = 0; axis < 4; axis++) {
        const top = new Blob();
        make({ axis, tiles }).setUp([bottom()], [top]);
        expect(top.shape).toEqual([2, 3, 4, 5].map((d, j) => (j === axis ? d * tiles : d)));
      }
    }
  });

  it('forward along num and channels (Caffe TestForwardNum / TestForwardChannels)', () => {
    const x = bottom(),
      xs = x.cpuData();
    for (const axis of [0, 1]) {
      const top = new Blob(),
        l = make({ axis, tiles: 3 });
      l.setUp([x], [top]);
      l.forward([x], [top]);
      for (let n = 0; n < top.num; n++) {
        for (let c = 0; c < top.channels; c++) {
          for (let h = 0; h < 4; h++) {
            for (let w = 0; w < 5; w++) {
              const bn = axis === 0 ? n % 2 : n,
                bc = axis === 1 ? c % 3 : c;
              expect(top.cpuData()[top.offset(n, c, h, w)]).toBe(xs[x.offset(bn, bc, h, w)]);
            }
          }
        }
      }
    }
  });

  it('hand-computed: axis -1', () => {
    const x = new Blob([2, 2]);
    x.mutableCpuData().set([1, 2, 3, 4]);
    const top = new Blob(),
      l = make({ axis: -1, tiles: 2 });
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(Array.from(top.cpuData())).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    top.mutableCpuDiff().set([1, 10, 100, 1000, 2, 20, 200, 2000]);
    l.backward([top], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([101, 1010, 202, 2020]);
  });

  it('requires a positive number of tiles', () => {
    expect(() => make({ axis: 1 }).setUp([bottom()], [new Blob()])).toThrow('Number of tiles must be specified');
    expect(() => make({ tiles: 0 }).setUp([bottom()], [new Blob()])).toThrow(
      'Check failed: tiles_ > 0 (0 vs. 0) Number of tiles must be positive.',
    );
  });

  it('tiles nothing quickly, however many tiles (2^31 - 1 empty copies took minutes)', () => {
    const x = new Blob([2, 0]),
      top = new Blob(),
      l = make({ axis: 1, tiles: 2 ** 31 - 1 });
    l.setUp([x], [top]);
    expect(top.shape).toEqual([2, 0]);
    const t0 = Date.now();
    l.forward([x], [top]);
    l.backward([top], [true], [x]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  // Caffe: stepsize 1e-2, threshold 1e-2
  it('gradient, trivial / num / channels (Caffe TestTrivialGradient / TestGradientNum / TestGradientChannels)', () => {
    checkGradient(make({ tiles: 1 }), [bottom()], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
    checkGradient(make({ axis: 0, tiles: 3 }), [bottom()], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
    checkGradient(make({ axis: 1, tiles: 3 }), [bottom()], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
  });
});
