#!/usr/bin/env node
// Records reference Caffe's "Setting up <layer>" / "Top shape: ..." lines for each net given, as JSON
// { "<path relative to ../shared>": [[layer, "d0 d1 ... (count)"], ...] } — the goldens of
// test/golden/top_shapes.test.ts. Usage: node scripts/caffe-top-shapes.js NET.prototxt... > out.json
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

/** Parses Caffe's (or caffets') net set-up log into [layer, shape] pairs. */
function topShapes(log) {
  const out = [];
  let layer = null;
  for (const line of log.split('\n')) {
    const s = /\] Setting up (.+)$/.exec(line);
    if (s) {
      layer = s[1];
      continue;
    }
    const t = /\] Top shape: (.*)$/.exec(line);
    if (t && layer !== null) out.push([layer, t[1].trim()]);
  }
  return out;
}

module.exports = { topShapes };

if (require.main === module) {
  const shared = path.resolve(__dirname, '../../shared');
  const res = {};
  for (const f of process.argv.slice(2)) {
    const r = spawnSync('caffe', ['time', `--model=${f}`, '--iterations=1'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const shapes = topShapes(r.stderr);
    if (!shapes.length) {
      console.error(
        `no shapes for ${f}: ${r.stderr
          .split('\n')
          .filter((l) => /^F/.test(l))
          .join(' ')}`,
      );
      continue;
    }
    res[path.relative(shared, path.resolve(f))] = shapes;
  }
  console.log(JSON.stringify(res, null, 1));
}
