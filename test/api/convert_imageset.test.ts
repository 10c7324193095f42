// convert_imageset: the same keys and byte-identical Datums as BVLC Caffe's (golden LMDBs in
// ../shared, and LMDBs the installed convert_imageset makes at test time), and its error handling.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import sharp from 'sharp';
import { ConvertImagesetOptions, convertImageset, readImageList, formatKey } from '../../src/api/convert_imageset';
import { openDB } from '../../src/db';
import { decodeMessage } from '../../src/formats/wire';
import { decodeDatumNative } from '../../src/io/datum';
import { log, setLogSink } from '../../src/util/logging';
import { ProgressBar } from '../../src/util/progress';
import { ROOT, describeCaffe, describeShared, haveBinary, sharedPath, tmpDir } from '../helpers';

const HAVE_CONVERT_IMAGESET = haveBinary('convert_imageset');

type Rec = [string, Buffer];
async function records(db: string, backend = 'lmdb'): Promise<Rec[]> {
  const h = await openDB(backend, db, 'read');
  const c = await h.newCursor();
  const out: Rec[] = [];
  for (; c.valid; await c.next()) out.push([c.key, Buffer.from(c.value)]);
  await c.close();
  await h.close();
  return out;
}

/** Runs fn with log lines captured (and kept off the test output). */
async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    return { result: await fn(), lines };
  } finally {
    restore();
  }
}

describeShared('convert_imageset vs Caffe-made golden LMDBs', () => {
  it('fmnist-1200 --gray: the keys and byte-identical Datums of lenet-fmnist/train_lmdb', async () => {
    const root = sharedPath('fixtures', 'datasets', 'fmnist-1200');
    const db = path.join(tmpDir(), 'train_lmdb');
    const { result, lines } = await logged(() =>
      convertImageset({ root: root + '/', listFile: path.join(root, 'train.txt'), db, gray: true, progress: false }),
    );
    expect(result).toMatchObject({ count: 1000, total: 1000, skipped: [] });
    expect(lines.some((l) => / convert_imageset\.ts:\d+\] A total of 1000 images\.$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.endsWith('Processed 1000 files.'))).toHaveLength(1);
    const mine = await records(db),
      ref = await records(sharedPath('fixtures', 'caffe-train', 'lenet-fmnist', 'train_lmdb'));
    expect(mine.map((r) => r[0])).toEqual(ref.map((r) => r[0]));
    expect(mine.filter((r, i) => !r[1].equals(ref[i][1])).map((r) => r[0])).toEqual([]);
  });

  const dist = path.join(ROOT, 'dist', 'api', 'convert_imageset.js');
  const distFresh =
    fs.existsSync(dist) &&
    fs.statSync(dist).mtimeMs >= fs.statSync(path.join(ROOT, 'src', 'api', 'convert_imageset.ts')).mtimeMs;
  (distFresh ? it : it.skip)(
    `the CLI from dist/, decoding on worker threads, ` +
      `makes the same LMDB${distFresh ? '' : ' [skipped: dist/ is not built or older than src/]'}`,
    async () => {
      const root = sharedPath('fixtures', 'datasets', 'fmnist-1200');
      const db = path.join(tmpDir(), 'cli_lmdb');
      const out = execFileSync(
        process.execPath,
        [path.join(ROOT, 'bin', 'caffets'), 'convert_imageset', '--gray', `${root}/`, path.join(root, 'train.txt'), db],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(out.toString()).toBe('');
      const mine = await records(db),
        ref = await records(sharedPath('fixtures', 'caffe-train', 'lenet-fmnist', 'train_lmdb'));
      expect(mine.length).toBe(1000);
      expect(mine.filter((r, i) => r[0] !== ref[i][0] || !r[1].equals(ref[i][1])).map((r) => r[0])).toEqual([]);
    },
  );

  it('photo-crops-400 (colour, PNG and JPEG): the keys and Datums of alexnet-mini/train_lmdb', async () => {
    const root = sharedPath('fixtures', 'datasets', 'photo-crops-400');
    const db = path.join(tmpDir(), 'train_lmdb');
    await logged(() =>
      convertImageset({ root: root + '/', listFile: path.join(root, 'train.txt'), db, progress: false }),
    );
    const mine = await records(db),
      ref = await records(sharedPath('fixtures', 'caffe-train', 'alexnet-mini', 'train_lmdb'));
    expect(mine.map((r) => r[0])).toEqual(ref.map((r) => r[0]));
    expect(mine.filter((r, i) => !r[1].equals(ref[i][1])).map((r) => r[0])).toEqual([]);
  });
});

describeShared('convert_imageset list lines as Caffe reads them (fmnist-1200 images)', () => {
  // label-less, tab, leading-space, trailing-space, empty, CRLF and plain lines
  const LIST = [
    'img/00000.png 9',
    'img/00001.png',
    'img/00002.png\t1',
    ' img/00003.png 3',
    'img/00004.png 4 ',
    '',
    'img/00005.png 5\r',
    'img/00006.png\r',
    '7',
    'img/00007.png 7',
    'img/00008.png 8',
  ];
  const root = sharedPath('fixtures', 'datasets', 'fmnist-1200') + '/';
  let d: string, list: string;
  beforeAll(() => {
    d = tmpDir();
    list = path.join(d, 'list.txt');
    fs.writeFileSync(list, LIST.join('\n') + '\n');
  });

  it('keeps the label-less and CRLF lines, skips the others with a hint, keys by line', async () => {
    const db = path.join(d, 'mine');
    const { result, lines } = await logged(() =>
      convertImageset({ root, listFile: list, db, gray: true, progress: false }),
    );
    expect(result).toMatchObject({ count: 5, total: 11 });
    const recs = await records(db);
    expect(recs.map((r) => [r[0], decodeMessage(r[1], 'caffe.Datum').label])).toEqual([
      ['00000000_img/00000.png', 9],
      ['00000001_img/00001.png', 0],
      ['00000006_img/00005.png', 5],
      ['00000009_img/00007.png', 7],
      ['00000010_img/00008.png', 8],
    ]);
    const errors = lines.filter((l) => l.startsWith('E')).map((l) => l.replace(/^.*\] /, ''));
    expect(errors).toEqual([
      `Could not open or find file ${root}img/00002.png\\t1 (ENOENT) [${list}:3: it holds a tab: only a space ` +
        `separates the label]`,
      `Could not open or find file ${root} img/00003.png (ENOENT) [${list}:4: it starts with whitespace, which ` +
        `stays in the file name]`,
      `Could not open or find file ${root}img/00004.png 4 (ENOENT) [${list}:5: it ends with a space, so the label ` +
        `is read after that space (0)]`,
      `Could not open or find file ${root} [${list}:6: the line is empty]`,
      `Could not open or find file ${root}img/00006.png\\r (ENOENT) [${list}:8: it ends with a CR (CRLF line ` +
        `ends), kept in the name; it has no space, so it is all file name (no label)]`,
      `Could not open or find file ${root}7 (ENOENT) [${list}:9: it has no space, so it is all file name (no label)]`,
    ]);
    expect(lines.filter((l) => l.startsWith('W'))).toEqual([
      expect.stringContaining(`4 line(s) of ${list} have no space, so no label`),
    ]);
  });

  (HAVE_CONVERT_IMAGESET ? it : it.skip)(
    `the same keys and Datum bytes as Caffe's convert_imageset` +
      (HAVE_CONVERT_IMAGESET ? '' : ' [skipped: convert_imageset is not installed]'),
    async () => {
      const ref = path.join(d, 'ref'),
        db = path.join(d, 'mine_vs_ref');
      execFileSync('convert_imageset', ['--gray', root, list, ref], { stdio: 'pipe' });
      await logged(() => convertImageset({ root, listFile: list, db, gray: true, progress: false }));
      const mine = await records(db),
        theirs = await records(ref);
      expect(theirs).toHaveLength(5);
      expect(mine.map((r) => r[0])).toEqual(theirs.map((r) => r[0]));
      expect(mine.filter((r, i) => !r[1].equals(theirs[i][1])).map((r) => r[0])).toEqual([]);
    },
  );
});

describeCaffe('convert_imageset vs the installed convert_imageset', () => {
  const images = sharedPath('fixtures', 'images');
  let d: string, list: string;
  beforeAll(() => {
    d = tmpDir();
    list = path.join(d, 'list.txt'); // as squeezenet-v1.0/extract-features/list.txt
    fs.writeFileSync(
      list,
      fs
        .readdirSync(images)
        .sort()
        .map((f, i) => `${f} ${i}\n`)
        .join(''),
    );
  });

  async function both(flags: string[], opts: Partial<ConvertImagesetOptions>) {
    const ref = path.join(d, `ref${Math.random().toString(36).slice(2)}`),
      mine = `${ref}_mine`;
    execFileSync('convert_imageset', [...flags, `${images}/`, list, ref], { stdio: 'pipe' });
    await logged(() => convertImageset({ root: `${images}/`, listFile: list, db: mine, progress: false, ...opts }));
    return [await records(mine), await records(ref)];
  }

  it('real photos resized to 256x256: the same keys and Datum bytes', async () => {
    const [mine, ref] = await both(['--resize_height=256', '--resize_width=256'], {
      resizeHeight: 256,
      resizeWidth: 256,
    });
    expect(mine.map((r) => r[0])).toEqual(ref.map((r) => r[0]));
    expect(ref).toHaveLength(12);
    expect(mine.filter((r, i) => !r[1].equals(ref[i][1])).map((r) => r[0])).toEqual([]);
  });

  it('48 ImageNet-like JPEGs (500x375, q90), 256x256, colour and --gray: the same bytes', async () => {
    // crops of the photos as scripts/bench-data.js makes them; 48 x 192 KiB spans several commits
    const dir = path.join(d, 'inet');
    fs.mkdirSync(dir);
    const photos = fs.readdirSync(images).sort();
    const lines: string[] = [];
    for (let i = 0; i < 48; i++) {
      const src = path.join(images, photos[i % photos.length]);
      const { width = 0, height = 0 } = await sharp(src).metadata();
      const w = Math.round(Math.min(width, (height * 4) / 3) * (0.6 + ((i * 37) % 41) / 100)),
        h = Math.round((w * 3) / 4);
      await sharp(src)
        .extract({ left: (i * 13) % (width - w + 1), top: (i * 7) % (height - h + 1), width: w, height: h })
        .resize(500, 375, { fit: 'fill' })
        .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
        .toFile(path.join(dir, `i${i}.jpg`));
      lines.push(`i${i}.jpg ${i % 7}`);
    }
    const lf = path.join(dir, 'list.txt');
    fs.writeFileSync(lf, lines.join('\n') + '\n');
    for (const gray of [false, true]) {
      const flags = ['--resize_height=256', '--resize_width=256', ...(gray ? ['--gray'] : [])];
      const ref = path.join(d, `inet_ref_${gray}`),
        mine = `${ref}_mine`;
      execFileSync('convert_imageset', [...flags, `${dir}/`, lf, ref], { stdio: 'pipe' });
      await logged(() =>
        convertImageset({
          root: `${dir}/`,
          listFile: lf,
          db: mine,
          gray,
          resizeHeight: 256,
          resizeWidth: 256,
          progress: false,
        }),
      );
      const [a, b] = [await records(mine), await records(ref)];
      expect(b).toHaveLength(48);
      expect(a.map((r) => r[0])).toEqual(b.map((r) => r[0]));
      expect([gray, a.filter((r, i) => !r[1].equals(b[i][1])).map((r) => r[0])]).toEqual([gray, []]);
    }
  });

  it(
    '--encoded: file bytes stored as they are; ' + '--encode_type=png with a resize: the same pixels as Caffe',
    async () => {
      const [asIs, refAsIs] = await both(['--encoded'], { encoded: true });
      expect(asIs.filter((r, i) => !r[1].equals(refAsIs[i][1])).map((r) => r[0])).toEqual([]);
      const [png, refPng] = await both(['--encode_type=png', '--resize_height=32', '--resize_width=48'], {
        encodeType: 'png',
        resizeHeight: 32,
        resizeWidth: 48,
      });
      for (let i = 0; i < refPng.length; i++) {
        const a = decodeMessage(png[i][1], 'caffe.Datum'),
          b = decodeMessage(refPng[i][1], 'caffe.Datum');
        expect([a.encoded, a.label]).toEqual([true, b.label]);
        await decodeDatumNative(a);
        await decodeDatumNative(b);
        expect([png[i][0], Buffer.from(a.data).equals(Buffer.from(b.data))]).toEqual([png[i][0], true]);
      }
    },
  );
});

describe('convert_imageset behaviour', () => {
  let d: string;
  beforeAll(async () => {
    d = tmpDir();
    for (const [name, v] of [
      ['a.png', 10],
      ['b.png', 20],
      ['c.png', 30],
      ['d.jpg', 40],
    ] as [string, number][]) {
      const s = sharp(Buffer.alloc(4 * 3 * 3, v), { raw: { width: 4, height: 3, channels: 3 } });
      await (name.endsWith('.png') ? s.png() : s.jpeg()).toFile(path.join(d, name));
    }
    await sharp(Buffer.alloc(12, 1), { raw: { width: 2, height: 2, channels: 3 } })
      .png()
      .toFile(path.join(d, 'big.png'));
    fs.mkdirSync(path.join(d, 'sub dir'));
    fs.copyFileSync(path.join(d, 'a.png'), path.join(d, 'sub dir', 'x y.png'));
  });
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(d, name), text);
    return path.join(d, name);
  };
  const conv = (o: Partial<ConvertImagesetOptions> & { listFile: string; db: string }) =>
    logged(() => convertImageset({ root: `${d}/`, progress: false, ...o }));

  it('reads the label after the LAST space (paths may hold spaces); a line without one is all name', async () => {
    const l = write('spaces.txt', 'sub dir/x y.png 7\r\na.png -2\nb.png\n');
    const { result, lines } = await logged(async () => readImageList(l));
    expect(result).toEqual([
      { path: 'sub dir/x y.png', label: 7, line: 1 },
      { path: 'a.png', label: -2, line: 2 },
      { path: 'b.png', label: 0, line: 3, hint: `${l}:3: it has no space, so it is all file name (no label)` },
    ]);
    expect(lines.filter((x) => x.startsWith('W'))).toEqual([
      expect.stringContaining(`1 line(s) of ${l} have no space, so no label`),
    ]);
    expect(readImageList(write('bad2.txt', 'a.png one\n'))).toEqual([{ path: 'a.png', label: 0, line: 1 }]);
    expect(() => readImageList(path.join(d, 'none.txt'))).toThrow(/cannot read list file .*none\.txt/);
  });

  it('logs a missing image with its path, skips it, and converts the rest (keys keep list positions)', async () => {
    const db = path.join(d, 'skip_lmdb');
    const { result, lines } = await conv({ listFile: write('miss.txt', 'a.png 1\nmissing.png 2\nb.png 3\n'), db });
    expect(result).toMatchObject({ count: 2, total: 3, skipped: [`${d}/missing.png`] });
    expect(lines.some((l) => l.startsWith('E') && l.includes(`Could not open or find file ${d}/missing.png`))).toBe(
      true,
    );
    expect(lines.filter((l) => /Processed 2 files\.$/.test(l))).toHaveLength(1);
    const recs = await records(db);
    expect(recs.map((r) => r[0])).toEqual(['00000000_a.png', '00000002_b.png']);
    expect(decodeMessage(recs[1][1], 'caffe.Datum')).toMatchObject({
      channels: 3,
      height: 3,
      width: 4,
      label: 3,
      encoded: false,
    });
    expect(fs.readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses an existing database unless --overwrite, which replaces it whole', async () => {
    const db = path.join(d, 'exists_lmdb');
    const list = write('two.txt', 'a.png 1\nb.png 2\n');
    await conv({ listFile: list, db });
    await expect(conv({ listFile: list, db })).rejects.toThrow(`${db} already exists`);
    await conv({ listFile: write('one.txt', 'c.png 5\n'), db, overwrite: true });
    expect((await records(db)).map((r) => r[0])).toEqual(['00000000_c.png']);
    expect(fs.readdirSync(d).filter((f) => f.startsWith('exists_lmdb'))).toEqual(['exists_lmdb']);
  });

  it('leaves nothing under the final name when it fails (--check_size)', async () => {
    const db = path.join(d, 'fail_lmdb');
    await expect(conv({ listFile: write('mixed.txt', 'a.png 1\nbig.png 2\n'), db, checkSize: true })).rejects.toThrow(
      /Incorrect data field size/,
    );
    expect(fs.existsSync(db)).toBe(false);
    expect(fs.readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('--shuffle is repeatable for a seed, a permutation, keyed by position after the shuffle', async () => {
    const list = write('shuf.txt', Array.from({ length: 12 }, (_, i) => `${'abc'[i % 3]}.png ${i}\n`).join(''));
    const keys = async (seed: number, name: string) => {
      const db = path.join(d, name);
      await conv({ listFile: list, db, shuffle: true, shuffleSeed: seed });
      return (await records(db)).map(([k, v]) => `${k}:${decodeMessage(v, 'caffe.Datum').label}`);
    };
    const a = await keys(1701, 's1'),
      b = await keys(1701, 's2'),
      c = await keys(7, 's3');
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.map((k) => Number(k.split(':')[1])).sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    expect(a.map((k) => k.slice(0, 8))).toEqual([...Array(12).keys()].map((i) => formatKey(i, '').slice(0, 8)));
  });

  it('draws a progress bar on a terminal only, routing log lines around it', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (x: string) => writes.push(x) };
    const bar = new ProgressBar(4, 'convert_imageset', tty);
    bar.tick(4);
    log.info('Processed 4 files.');
    bar.finish();
    expect(writes[0].startsWith('\r\x1b[Kconvert_imageset [')).toBe(true);
    expect(writes[0]).toMatch(/\[=+\] 4\/4 100% /);
    expect(writes.some((w) => w.startsWith('\r\x1b[K') && w.endsWith('] Processed 4 files.\n'))).toBe(true);
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
    const plain: string[] = [];
    const off = new ProgressBar(4, 'x', { isTTY: false, write: (x: string) => plain.push(x) });
    off.tick(4);
    off.finish();
    expect(plain).toEqual([]);
  });

  it('writes LevelDB too, and gray with a resize', async () => {
    const db = path.join(d, 'gray_leveldb');
    await conv({
      listFile: write('g.txt', 'a.png 1\nd.jpg 4\n'),
      db,
      backend: 'leveldb',
      gray: true,
      resizeHeight: 6,
      resizeWidth: 5,
    });
    const recs = await records(db, 'leveldb');
    expect(recs.map((r) => r[0])).toEqual(['00000000_a.png', '00000001_d.jpg']);
    const a = decodeMessage(recs[0][1], 'caffe.Datum');
    expect([a.channels, a.height, a.width, a.label]).toEqual([1, 6, 5, 1]);
    expect(Array.from(a.data as Uint8Array).every((v) => v === 10)).toBe(true);
  });
});
