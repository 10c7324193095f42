// Caffe's tools/compute_image_mean.cpp as a library call: the mean of every Datum of a database
// (encoded ones decoded as they are stored, float_data summed as floats), accumulated and divided
// in float32 as Caffe's BlobProto does, written as a BlobProto with the legacy num/channels/height/
// width fields (no shape), and the per-channel means logged as Caffe logs them.
import { openDB } from '../db';
import { decodeDatum } from '../formats/datum_wire';
import { formatG } from '../util/format';
import { decodeDatumNative } from '../io/datum';
import { writeProtoToBinaryFile } from '../io/proto_io';
import { Message } from '../proto/schema';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';

export interface ComputeImageMeanOptions {
  input: string;
  /** where the mean BlobProto goes; none = only log the channel means (as Caffe with one argument) */
  output?: string;
  backend?: string;
}

export interface ImageMean {
  channels: number;
  height: number;
  width: number;
  count: number;
  /** the mean image, CHW, as stored in the BlobProto */
  data: Float32Array;
  /** per-channel means, as logged */
  channelMeans: number[];
  blob: Message;
}

const f32 = Math.fround;

export async function computeImageMean(o: ComputeImageMeanOptions): Promise<ImageMean> {
  const db = await openDB(o.backend ?? 'lmdb', o.input, 'read');
  try {
    const cursor = await db.newCursor();
    if (!cursor.valid) throw new CaffeError(`${o.input}: the database is empty, there is no image to average`);
    const what = (key: string) => `${o.input} record ${key}`;
    const first = decodeDatum(cursor.value, () => what(cursor.key));
    if (await decodeDatumNative(first)) log.info('Decoding Datum');
    const channels = first.channels ?? 0,
      height = first.height ?? 0,
      width = first.width ?? 0;
    const dataSize = channels * height * width;
    const firstSize = Math.max(first.data?.length ?? 0, first.float_data?.length ?? 0);
    const sum = new Float32Array(firstSize);
    log.info('Starting iteration');
    let count = 0;
    while (cursor.valid) {
      const datum = decodeDatum(cursor.value, () => what(cursor.key));
      await decodeDatumNative(datum);
      const data: Uint8Array | undefined = datum.data,
        floats: Float32Array | undefined = datum.float_data;
      const size = Math.max(data?.length ?? 0, floats?.length ?? 0);
      const dims = [datum.channels ?? 0, datum.height ?? 0, datum.width ?? 0];
      if (dims.some((d) => d <= 0)) {
        throw new CaffeError(
          `${what(cursor.key)}: a Datum of ${dims[0]} channels, height ${dims[1]}, width ${dims[2]}: ` +
            'each must be positive',
        );
      }
      if (size !== dataSize || size > sum.length) {
        checkFailed(
          null,
          `size_in_datum == data_size (${size} vs. ${dataSize})`,
          `Incorrect data field size ${size} (record ${cursor.key})`,
        );
      }
      if (data && data.length) {
        for (let i = 0; i < size; i++) sum[i] += data[i]; // float += uint8: exact below 2^24
      } else {
        for (let i = 0; i < size; i++) sum[i] = f32(sum[i] + floats![i]);
      }
      if (++count % 10000 === 0) log.info(`Processed ${count} files.`);
      await cursor.next();
    }
    await cursor.close();
    if (count % 10000 !== 0) log.info(`Processed ${count} files.`);
    const mean = new Float32Array(sum.length);
    for (let i = 0; i < sum.length; i++) mean[i] = f32(sum[i] / count);
    const blob: Message = { num: 1, channels, height, width, data: mean };
    if (o.output !== undefined) {
      log.info(`Write to ${o.output}`);
      writeProtoToBinaryFile(blob, 'caffe.BlobProto', o.output);
    }
    const dim = height * width,
      channelMeans: number[] = [];
    log.info(`Number of channels: ${channels}`);
    for (let c = 0; c < channels; c++) {
      let m = 0; // std::vector<float>: a float sum
      for (let i = 0; i < dim; i++) m = f32(m + mean[dim * c + i]);
      const v = f32(m / dim);
      channelMeans.push(v);
      log.info(`mean_value channel [${c}]: ${formatG(v, 6)}`);
    }
    return { channels, height, width, count, data: mean, channelMeans, blob };
  } finally {
    await db.close();
  }
}
