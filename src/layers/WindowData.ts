// WindowData: R-CNN's detection fine-tuning input (window_data_layer.cpp). The window file
// (window_data_param.source, io/window_file.ts) lists images and their windows with a class and an
// overlap; windows with overlap >= fg_threshold are foreground, those < bg_threshold background (class
// 0). Each batch holds int(batch_size * fg_fraction) foreground windows after the background ones,
// drawn by the layer's own generator (seeded from the global one at set-up), each cropped with
// context_pad pixels of context (crop_mode warp, or square), warped to crop_size x crop_size, mirrored
// at random when transform_param.mirror is set, and written as (pixel - mean) * window_data_param.scale
// (data/window_batch.ts). Only crop_size, mirror, mean_file and mean_value of transform_param apply.
// Tops: data N x C x crop x crop (C: the window file's channel count), label N.
import type { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { rng } from '../core/rng';
import type { WindowSourceSpec } from '../data/prefetch_protocol';
import { legacyDim } from '../data/transformer_base';
import { WINDOW_FIELDS, readWindowFile } from '../io/window_file';
import { withDefaults } from '../proto/schema';
import { check, checkOp, fatal } from '../util/check';
import { formatG } from '../util/format';
import { log } from '../util/logging';
import { BasePrefetchingDataLayer } from './base_data_layer';

const g = (x: number) => formatG(Math.fround(x), 6); // ostream << float

export class WindowDataLayer extends BasePrefetchingDataLayer {
  private spec!: WindowSourceSpec;
  protected override logsOutputSize = false;

  private get p() {
    return this.param('window_data_param');
  }

  protected override dataLayerSetUp(_bottom: Blob[], top: Blob[]): void {
    const p = this.p;
    const tp = withDefaults('caffe.TransformationParameter', this.layerParam.transform_param ?? {});
    log.info(
      `Window data layer:\n  foreground (object) overlap threshold: ${g(p.fg_threshold)}\n` +
        `  background (non-object) overlap threshold: ${g(p.bg_threshold)}\n` +
        `  foreground sampling fraction: ${g(p.fg_fraction)}\n  cache_images: ${p.cache_images ? 1 : 0}\n` +
        `  root_folder: ${p.root_folder}`,
    );
    const cropSize = tp.crop_size | 0;
    const seed = tp.mirror || cropSize ? rng().u32() : 0; // prefetch_rng_'s seed (caffe_rng_rand())
    const file = readWindowFile(this, p.source, {
      rootFolder: p.root_folder,
      fgThreshold: p.fg_threshold,
      bgThreshold: p.bg_threshold,
    });
    for (const im of file.images) {
      if (im.index % 100 === 0)
        log.info(
          `num: ${im.index} ${im.path} ${im.channels} ${im.height} ${im.width} windows to process: ${im.numWindows}`,
        );
    }
    const last = file.images[file.images.length - 1];
    log.info(`Number of images: ${last.index + 1}`);
    for (const [cls, n] of [...file.labelHist].sort((a, b) => a[0] - b[0])) log.info(`class ${cls} has ${n} samples`);
    log.info(`Amount of context padding: ${p.context_pad}`);
    log.info(`Crop mode: ${p.crop_mode}`);
    if (p.crop_mode !== 'warp' && p.crop_mode !== 'square')
      log.warning(`${this.who}: crop_mode "${p.crop_mode}" is neither "warp" nor "square": Caffe warps`);

    const hint = this.rawParam('window_data_param').crop_size
      ? 'set transform_param.crop_size: WindowData reads window_data_param.crop_size only through the V1 upgrade'
      : undefined;
    checkOp(this, cropSize, '>', 0, 'crop_size > 0', hint);
    const batchSize = this.batchSize();
    const channels = last.channels;
    top[0].reshape([batchSize, channels, cropSize, cropSize]);
    log.info(`output data size: ${batchSize},${channels},${cropSize},${cropSize}`);
    top[1].reshape([batchSize]);

    // the data mean: the transformer has read the mean file (and checked it excludes mean_value)
    const mean = this.transformer.state.mean;
    const meanFile = this.layerParam.transform_param?.mean_file;
    if (meanFile !== undefined) log.info(`Loading mean file from: ${meanFile}`);
    let meanValues: number[] | null = null;
    const mv = Array.from(this.layerParam.transform_param?.mean_value ?? [], (v: number) => Math.fround(v));
    if (mv.length > 0) {
      check(
        this,
        mv.length === 1 || mv.length === channels,
        'mean_values_.size() == 1 || mean_values_.size() == channels',
        `Specify either 1 mean_value or as many as channels: ${channels}`,
      );
      meanValues = mv.length === 1 ? new Array<number>(channels).fill(mv[0]) : mv;
    }

    // caffets' checks of what Caffe reads out of bounds, divides by zero or overflows with
    const src = `${p.source}:${last.channelsAt}`;
    checkOp(this, channels, '==', 3, 'channels == 3', `${src}: images are read as colour, 3 channels`);
    const contextPad = p.context_pad;
    if (!(cropSize > 2 * contextPad))
      fatal(this, `context_pad ${contextPad} leaves no window in crop_size ${cropSize} (crop_size > 2 context_pad)`);
    const numFg = Math.trunc(Math.fround(batchSize * Math.fround(p.fg_fraction)));
    if (!(numFg >= 0 && numFg <= batchSize))
      fatal(this, `fg_fraction ${g(p.fg_fraction)} asks for ${numFg} foreground windows in a batch of ${batchSize}`);
    const fgCount = file.fg.length / WINDOW_FIELDS,
      bgCount = file.bg.length / WINDOW_FIELDS;
    checkOp(this, fgCount, '>', 0, 'fg_windows_.size() > 0', `no window in ${p.source} has overlap >= fg_threshold`);
    checkOp(this, bgCount, '>', 0, 'bg_windows_.size() > 0', `no window in ${p.source} has overlap < bg_threshold`);
    if (mean) {
      const [mc, mh, mw] = [1, 2, 3].map((i) => legacyDim(mean.shape, i));
      const off = Math.trunc((mw - cropSize) / 2);
      if (mc < channels || mw < cropSize || mh < cropSize + off)
        fatal(
          this,
          `the mean file ${meanFile} (${mc} x ${mh} x ${mw}) does not cover the centred ${channels} x ` +
            `${cropSize} x ${cropSize} crop that WindowData subtracts`,
        );
    }
    if (this.layerParam.transform_param?.scale !== undefined)
      log.warning(`${this.who}: transform_param.scale is not applied (as in Caffe): window_data_param.scale is`);
    this.spec = {
      kind: 'windows',
      images: file.images.map((im) => im.path),
      fg: file.fg,
      bg: file.bg,
      channels,
      cropSize,
      contextPad,
      square: p.crop_mode === 'square',
      mirror: tp.mirror,
      numFg,
      scale: Math.fround(p.scale),
      meanValues,
      cacheImages: p.cache_images,
      seed,
    };
  }

  protected batchSize(): number {
    return this.p.batch_size | 0;
  }

  protected sourceSpec(): WindowSourceSpec {
    return this.spec;
  }

  override exactNumTopBlobs(): number {
    return 2;
  }
}

registerLayer('WindowData', WindowDataLayer);
