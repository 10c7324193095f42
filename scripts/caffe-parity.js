#!/usr/bin/env node
// Checks caffets' upgrade tools against reference BVLC Caffe's, file by file:
//   nets:      caffets upgrade_net_proto_text X == caffe's upgrade_net_proto_text X (byte for byte), and
//              caffe's re-print of caffets' output == caffe's upgrade of X
//   solvers:   the same with upgrade_solver_proto_text
//   weights:   caffets upgrade_net_proto_binary X == caffe's upgrade_net_proto_binary X (byte for byte)
// Usage: node scripts/caffe-parity.js DIR_OR_FILE... [--json]   (needs `npm run build` and reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createHash } = require('crypto');
const { spawnSync } = require('child_process');

const dist = path.resolve(__dirname, '../dist');
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** What kind of file this is for the upgrade tools: 'net', 'solver', 'weights' or null. */
function kindOf(file) {
  if (file.endsWith('.caffemodel')) return 'weights';
  if (!file.endsWith('.prototxt')) return null;
  return /solver/i.test(path.basename(file)) ? 'solver' : 'net';
}

const TOOL = {
  net: 'upgrade_net_proto_text',
  solver: 'upgrade_solver_proto_text',
  weights: 'upgrade_net_proto_binary',
};

/** Runs reference Caffe's upgrade tool; returns {ok, out: Buffer|null, log}. */
function caffeUpgrade(kind, input, output) {
  const r = spawnSync(TOOL[kind], [input, output], {
    encoding: 'utf8',
    env: { ...process.env, GLOG_minloglevel: '0' },
  });
  const ok = r.status === 0 && fs.existsSync(output);
  return {
    ok,
    status: r.status,
    out: fs.existsSync(output) ? fs.readFileSync(output) : null,
    log: (r.stderr || '') + (r.stdout || ''),
  };
}

/** Runs caffets' own upgrade (library API, logs silenced); returns {ok, out, error}. */
function oursUpgrade(kind, input, output) {
  const api = require(path.join(dist, 'api/upgrade_tools.js'));
  const { setLogSink } = require(path.join(dist, 'util/logging.js'));
  const restore = setLogSink(() => {});
  try {
    const fn = { net: api.upgradeNetProtoText, solver: api.upgradeSolverProtoText, weights: api.upgradeNetProtoBinary }[
      kind
    ];
    const ok = fn(input, output);
    return { ok, out: fs.readFileSync(output) };
  } catch (e) {
    return { ok: false, out: null, error: e.message };
  } finally {
    restore();
  }
}

/** Compares one file; returns a result row. */
function checkFile(file) {
  const kind = kindOf(file);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-parity-'));
  const ext = kind === 'weights' ? '.caffemodel' : '.prototxt';
  const caffe = caffeUpgrade(kind, file, path.join(tmp, 'caffe' + ext));
  const ours = oursUpgrade(kind, file, path.join(tmp, 'ours' + ext));
  const row = {
    file,
    kind,
    caffeOk: caffe.ok,
    oursOk: ours.ok,
    identical: false,
    reprintIdentical: null,
    caffeSha: caffe.out ? sha256(caffe.out) : null,
    error: ours.error,
  };
  if (caffe.out && ours.out) {
    row.identical = Buffer.compare(caffe.out, ours.out) === 0;
    if (kind !== 'weights') {
      const again = caffeUpgrade(kind, path.join(tmp, 'ours' + ext), path.join(tmp, 'again' + ext));
      row.reprintIdentical = again.out ? Buffer.compare(again.out, caffe.out) === 0 : false;
    }
  }
  if (!caffe.ok && !caffe.out)
    row.caffeLog = caffe.log
      .split('\n')
      .filter((l) => /^[EF]\d/.test(l))
      .slice(0, 3)
      .join(' | ');
  fs.rmSync(tmp, { recursive: true, force: true });
  return row;
}

function listFiles(args) {
  const out = [];
  const walk = (p) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (e !== 'node_modules' && !e.endsWith('_lmdb')) walk(path.join(p, e));
    } else if (kindOf(p)) out.push(p);
  };
  args.forEach(walk);
  return out;
}

module.exports = { checkFile, listFiles, kindOf, caffeUpgrade, sha256 };

if (require.main === module) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const rows = listFiles(args).map(checkFile);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 1));
    process.exit(0);
  }
  let same = 0;
  for (const r of rows) {
    const verdict =
      !r.caffeOk && !r.caffeSha
        ? `caffe fails (${r.caffeLog})${r.oursOk ? '; caffets accepts it' : `; caffets: ${r.error}`}`
        : r.identical
          ? 'identical'
          : `DIFFERENT${r.error ? ': ' + r.error : ''}`;
    if (r.identical) same++;
    console.log(
      `${r.kind.padEnd(8)} ${verdict.padEnd(12)} ` +
        (r.reprintIdentical === null ? '' : r.reprintIdentical ? '(re-print ok) ' : '(re-print DIFFERENT) ') +
        r.file,
    );
  }
  console.log(`${same} of ${rows.length} files identical to reference Caffe's upgrade`);
}
