// ImageData: batches of images listed in a text file (image_data_param.source, one `path label` per
// line, the label after the last space), read with root_folder prepended, resized to new_height x
// new_width when both are set, as colour (3 channels, BGR) or gray (is_color: false), transformed by
// transform_param and prefetched on a worker thread. shuffle reshuffles the list at set-up and at the
// start of every epoch with a generator seeded from the global one; rand_skip starts at line
// rand() % rand_skip. Tops: data and label.
import * as fs from 'fs';
import type { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { rng } from '../core/rng';
import { log } from '../util/logging';
import { BasePrefetchingDataLayer } from './base_data_layer';
import type { ImageSourceSpec } from '../data/prefetch_protocol';
import { check, checkOp, fatal } from '../util/check';
import { errnoText } from '../util/errors';
import { parseImageList } from '../io/image_list';

export class ImageDataLayer extends BasePrefetchingDataLayer {
  private spec!: ImageSourceSpec;

  private get p() {
    return this.param('image_data_param');
  }

  protected override dataLayerSetUp(_bottom: Blob[], _top: Blob[]): void {
    // Caffe reads them into ints: 2^31 and more are negative, which the CHECK below refuses
    const newHeight = this.p.new_height | 0,
      newWidth = this.p.new_width | 0;
    const isColor = this.p.is_color;
    const rootFolder = this.p.root_folder;
    check(
      this,
      (newHeight === 0 && newWidth === 0) || (newHeight > 0 && newWidth > 0),
      '(new_height == 0 && new_width == 0) || (new_height > 0 && new_width > 0)',
      'Current implementation requires new_height and new_width to be set at the same time.',
    );
    const source = this.p.source;
    log.info(`Opening file ${source}`);
    let text = '';
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (e) {
      // std::ifstream reads a missing file as empty, which Caffe then calls "File is empty": say what it is
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') fatal(this, `the image list file ${source} does not exist`);
      fatal(this, `cannot read the image list file ${source}: ${errnoText(e as NodeJS.ErrnoException)}`);
    }
    const lines = parseImageList(text);
    check(this, lines.length > 0, '!lines_.empty()', 'File is empty');

    let shuffleSeed: number | null = null;
    if (this.p.shuffle) {
      log.info('Shuffling data');
      shuffleSeed = rng().u32();
    }
    log.info(`A total of ${lines.length} images.`);
    let start = 0;
    const randSkip = this.p.rand_skip;
    if (randSkip) {
      const skip = rng().u32() % randSkip;
      log.info(`Skipping first ${skip} data points.`);
      checkOp(this, lines.length, '>', skip, 'lines_.size() > skip', 'Not enough points to skip');
      start = skip;
    }
    checkOp(this, this.batchSize(), '>', 0, 'batch_size > 0', 'Positive batch size required');
    this.spec = { kind: 'images', lines, rootFolder, newHeight, newWidth, isColor, shuffleSeed, start };
  }

  protected batchSize(): number {
    return this.p.batch_size;
  }

  protected sourceSpec(): ImageSourceSpec {
    return this.spec;
  }

  override exactNumTopBlobs(): number {
    return 2;
  }
}

registerLayer('ImageData', ImageDataLayer);
