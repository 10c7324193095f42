// caffets test: tools/caffe.cpp test(): score a model over --iterations batches in the TEST phase,
// logging each batch's outputs, the mean loss and each output's mean.
import { Net } from '../net';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { streamFloat } from '../util/format';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ComputeFlags, selectDevice, stagesFromFlag } from './common';

export interface TestOptions extends ComputeFlags {
  model: string;
  weights: string;
  iterations?: number;
  level?: number;
  stage?: string;
}

export interface TestResult {
  /** mean of each output element, in Caffe's order */
  scores: { name: string; value: number; lossWeight: number }[];
  /** mean loss over the batches */
  loss: number;
}

const f32 = Math.fround;
const g = streamFloat;

export function testModel(o: TestOptions): TestResult {
  if (!o.model) throw new CaffeError('Need a model definition to score.');
  if (!o.weights) throw new CaffeError('Need model weights to score.');
  const iterations = o.iterations ?? 50;
  const stages = stagesFromFlag(o.stage ?? ''); // Caffe's --stage defaults to "", one empty stage
  const release = selectDevice(o);
  let net: Net | undefined;
  try {
    net = new Net(readNetParamsFromTextFile(o.model), { phase: 'TEST', level: o.level ?? 0, stages });
    net.copyTrainedLayersFromFile(o.weights);
    return scoreNet(net, iterations);
  } finally {
    net?.dispose();
    release();
  }
}

function scoreNet(net: Net, iterations: number): TestResult {
  log.info(`Running for ${iterations} iterations.`);

  const scores: number[] = [],
    outputIds: number[] = [];
  let loss = 0;
  for (let i = 0; i < iterations; i++) {
    loss = f32(loss + net.forward());
    let idx = 0;
    net.outputBlobs.forEach((blob, j) => {
      const name = net.blobNames[net.outputBlobIndices[j]];
      const v = blob.cpuData();
      for (let k = 0; k < v.length; k++, idx++) {
        if (i === 0) {
          scores.push(v[k]);
          outputIds.push(j);
        } else scores[idx] = f32(scores[idx] + v[k]);
        log.info(`Batch ${i}, ${name} = ${g(v[k])}`);
      }
    });
  }
  loss = f32(loss / iterations);
  log.info(`Loss: ${g(loss)}`);
  const result: TestResult = { scores: [], loss };
  scores.forEach((score, i) => {
    const blobId = net.outputBlobIndices[outputIds[i]];
    const name = net.blobNames[blobId],
      weight = net.blobLossWeights[blobId];
    const mean = f32(score / iterations);
    const lossMsg = weight ? ` (* ${g(weight)} = ${g(f32(weight * mean))} loss)` : '';
    log.info(`${name} = ${g(mean)}${lossMsg}`);
    result.scores.push({ name, value: mean, lossWeight: weight });
  });
  return result;
}
