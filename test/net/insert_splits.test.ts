// InsertSplits against what reference Caffe builds (the layer and blob names below are the ones in
// Caffe's setup logs for the same nets, see caffe_logs.ts).
import { insertSplits } from '../../src/net';
import { Message } from '../../src/proto/schema';
import { cloneMessage } from '../../src/proto/message';
import { netParam } from './support';

const wiring = (p: Message) =>
  (p.layer as Message[]).map(
    (l) =>
      `${l.name}: ${(l.bottom ?? []).join(',')} -> ${(l.top ?? []).join(',')}` +
      `${l.loss_weight ? ` [${l.loss_weight.join(',')}]` : ''}`,
  );

const INPUT2 =
  'layer { name: "data" type: "Input" top: "data" top: "label" ' +
  'input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 4 } } }';

describe('insertSplits', () => {
  it('leaves nets without shared blobs alone (in-place chains included)', () => {
    const p = netParam(`name: "n" force_backward: true ${INPUT2}
      layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" }
      layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
      layer { name: "relu2" type: "ReLU" bottom: "ip1" top: "ip1" }
      layer { name: "loss" type: "EuclideanLoss" bottom: "ip1" bottom: "label" top: "loss" }`);
    const before = cloneMessage(p);
    const out = insertSplits(p);
    expect(out).toEqual(before);
    expect(out).not.toBe(p);
    expect(p).toEqual(before); // input untouched
  });

  it('splits a blob read by two layers, and one read by three after an in-place chain', () => {
    const p = netParam(`${INPUT2}
      layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" }
      layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
      layer { name: "relu1b" type: "ReLU" bottom: "ip1" top: "ip1" }
      layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" }
      layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" }
      layer { name: "ip4" type: "InnerProduct" bottom: "ip1" top: "ip4" }
      layer { name: "loss2" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss2" }
      layer { name: "loss3" type: "EuclideanLoss" bottom: "ip3" bottom: "label" top: "loss3" }`);
    expect(wiring(insertSplits(p))).toEqual([
      'data:  -> data,label',
      'label_data_1_split: label -> label_data_1_split_0,label_data_1_split_1',
      'ip1: data -> ip1',
      'relu1: ip1 -> ip1',
      'relu1b: ip1 -> ip1',
      'ip1_relu1b_0_split: ip1 -> ip1_relu1b_0_split_0,ip1_relu1b_0_split_1,ip1_relu1b_0_split_2',
      'ip2: ip1_relu1b_0_split_0 -> ip2',
      'ip3: ip1_relu1b_0_split_1 -> ip3',
      'ip4: ip1_relu1b_0_split_2 -> ip4',
      'loss2: ip2,label_data_1_split_0 -> loss2',
      'loss3: ip3,label_data_1_split_1 -> loss3',
    ]);
    const split = insertSplits(p).layer[1];
    expect(split).toEqual({
      name: 'label_data_1_split',
      type: 'Split',
      bottom: ['label'],
      top: ['label_data_1_split_0', 'label_data_1_split_1'],
    });
  });

  it('gives a consumed loss top an extra split output that carries the loss weight', () => {
    const p = netParam(`${INPUT2}
      layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" loss_weight: 2.5 }
      layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" }
      layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" }
      layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" loss_weight: 1 }
      layer { name: "lossrelu" type: "ReLU" bottom: "loss" top: "lossrelu" }
      layer { name: "loss_b" type: "EuclideanLoss" bottom: "ip3" bottom: "label" top: "loss_b" }
      layer { name: "loss_b_relu" type: "ReLU" bottom: "loss_b" top: "loss_b_relu" }`);
    expect(wiring(insertSplits(p))).toEqual([
      'data:  -> data,label',
      'label_data_1_split: label -> label_data_1_split_0,label_data_1_split_1',
      'ip1: data -> ip1',
      'ip1_ip1_0_split: ip1 -> ip1_ip1_0_split_0,ip1_ip1_0_split_1,ip1_ip1_0_split_2 [2.5,0,0]',
      'ip2: ip1_ip1_0_split_1 -> ip2',
      'ip3: ip1_ip1_0_split_2 -> ip3',
      'loss: ip2,label_data_1_split_0 -> loss',
      'loss_loss_0_split: loss -> loss_loss_0_split_0,loss_loss_0_split_1 [1,0]',
      'lossrelu: loss_loss_0_split_1 -> lossrelu',
      // an implicit loss weight (loss layers' default) is not seen here, as in Caffe
      'loss_b: ip3,label_data_1_split_1 -> loss_b',
      'loss_b_relu: loss_b -> loss_b_relu',
    ]);
  });

  it("clears all of the producer's loss weights when one of its tops is split (Caffe does)", () => {
    const p = netParam(`layer { name: "data" type: "Input" top: "data" top: "label" loss_weight: 1 loss_weight: 3 }
      layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" }`);
    expect(wiring(insertSplits(p))).toEqual([
      'data:  -> data,label',
      'data_data_0_split: data -> data_data_0_split_0,data_data_0_split_1 [1,0]',
      'ip1: data_data_0_split_1 -> ip1',
    ]);
  });

  it('splits a blob read twice by one layer; a zero loss weight is no reader', () => {
    const p = netParam(`layer { name: "data" type: "Input" top: "data" loss_weight: 0 }
      layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" }
      layer { name: "l2" type: "EuclideanLoss" bottom: "ip1" bottom: "ip1" }`);
    expect(wiring(insertSplits(p))).toEqual([
      'data:  -> data [0]',
      'ip1: data -> ip1',
      'ip1_ip1_0_split: ip1 -> ip1_ip1_0_split_0,ip1_ip1_0_split_1',
      'l2: ip1_ip1_0_split_0,ip1_ip1_0_split_1 -> ',
    ]);
  });

  it('names splits after the latest producer when a name is produced again', () => {
    const p = netParam(`layer { name: "a" type: "Input" top: "x" }
      layer { name: "r1" type: "ReLU" bottom: "x" top: "y" }
      layer { name: "r2" type: "ReLU" bottom: "x" top: "z" }
      layer { name: "b" type: "ReLU" bottom: "y" top: "x" }
      layer { name: "r3" type: "ReLU" bottom: "x" top: "u" }
      layer { name: "r4" type: "ReLU" bottom: "x" top: "v" }`);
    expect(wiring(insertSplits(p))).toEqual([
      'a:  -> x',
      'x_a_0_split: x -> x_a_0_split_0,x_a_0_split_1',
      'r1: x_a_0_split_0 -> y',
      'r2: x_a_0_split_1 -> z',
      'b: y -> x',
      'x_b_0_split: x -> x_b_0_split_0,x_b_0_split_1',
      'r3: x_b_0_split_0 -> u',
      'r4: x_b_0_split_1 -> v',
    ]);
  });

  it('reports a bottom nobody produced, as Caffe', () => {
    const p = netParam(`${INPUT2} layer { name: "ip1" type: "InnerProduct" bottom: "data" bottom: "dat" top: "ip1" }`);
    expect(() => insertSplits(p)).toThrow("Unknown bottom blob 'dat' (layer 'ip1', bottom index 1)");
  });
});
