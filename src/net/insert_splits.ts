// Caffe's InsertSplits: a top blob read by more than one bottom (or read by a bottom and also used as
// a loss through a non-zero loss_weight) is routed through a Split layer, so that every consumer gets
// its own blob and its own diff. The names are Caffe's, since logs and weight files carry them:
//   layer  `<blob>_<producer>_<top index>_split`
//   tops   `<blob>_<producer>_<top index>_split_<k>`, k = 0 .. consumers - 1
// When the split blob carries a loss weight, output 0 of the Split takes over that loss weight (the
// producer's loss_weight list is cleared) and the consumers read outputs 1, 2, ...
import { Message } from '../proto/schema';
import { cloneMessage } from '../proto/message';
import { CaffeError, excerpt } from '../util/errors';

export function splitLayerName(layerName: string, blobName: string, blobIdx: number): string {
  return `${blobName}_${layerName}_${blobIdx}_split`;
}

export function splitBlobName(layerName: string, blobName: string, blobIdx: number, splitIdx: number): string {
  return `${blobName}_${layerName}_${blobIdx}_split_${splitIdx}`;
}

/** The Split layer definition for top `blobIdx` (named `blobName`) of layer `layerName`. */
export function configureSplitLayer(
  layerName: string,
  blobName: string,
  blobIdx: number,
  splitCount: number,
  lossWeight: number,
): Message {
  const split: Message = {
    name: splitLayerName(layerName, blobName, blobIdx),
    type: 'Split',
    bottom: [blobName],
    top: [] as string[],
  };
  if (lossWeight) split.loss_weight = [] as number[];
  for (let k = 0; k < splitCount; k++) {
    split.top.push(splitBlobName(layerName, blobName, blobIdx, k));
    if (lossWeight) split.loss_weight.push(k === 0 ? lossWeight : 0);
  }
  return split;
}

// (layer index, top index) pairs as map keys
const key = (layer: number, idx: number) => `${layer},${idx}`;

/** A copy of `param` with Split layers inserted; throws on a bottom that no earlier layer produces. */
export function insertSplits(param: Message): Message {
  const layers: Message[] = param.layer ?? [];
  const lastTop = new Map<string, [number, number]>(); // blob name -> its latest producer (layer, top)
  const bottomSource = new Map<string, [number, number]>(); // (layer, bottom) -> producing (layer, top)
  const consumers = new Map<string, number>(); // (layer, top) -> number of readers (bottoms + loss use)
  const lossWeightOf = new Map<string, number>();
  const nextSplit = new Map<string, number>(); // (layer, top) -> next split output to hand out

  layers.forEach((lp, i) => {
    const bottoms: string[] = lp.bottom ?? [],
      tops: string[] = lp.top ?? [];
    bottoms.forEach((blob, j) => {
      const src = lastTop.get(blob);
      if (!src)
        throw new CaffeError(
          `Unknown bottom blob '${excerpt(blob)}' (layer '${excerpt(lp.name ?? '')}', bottom index ${j})`,
        );
      bottomSource.set(key(i, j), src);
      const k = key(src[0], src[1]);
      consumers.set(k, (consumers.get(k) ?? 0) + 1);
    });
    tops.forEach((blob, j) => lastTop.set(blob, [i, j]));
    // a top used as a loss counts as one more reader of it
    const weights: number[] = Array.from(lp.loss_weight ?? []);
    const lastLoss = Math.min(weights.length, tops.length);
    for (let j = 0; j < lastLoss; j++) {
      const src = lastTop.get(tops[j])!;
      const k = key(src[0], src[1]);
      lossWeightOf.set(k, weights[j]);
      if (weights[j]) consumers.set(k, (consumers.get(k) ?? 0) + 1);
    }
  });

  const out: Message[] = [];
  layers.forEach((orig, i) => {
    const lp = cloneMessage(orig);
    out.push(lp);
    const bottoms: string[] = lp.bottom ?? [];
    bottoms.forEach((blob, j) => {
      const src = bottomSource.get(key(i, j))!;
      const k = key(src[0], src[1]);
      if ((consumers.get(k) ?? 0) > 1) {
        const n = nextSplit.get(k) ?? 0;
        nextSplit.set(k, n + 1);
        bottoms[j] = splitBlobName(layers[src[0]].name ?? '', blob, src[1], n);
      }
    });
    const tops: string[] = lp.top ?? [];
    tops.forEach((blob, j) => {
      const k = key(i, j);
      const count = consumers.get(k) ?? 0;
      if (count <= 1) return;
      const lossWeight = lossWeightOf.get(k) ?? 0;
      out.push(configureSplitLayer(lp.name ?? '', blob, j, count, lossWeight));
      if (lossWeight) {
        // the Split's first output now carries the loss: the producer drops all its loss weights
        delete lp.loss_weight;
        nextSplit.set(k, (nextSplit.get(k) ?? 0) + 1);
      }
    });
  });

  const result: Message = {};
  for (const [f, v] of Object.entries(param)) if (f !== 'layer' && v !== undefined) result[f] = cloneMessage(v);
  result.layer = out;
  return result;
}
