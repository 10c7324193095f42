// The caffets classify command: images from files, folders and @lists through a Classifier, printed
// as Caffe's classification example prints them (or as one JSON document).
import { openGpu, threadsFromFlag } from './common';
import { setThreads } from '../backend';
import * as fs from 'fs';
import { CaffeError } from '../util/errors';
import { ProgressBar } from '../util/progress';
import { Classifier, ClassifierOptions, ClassifyResult } from './classify';

const IMAGE_EXT = /\.(jpe?g|jpe|png|webp|tiff?|bmp|p[bgpn]m)$/i;

/** printf("%.4f") of a float32 value (exact: ties to even as glibc rounds the binary value). */
export function fixed4(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? (x < 0 ? '-nan' : 'nan') : x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0),
    y = Math.abs(x) * 10000;
  if (y >= 2 ** 52) return (neg ? '-' : '') + Math.abs(x).toFixed(4);
  const f = Math.floor(y),
    d = y - f,
    r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return `${neg ? '-' : ''}${Math.floor(r / 10000)}.${String(r % 10000).padStart(4, '0')}`;
}

/** The lines Caffe's classification example prints for one image. */
export function formatPrediction(r: ClassifyResult): string {
  const lines = [`---------- Prediction for ${r.image} ----------`];
  for (const p of r.predictions ?? [])
    lines.push(`${fixed4(p.score)} - ${p.label !== undefined ? `"${p.label}"` : p.index}`);
  return lines.join('\n') + '\n';
}

/**
 * Image files from arguments: a file, a folder (its images, sorted), or @list (one path a line, an optional
 * label after).
 */
export function expandImageArgs(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a.startsWith('@')) {
      const list = a.slice(1);
      let text: string;
      try {
        text = fs.readFileSync(list, 'utf8');
      } catch {
        throw new CaffeError(`Unable to open image list ${list}`);
      }
      const dir = list.includes('/') ? list.slice(0, list.lastIndexOf('/') + 1) : '';
      for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const file = /^(.*\S)\s+-?\d+$/.exec(line)?.[1] ?? line;
        out.push(file.startsWith('/') || fs.existsSync(file) || !dir ? file : dir + file);
      }
    } else if (fs.existsSync(a) && fs.statSync(a).isDirectory()) {
      const sep = a.endsWith('/') ? '' : '/';
      out.push(
        ...fs
          .readdirSync(a)
          .filter((f) => IMAGE_EXT.test(f) && fs.statSync(a + sep + f).isFile())
          .sort()
          .map((f) => a + sep + f),
      );
    } else out.push(a);
  }
  return out;
}

export interface ClassifyCommandOptions extends Omit<ClassifierOptions, 'meanFile' | 'labels' | 'deploy' | 'weights'> {
  /**
   * DEPLOY WEIGHTS [MEAN] [LABELS] IMG...: MEAN is absent with --mean_value, LABELS with --labels or when
   * the images follow at once; '-' or 'none' = none
   */
  positionals: string[];
  labels?: string;
  topK?: number;
  json?: boolean;
  progress?: boolean;
  /** where Caffe's lines / the JSON go (default stdout) */
  out?: (s: string) => void;
  /** classify on this GPU (--gpu) */
  gpu?: number;
  /** compute threads (--threads); else OMP_NUM_THREADS, else one per CPU */
  threads?: string | number;
}

/** '-' or 'none' (yargs drops a lone '-' positional) stand for no mean file / no labels. */
const none = (v: string | undefined) => v === '-' || v === 'none' || v === '';

/** An IMG argument rather than a labels file: an @list, a folder, or a file named as an image. */
const looksLikeImages = (v: string | undefined) =>
  v !== undefined && (v.startsWith('@') || IMAGE_EXT.test(v) || (fs.existsSync(v) && fs.statSync(v).isDirectory()));

/** The CLI: resolves the positionals, prints Caffe's lines (or one JSON document); 1 when an image failed. */
export async function classifyCommand(o: ClassifyCommandOptions): Promise<number> {
  const rest = o.positionals.slice(2),
    out =
      o.out ??
      ((s: string) => {
        process.stdout.write(s);
      });
  if (!o.out)
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    }); // `| head`
  const need = (what: string) => {
    if (!rest.length)
      throw new CaffeError(`classify: missing ${what} (usage: caffets classify DEPLOY WEIGHTS MEAN LABELS IMG...)`);
    return rest.shift()!;
  };
  let meanFile: string | undefined;
  if (o.meanValue === undefined) meanFile = need('MEAN (a .binaryproto, or none)');
  else if (none(rest[0]) && (o.labels !== undefined || none(rest[1])))
    rest.shift(); // `none` in MEAN's place
  else if (rest[0]?.endsWith('.binaryproto')) throw new CaffeError('give either a mean file or --mean_value, not both');
  let labels = o.labels;
  if (labels === undefined) {
    // LABELS is left out when images follow at once: `DEPLOY WEIGHTS none IMG...` is neither mean nor labels
    labels = none(rest[0]) || !looksLikeImages(rest[0]) ? need('LABELS (a labels file, or none)') : 'none';
  }
  const files = expandImageArgs(rest);
  if (!files.length) throw new CaffeError('classify: no images given');
  const [deploy, weights] = o.positionals;
  setThreads(threadsFromFlag(o.threads));
  const release = o.gpu === undefined ? () => {} : openGpu(o.gpu);
  try {
    return await classifyAll(o, files, deploy, weights, meanFile, labels, out);
  } finally {
    release();
  }
}

async function classifyAll(
  o: ClassifyCommandOptions,
  files: string[],
  deploy: string,
  weights: string,
  meanFile: string | undefined,
  labels: string | undefined,
  out: (s: string) => void,
): Promise<number> {
  const c = new Classifier({
    ...o,
    deploy,
    weights,
    meanFile: none(meanFile) ? undefined : meanFile,
    labels: none(labels) ? undefined : labels,
  });
  const bar = new ProgressBar(files.length, 'classify', process.stderr, o.progress ?? true);
  const results: ClassifyResult[] = [];
  let failed = 0;
  try {
    // stdout lines wipe the bar first (it is redrawn on the next tick)
    await c.classifyFiles(files, o.topK ?? 5, (r) => {
      if (process.stderr.isTTY && o.progress !== false) process.stderr.write('\r\x1b[K');
      if (r.error) {
        failed++;
        if (!o.json) process.stderr.write(`caffets: ${r.error}\n`);
      }
      if (o.json) results.push(r);
      else if (!r.error) out(formatPrediction(r));
      bar.tick();
    });
  } finally {
    bar.finish();
  }
  if (o.json) {
    out(
      JSON.stringify(
        {
          deploy,
          weights,
          mean: c.mean ? (o.meanValue ?? meanFile) : null,
          labels: c.labels ? labels : null,
          output: c.outputName,
          mode: o.mode ?? 'resize',
          results: results.map((r) =>
            r.error ? { image: r.image, error: r.error } : { image: r.image, predictions: r.predictions },
          ),
        },
        null,
        2,
      ) + '\n',
    );
  }
  return failed ? 1 : 0;
}
