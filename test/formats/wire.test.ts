import * as fs from 'fs';
import * as path from 'path';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { CaffeError } from '../../src/util/errors';
import { describeShared, findFiles, SHARED } from '../helpers';

describe('wire codec', () => {
  const net = {
    name: 'tiny',
    layer: [
      {
        name: 'ip',
        type: 'InnerProduct',
        bottom: ['data'],
        top: ['ip'],
        param: [{ lr_mult: 1 }, { lr_mult: 2, decay_mult: 0 }],
        blobs: [
          { shape: { dim: [2, 3] }, data: new Float32Array([1, -2, 3.5, 0, 1e-7, -1e30]) },
          { shape: { dim: [2] }, data: [0.5, 0.25] },
        ],
        inner_product_param: { num_output: 2, weight_filler: { type: 'xavier' } },
        phase: 'TEST',
      },
    ],
  };

  it('round-trips a net with blobs, enums, nested and repeated messages', () => {
    const bytes = encodeMessage(net, 'caffe.NetParameter');
    const back = decodeMessage(bytes, 'NetParameter');
    expect(back.name).toBe('tiny');
    const l = back.layer[0];
    expect(l.phase).toBe('TEST');
    expect(l.bottom).toEqual(['data']);
    expect(l.param).toEqual([{ lr_mult: 1 }, { lr_mult: 2, decay_mult: 0 }]);
    expect(l.blobs[0].shape.dim).toEqual([2, 3]);
    expect(l.blobs[0].data).toBeInstanceOf(Float32Array);
    expect(Array.from(l.blobs[0].data)).toEqual(Array.from(new Float32Array([1, -2, 3.5, 0, 1e-7, -1e30])));
    expect(Array.from(l.blobs[1].data)).toEqual([0.5, 0.25]);
    expect(l.inner_product_param).toEqual({ num_output: 2, weight_filler: { type: 'xavier' } });
    expect(Buffer.compare(Buffer.from(encodeMessage(back, 'NetParameter')), Buffer.from(bytes))).toBe(0);
  });

  it('writes packed floats as one length-delimited field (BlobProto.data = 5)', () => {
    const bytes = encodeMessage({ data: [1, 2] }, 'caffe.BlobProto');
    expect(Array.from(bytes)).toEqual([0x2a, 8, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  it('reads unpacked repeated floats (Datum.float_data) into a Float32Array', () => {
    const bytes = encodeMessage({ channels: 1, height: 1, width: 2, float_data: [0.5, -1], label: 7 }, 'caffe.Datum');
    const d = decodeMessage(bytes, 'caffe.Datum');
    expect(d.float_data).toBeInstanceOf(Float32Array);
    expect(Array.from(d.float_data)).toEqual([0.5, -1]);
    expect(d.label).toBe(7);
  });

  it('encodes negative int32 and enum values as 10-byte varints like protobuf C++', () => {
    const bytes = encodeMessage({ axis: -1 }, 'caffe.SoftmaxParameter');
    expect(bytes.length).toBe(1 + 10);
    expect(decodeMessage(bytes, 'caffe.SoftmaxParameter').axis).toBe(-1);
  });

  it('skips unknown fields', () => {
    // field 1000 (varint 5) then name = "x"
    const bytes = Uint8Array.from([0xc0, 0x3e, 5, 0x0a, 1, 0x78]);
    expect(decodeMessage(bytes, 'caffe.NetParameter')).toEqual({ name: 'x' });
  });

  it('reports a truncated file in one line naming it', () => {
    const bytes = encodeMessage(net, 'caffe.NetParameter');
    const cut = bytes.subarray(0, bytes.length - 7);
    expect(() => decodeMessage(cut, 'caffe.NetParameter', 'w.caffemodel')).toThrow(CaffeError);
    try {
      decodeMessage(cut, 'caffe.NetParameter', 'w.caffemodel');
    } catch (e) {
      expect((e as Error).message).toMatch(
        /^w\.caffemodel: cannot parse as caffe\.NetParameter \(truncated or corrupt/,
      );
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('decodes a 64 MB blob with a single copy into a Float32Array', () => {
    const n = 16 * 1024 * 1024;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i += 4099) data[i] = i;
    const bytes = encodeMessage({ layer: [{ name: 'big', blobs: [{ shape: { dim: [n] }, data }] }] }, 'NetParameter');
    const t = Date.now();
    const back = decodeMessage(bytes, 'NetParameter');
    const ms = Date.now() - t;
    const got = back.layer[0].blobs[0].data as Float32Array;
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.buffer).not.toBe(bytes.buffer);
    expect(got.length).toBe(n);
    expect(got[4099 * 100]).toBe(4099 * 100);
    expect(ms).toBeLessThan(2000); // a number[] expansion would take seconds and ~5x the memory
  });
});

describeShared('wire codec on Caffe-written files', () => {
  const models = findFiles(path.join(SHARED, 'fixtures'), /\.caffemodel$/);
  it.each(models.map((m) => [path.relative(SHARED, m), m]))('%s re-encodes byte for byte', (_rel, file) => {
    const buf = fs.readFileSync(file);
    const m = decodeMessage(buf, 'caffe.NetParameter', file);
    expect(Buffer.compare(Buffer.from(encodeMessage(m, 'caffe.NetParameter')), buf)).toBe(0);
  });

  const states = findFiles(path.join(SHARED, 'fixtures'), /\.solverstate$/);
  it.each(states.map((m) => [path.relative(SHARED, m), m]))('%s re-encodes byte for byte', (_rel, file) => {
    const buf = fs.readFileSync(file);
    const m = decodeMessage(buf, 'caffe.SolverState', file);
    expect(typeof m.iter).toBe('number');
    expect(m.history.length).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(encodeMessage(m, 'caffe.SolverState')), buf)).toBe(0);
  });

  const means = findFiles(path.join(SHARED, 'fixtures'), /\.binaryproto$/);
  it.each(means.map((m) => [path.relative(SHARED, m), m]))('%s (mean file) re-encodes byte for byte', (_rel, file) => {
    const buf = fs.readFileSync(file);
    const m = decodeMessage(buf, 'caffe.BlobProto', file);
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(m.data.length).toBe((m.num ?? 1) * m.channels * m.height * m.width);
    expect(Buffer.compare(Buffer.from(encodeMessage(m, 'caffe.BlobProto')), buf)).toBe(0);
  });
});
