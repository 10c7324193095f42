// Forward parity with reference Caffe: the exact `data` blob Caffe fed SqueezeNet v1.0 (data.npy, 12
// photos) through our net with an Input layer must give Caffe's conv1 / fire5/concat / fire9/concat /
// pool_final blobs (extract_features output) within 1e-4, measured as max |ours - caffe| / max |caffe|;
// on the CPU and in GPU mode (the WebGPU device).
import '../../src/layers';
import { Net } from '../../src/net';
import { readNetParamsFromTextFile } from '../../src/io/proto_io';
import { readNpy } from '../../src/io/npy';
import { setMinLogLevel } from '../../src/util/logging';
import { describeShared, relMaxError, sharedPath } from '../helpers';
import { openGpu } from '../../src/api/common';
import { gpuSkipReason } from '../gpu';

const dir = sharedPath('fixtures/models/squeezenet-v1.0');

for (const gpu of [false, true]) {
  const why = gpu ? gpuSkipReason() : undefined;
  const title = `SqueezeNet v1.0 forward matches Caffe${gpu ? ' in GPU mode' : ''}${why ? ` [skipped: ${why}]` : ''}`;
  (why ? describe.skip : describeShared)(title, () => {
    let net: Net;
    let release = () => {};
    const outputs: Record<string, Float32Array[]> = {};
    const blobs = {
      conv1: 'conv1.npy',
      'fire5/concat': 'fire5.npy',
      'fire9/concat': 'fire9.npy',
      pool_final: 'pool.npy',
    };

    beforeAll(() => {
      setMinLogLevel(1);
      if (gpu) release = openGpu(0);
      net = new Net(readNetParamsFromTextFile(`${dir}/deploy.prototxt`), { phase: 'TEST' });
      net.copyTrainedLayersFromFile(`${dir}/squeezenet_v1.0.caffemodel`);
      const data = readNpy(`${dir}/extract-features/data.npy`);
      const per = 3 * 227 * 227,
        n = data.shape[0];
      const input = net.blobByName('data');
      input.reshape([1, 3, 227, 227]);
      net.reshape();
      for (let i = 0; i < n; i++) {
        input.mutableCpuData().set(data.data.subarray(i * per, (i + 1) * per));
        net.forward();
        for (const b of Object.keys(blobs)) (outputs[b] ??= []).push(Float32Array.from(net.blobByName(b).cpuData()));
      }
    }, 300000);
    afterAll(() => {
      net?.dispose();
      release();
      setMinLogLevel(0);
    });

    it.each(Object.entries(blobs))('%s within 1e-4 of Caffe', (name, file) => {
      const ref = readNpy(`${dir}/extract-features/${file}`);
      const per = ref.data.length / ref.shape[0];
      const ours = new Float32Array(ref.data.length);
      for (let i = 0; i < ref.shape[0]; i++) ours.set(outputs[name][i].subarray(0, per), i * per);
      expect(outputs[name][0].length).toBe(per);
      const err = relMaxError(ours, ref.data);
      expect(err).toBeLessThan(1e-4);
    });
  });
}
