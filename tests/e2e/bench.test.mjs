// The bench (`npm run bench`, tools/bench.mjs) in its quick mode, on both backends: it must run
// to the end, compare like with like, and show the device work the performance targets are about.
// Timings are never asserted (these machines are noisy); what is asserted does not depend on
// speed: every operation was timed on both sides, TensorFlow.js agreed with the engine before it
// was timed, and on WebGPU each call reads back once (PGD-40's forty steps included) and compiles
// nothing after the warm-up, and WebAssembly memory does not grow over repeated attacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../tools/serve.mjs';

const OPS = ['predict', 'fgsm', 'pgd-40'];
/** Memory growth tolerated from the 10th to the 100th FGSM: two 64 KiB WebAssembly pages. */
const MEMORY_SLACK = 2 * 65536;

test('the quick bench times every operation on both backends beside TensorFlow.js', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    const json = join(dir, 'bench.json');
    const { stdout } = await promisify(execFile)(process.execPath, ['tools/bench.mjs', '--quick', '--ops', OPS.join(','), '--json', json], {
      cwd: ROOT, maxBuffer: 16 << 20,
    });
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.deepEqual(Object.keys(report.results).sort(), ['cpu', 'webgpu']);

    for (const [key, result] of Object.entries(report.results)) {
      assert.equal(result.bench.backend, key, `${key}: the engine ran on ${result.bench.backend} (${result.bench.reason})`);
      const { verification } = result.tfjs;
      assert.ok(verification.probabilitiesMaxAbsDiff <= verification.tolerance.probabilities, `${key}: tfjs probabilities differ by ${verification.probabilitiesMaxAbsDiff}`);
      assert.ok(verification.gradientMaxRelDiff <= verification.tolerance.gradient, `${key}: tfjs gradients differ by ${verification.gradientMaxRelDiff}`);
      for (const side of ['bench', 'tfjs']) {
        assert.deepEqual(result[side].rows.map((r) => r.name), OPS, `${key} ${side}: the operations timed`);
        for (const row of result[side].rows) {
          assert.ok(row.n >= 1 && row.warmup >= 1, `${key} ${side} ${row.name}: ${row.n} timed after ${row.warmup} warm-up calls`);
          assert.ok(row.min > 0 && row.p10 <= row.median && row.median <= row.p90 && Number.isFinite(row.max), `${key} ${side} ${row.name}: statistics ${JSON.stringify(row)}`);
        }
      }
      const [curve] = result.bench.memory;
      const at = (n) => curve.points.find((p) => p.attacks === n).wasmBytes;
      assert.ok(at(100) - at(10) <= MEMORY_SLACK, `${key}: WebAssembly memory grew from ${at(10)} to ${at(100)} bytes over 90 FGSM`);
    }

    for (const row of report.results.webgpu.bench.rows) {
      assert.equal(row.gpu.readbacks.perCall, 1, `${row.name}: read-backs per call`);
      assert.equal(row.gpu.shaders.perCall + row.gpu.pipelines.perCall, 0, `${row.name}: compilations after the warm-up`);
    }
    for (const op of OPS) {
      assert.match(stdout, new RegExp(`^\\| ${op} \\| CPU / tfjs wasm \\| [^|]+ \\| [^|]+ \\| [\\d.]+× \\|`, 'm'), `the comparison table's ${op} row on the CPU`);
      assert.match(stdout, new RegExp(`^\\| ${op} \\| WebGPU / tfjs webgpu \\| [^|]+ \\| [^|]+ \\| [\\d.]+× \\|`, 'm'), `the comparison table's ${op} row on WebGPU`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
