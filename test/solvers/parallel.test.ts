// Data-parallel training's parts that need neither MPI nor threads: the buckets gradients are summed
// in (backward's order, readiness by the lowest layer using a parameter, shared parameters) and the
// in-process communicator's sums (several ops in flight, rounds reusing the arena, abort),
// driven from one thread.
import { Net } from '../../src/net';
import { makeBuckets } from '../../src/solvers/parallel';
import { ThreadCommunicator, createThreadGroup } from '../../src/backend/comm_threads';
import { parsePrototxt } from '../../src/formats/prototxt';
import { setLogSink } from '../../src/util/logging';

const arr = (a: ArrayLike<number>) => Array.from(a);

let restoreLog: () => void;
beforeAll(() => {
  restoreLog = setLogSink(() => undefined);
});
afterAll(() => restoreLog());

/** x -> ip1 (6x4 + 6) -> ip2 (3x6 + 3) -> ip3 (3x3) -> ip4 (3x3) -> loss; `share`: ip3 and ip4 share w3 */
const net = (share: boolean) => {
  const w3 = share ? 'param { name: "w3" } ' : '';
  const ip = (n: string, b: string, t: string, out: number, extra = '') =>
    `layer { name: "${n}" type: "InnerProduct" bottom: "${b}" top: "${t}" ${extra}` +
    `inner_product_param { num_output: ${out}${extra ? ' bias_term: false' : ''} } }`;
  const text = [
    'name: "b"',
    'layer { name: "in" type: "Input" top: "x" top: "y" ' +
      'input_param { shape { dim: 2 dim: 4 } shape { dim: 2 dim: 3 } } }',
    ip('ip1', 'x', 'h1', 6),
    ip('ip2', 'h1', 'h2', 3),
    ip('ip3', 'h2', 'h3', 3, w3 || ' '),
    ip('ip4', 'h3', 'h4', 3, w3 || ' '),
    'layer { name: "loss" type: "EuclideanLoss" bottom: "h4" bottom: "y" top: "loss" }',
  ].join('\n');
  return new Net(parsePrototxt(text, 'caffe.NetParameter'), { phase: 'TRAIN' });
};

describe('gradient buckets', () => {
  it('follow backward: a bucket is complete after the backward of the lowest layer using its params', () => {
    const n = net(false);
    // learnable: ip1 w (24), ip1 b (6), ip2 w (18), ip2 b (3), ip3 w (9), ip4 w (9); layers 1..4
    expect(n.learnableParams.map((p) => p.count)).toEqual([24, 6, 18, 3, 9, 9]);
    const one = makeBuckets(n, 1); // a bucket per param, in backward's order
    expect(one.map((b) => b.params.map((p) => p.count))).toEqual([[9], [9], [18], [3], [24], [6]]);
    expect(one.map((b) => b.readyLayer)).toEqual([4, 3, 2, 2, 1, 1]);
    const big = makeBuckets(n, 20); // at least 20 floats each
    expect(big.map((b) => b.params.map((p) => p.count))).toEqual([[9, 9, 18], [3, 24], [6]]);
    expect(big.map((b) => b.readyLayer)).toEqual([2, 1, 1]);
    expect(makeBuckets(n, 1 << 20).map((b) => b.readyLayer)).toEqual([1]);
    n.dispose();
  });

  it('a shared parameter is complete only after the lowest layer using it (its owner)', () => {
    const n = net(true);
    expect(n.learnableParams.map((p) => p.count)).toEqual([24, 6, 18, 3, 9]);
    const one = makeBuckets(n, 1);
    expect(one.map((b) => b.params.map((p) => p.count))).toEqual([[9], [18], [3], [24], [6]]);
    expect(one.map((b) => b.readyLayer)).toEqual([3, 2, 2, 1, 1]);
    n.dispose();
  });
});

describe('ThreadCommunicator (two replicas driven from one thread)', () => {
  const pair = (capacity: number) => {
    const g = createThreadGroup(2, capacity);
    return [new ThreadCommunicator(g, 0), new ThreadCommunicator(g, 1)];
  };
  const f32 = (v: number[]) => Float32Array.from(v);

  it('sums element-wise, in float, into the same bits on every replica; several sums in flight', () => {
    const [c0, c1] = pair(4096);
    const a = f32([1, 2, 0.1, 1e8]),
      b = f32([10, -2, 0.2, 1]);
    const want = arr(f32([11, 0, Math.fround(Math.fround(0.1) + Math.fround(0.2)), 1e8]));
    const x = f32([5]),
      y = f32([7]);
    const r0 = c0.sumStart(a),
      s0 = c0.sumStart(x);
    const r1 = c1.sumStart(b),
      s1 = c1.sumStart(y);
    r0.wait();
    s0.wait();
    r1.wait();
    s1.wait();
    expect(arr(a)).toEqual(want);
    expect(arr(b)).toEqual(want);
    expect([x[0], y[0]]).toEqual([12, 12]);
    // a new round reuses the arena
    const p = f32([1, 1]),
      q = f32([2, 3]);
    const rp = c0.sumStart(p),
      rq = c1.sumStart(q);
    rp.wait();
    rq.wait();
    expect([arr(p), arr(q)]).toEqual([
      [3, 4],
      [3, 4],
    ]);
  });

  it('a replica that failed makes the others stop waiting', () => {
    const [c0, c1] = pair(1024);
    const r0 = c0.sumStart(f32([1]));
    c1.abort();
    expect(() => r0.wait()).toThrow('another replica failed');
  });
});
