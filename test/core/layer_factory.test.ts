// core/layer_factory: a `Python` layer runs the TypeScript class registered as `<module>.<layer>`; without
// one, one line says that Python layers cannot run and how to register the TypeScript one.
import '../../src/layers';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { createLayer, registerLayer } from '../../src/core/layer_factory';
import { Net } from '../../src/net';
import { parsePrototxt } from '../../src/formats/prototxt';
import { CaffeError } from '../../src/util/errors';
import { setLogSink } from '../../src/util/logging';

const NET = (module: string, layer: string) =>
  parsePrototxt(
    'name: "py"\n' +
      'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }\n' +
      `layer { name: "scaled" type: "Python" bottom: "data" top: "out" python_param { module: "${module}" ` +
      `layer: "${layer}" param_str: "2.5" } }\n`,
    'caffe.NetParameter',
  );

/** y = param_str * x, as a Python layer's setup() would read it. */
class ScaleByParamStr extends Layer {
  private k = 0;
  override layerSetUp(): void {
    this.k = Number(this.param('python_param').param_str);
  }
  override reshape(bottom: Blob[], top: Blob[]): void {
    top[0].reshapeLike(bottom[0]);
  }
  override forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    for (let i = 0; i < x.length; i++) y[i] = this.k * x[i];
  }
  override backwardCpu(): void {}
}

let restore: () => void;
beforeAll(() => (restore = setLogSink(() => undefined)));
afterAll(() => restore());

describe('Python layers', () => {
  it('without a TypeScript stand-in: one line naming the layer, its module and class, and registerLayer', () => {
    const make = () => new Net(NET('my_layers', 'Doubler'), { phase: 'TEST' });
    expect(make).toThrow(CaffeError);
    expect(make).toThrow(
      'layer "scaled" is a Python layer (python_param module "my_layers", layer "Doubler"), and Python layers ' +
        'cannot run in caffets: write it in TypeScript as a class extending Layer (layerSetUp, reshape, ' +
        "forwardCpu, backwardCpu; param_str is this.param('python_param').param_str) and register it before " +
        "building the net with registerLayer('my_layers.Doubler', Doubler) (import { Layer, registerLayer } " +
        "from 'caffets')",
    );
    expect(() => createLayer({ name: 'p', type: 'Python' })).toThrow(
      /^layer "p" is a Python layer \(python_param module "", layer ""\).*registerLayer\('\.', MyLayer\)/,
    );
  });

  it('runs the class registered as <module>.<layer>, which reads param_str', () => {
    registerLayer('scalers.ScaleByParamStr', ScaleByParamStr);
    const net = new Net(NET('scalers', 'ScaleByParamStr'), { phase: 'TEST' });
    net.blobByName('data')!.mutableCpuData().set([1, 2, 3, 4, 5, 6]);
    net.forward();
    expect([...net.blobByName('out')!.cpuData()]).toEqual([2.5, 5, 7.5, 10, 12.5, 15]);
  });
});
