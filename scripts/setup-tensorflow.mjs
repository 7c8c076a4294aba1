#!/usr/bin/env node
// `npm run setup:tensorflow [-- --wheel <file>] [-- --force]`: native TensorFlow for
// machines that cannot reach TensorFlow's download host (issue 19).
//
// @tensorflow/tfjs-node's install script downloads libtensorflow 2.9.1 from
// Google's storage; where that fails npm drops the package. This builds the same
// addon from the package's own sources against the TensorFlow C API of the
// `tensorflow-cpu` pip wheel (fetched with pip, or a wheel file given with --wheel):
//   1. installs @tensorflow/tfjs-node 4.22.0 without its install script if it is missing;
//   2. puts the wheel's libtensorflow_cc.so.2 and libtensorflow_framework.so.2 in its
//      deps/lib, linked under the names its binding.gyp and install script expect
//      (libtensorflow.so, libtensorflow.so.2.9.1, ...), and the C headers in deps/include;
//   3. compiles the addon with node-gyp (Node's headers from /usr when they are there);
//   4. checks that require('@tensorflow/tfjs-node') loads and tf.getBackend() is
//      'tensorflow'.
// Run again, it only checks (a few seconds). Exit code 0 when the backend loads.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TFJS_NODE_VERSION = '4.22.0';
/** The wheel this was verified with; --tensorflow <version> picks another. */
const DEFAULT_TF_VERSION = '2.21.0';
/** The file name tfjs-node's install script checks before it downloads anything. */
const DEPS_LIB_NAME = 'libtensorflow.so.2.9.1';
const NAPI_BUILD_VERSION = '8';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
const gpuPackageDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
const depsDir = path.join(packageDir, 'deps');
const libDir = path.join(depsDir, 'lib');
const addon = path.join(packageDir, 'lib', `napi-v${NAPI_BUILD_VERSION}`, 'tfjs_binding.node');
const marker = path.join(depsDir, 'jaccard-setup.json');
// Outside node_modules, so \`npm ci\` keeps the 270 MB wheel between runs.
const wheelCache = path.join(
  process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
  'jaccard',
  'tensorflow-wheels',
);

const done = [];
const say = (line) => console.log(`setup:tensorflow: ${line}`);
const fail = (line) => {
  console.error(`setup:tensorflow: ${line}`);
  process.exit(1);
};

function parseArgs(argv) {
  const args = { wheel: undefined, tensorflow: DEFAULT_TF_VERSION, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--wheel') args.wheel = argv[++i];
    else if (a.startsWith('--wheel=')) args.wheel = a.slice('--wheel='.length);
    else if (a === '--tensorflow') args.tensorflow = argv[++i];
    else if (a.startsWith('--tensorflow=')) args.tensorflow = a.slice('--tensorflow='.length);
    else if (a === '--force') args.force = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        'Usage: npm run setup:tensorflow [-- --wheel <tensorflow-cpu .whl>] ' +
          `[--tensorflow <pip version, default ${DEFAULT_TF_VERSION}>] [--force]`,
      );
      process.exit(0);
    } else fail(`unknown option '${a}' (try --help)`);
  }
  if (args.wheel !== undefined) {
    args.wheel = path.resolve(args.wheel);
    if (!fs.existsSync(args.wheel)) fail(`no wheel at ${args.wheel}`);
  }
  return args;
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${[cmd, ...args].join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

/** Loads the package in a fresh Node; what it reports, or the first line of the error. */
function loadCheck() {
  const probe = `
    const tf = require('@tensorflow/tfjs-node');
    const b = tf.backend();
    console.log(JSON.stringify({ backend: tf.getBackend(), tfjsNode: tf.version['tfjs-node'],
      tensorflow: b.binding && b.binding.TF_Version }));`;
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    const lines = (r.stderr || '').split('\n').filter((l) => /Error|error:/.test(l));
    return { ok: false, why: lines[0]?.trim() || `exit ${r.status}` };
  }
  const info = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ok: info.backend === 'tensorflow', why: `backend is '${info.backend}'`, ...info };
}

function installedVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Its runtime dependencies resolve from its folder (npm drops them with it). */
function dependenciesPresent() {
  const r = spawnSync(
    process.execPath,
    ['-e', "for (const d of ['@mapbox/node-pre-gyp', 'google-protobuf']) require.resolve(d)"],
    { cwd: packageDir },
  );
  return r.status === 0;
}

function ensurePackage() {
  if (installedVersion(packageDir) === TFJS_NODE_VERSION && dependenciesPresent()) return;
  const gpuWasThere = fs.existsSync(gpuPackageDir);
  say(`installing @tensorflow/tfjs-node@${TFJS_NODE_VERSION} without its install script`);
  // --no-save: package.json and the lockfile already list it (an optional dependency).
  run(
    npmCommand(),
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`,
    ],
    { cwd: root },
  );
  // npm adds the GPU package too (also optional); without an addon it would only
  // register the 'tensorflow' kernels twice when the engine tries it first.
  if (!gpuWasThere && fs.existsSync(gpuPackageDir)) {
    fs.rmSync(gpuPackageDir, { recursive: true, force: true });
  }
  if (installedVersion(packageDir) !== TFJS_NODE_VERSION) fail('npm did not install it');
  done.push(`installed @tensorflow/tfjs-node ${TFJS_NODE_VERSION} (scripts skipped)`);
}

function npmCommand() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

function findWheel(args) {
  if (args.wheel) return args.wheel;
  fs.mkdirSync(wheelCache, { recursive: true });
  const cached = () =>
    fs
      .readdirSync(wheelCache)
      .find((f) => f.startsWith(`tensorflow_cpu-${args.tensorflow}-`) && f.endsWith('.whl'));
  if (!cached()) {
    say(`fetching tensorflow-cpu==${args.tensorflow} with pip (about 270 MB)`);
    const python = pythonCommand();
    if (!python) fail('no python3 with pip here: download the wheel elsewhere and pass --wheel');
    try {
      run(
        python,
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '--retries',
          '2',
          '-d',
          wheelCache,
          `tensorflow-cpu==${args.tensorflow}`,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    } catch (error) {
      fail(
        `pip could not fetch the wheel (${error.message}). On a machine that can, run ` +
          `'pip download --no-deps tensorflow-cpu==${args.tensorflow}' and pass the file ` +
          `with --wheel.`,
      );
    }
    done.push(`fetched ${cached()} with pip`);
  }
  return path.join(wheelCache, cached());
}

function pythonCommand() {
  for (const python of ['python3', 'python']) {
    if (spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0) {
      return python;
    }
  }
  return undefined;
}

function fileDigest(file) {
  // Name, size and mtime: hashing 270 MB on every run would cost seconds.
  const st = fs.statSync(file);
  return createHash('sha256')
    .update(`${path.basename(file)}:${st.size}:${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
}

/** The wheel's libraries and C headers into deps/, under the names tfjs-node expects. */
function placeLibrary(wheel) {
  fs.rmSync(depsDir, { recursive: true, force: true });
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'jaccard-tf-'));
  try {
    const members = [
      'tensorflow/libtensorflow_cc.so.2',
      'tensorflow/libtensorflow_framework.so.2',
      'tensorflow/include/tensorflow/c/*',
      'tensorflow/include/tensorflow/core/platform/*',
      'tensorflow/include/tsl/platform/*',
      'tensorflow/include/xla/tsl/c/*',
    ];
    unzip(wheel, members, staging);
    const lib = path.join(staging, 'tensorflow', 'libtensorflow_cc.so.2');
    const framework = path.join(staging, 'tensorflow', 'libtensorflow_framework.so.2');
    if (!fs.existsSync(lib) || !fs.existsSync(framework)) {
      fail(`${path.basename(wheel)} has no libtensorflow_cc.so.2: is it a Linux tensorflow wheel?`);
    }
    fs.mkdirSync(libDir, { recursive: true });
    fs.renameSync(lib, path.join(libDir, 'libtensorflow_cc.so.2'));
    fs.renameSync(framework, path.join(libDir, 'libtensorflow_framework.so.2'));
    // libtensorflow_cc exports the TF_*/TFE_* C API. binding.gyp links -ltensorflow and
    // -ltensorflow_framework; the install script looks for libtensorflow.so.2.9.1; at run
    // time the addon asks for the sonames (libtensorflow_cc.so.2, ...) through its rpath.
    for (const [name, target] of [
      [DEPS_LIB_NAME, 'libtensorflow_cc.so.2'],
      ['libtensorflow.so', 'libtensorflow_cc.so.2'],
      ['libtensorflow.so.2', 'libtensorflow_cc.so.2'],
      ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
      ['libtensorflow_framework.so.2.9.1', 'libtensorflow_framework.so.2'],
    ]) {
      fs.symlinkSync(target, path.join(libDir, name));
    }
    fs.renameSync(path.join(staging, 'tensorflow', 'include'), path.join(depsDir, 'include'));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function unzip(wheel, members, into) {
  // Python's zipfile (pip implies Python); unzip where there is no Python.
  const script = `
import fnmatch, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
pats = sys.argv[3:]
names = [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in pats)]
z.extractall(sys.argv[2], names)`;
  const python = ['python3', 'python'].find(
    (p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  if (python) run(python, ['-c', script, wheel, into, ...members]);
  else run('unzip', ['-q', '-o', wheel, ...members, '-d', into]);
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return [process.execPath, process.env.npm_config_node_gyp];
  }
  const candidates = [];
  if (process.env.npm_execpath) {
    candidates.push(
      path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp'),
    );
  }
  try {
    const npmRoot = execFileSync(npmCommand(), ['root', '-g'], { encoding: 'utf8' }).trim();
    candidates.push(path.join(npmRoot, 'npm', 'node_modules', 'node-gyp'));
  } catch {
    // no global npm: try node-gyp on the PATH below
  }
  const found = candidates
    .map((dir) => path.join(dir, 'bin', 'node-gyp.js'))
    .find((f) => fs.existsSync(f));
  return found ? [process.execPath, found] : ['node-gyp'];
}

function buildAddon() {
  const [cmd, ...pre] = nodeGyp();
  const args = [
    ...pre,
    'rebuild',
    '--jobs=max',
    '--module_name=tfjs_binding',
    `--module_path=${path.dirname(addon)}`,
    `--napi_build_version=${NAPI_BUILD_VERSION}`,
  ];
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  else if (fs.existsSync('/usr/include/node/node.h')) args.push('--nodedir=/usr');
  say(`building the addon: node-gyp ${args.slice(pre.length).join(' ')}`);
  const start = Date.now();
  run(cmd, args, { cwd: packageDir });
  if (!fs.existsSync(addon)) fail(`node-gyp finished but ${addon} is missing`);
  done.push(`built ${path.relative(root, addon)} in ${((Date.now() - start) / 1000).toFixed(0)} s`);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `builds from the tensorflow-cpu wheel on Linux x64 only (this is ${process.platform} ` +
        `${process.arch}); elsewhere 'npm install' downloads the prebuilt package.`,
    );
  }
  const began = Date.now();
  ensurePackage();

  const previous = fs.existsSync(marker) ? JSON.parse(fs.readFileSync(marker, 'utf8')) : {};
  if (
    !args.force &&
    fs.existsSync(addon) &&
    (!args.wheel || previous.wheel === fileDigest(args.wheel))
  ) {
    const check = loadCheck();
    if (check.ok) {
      say(
        `already set up: @tensorflow/tfjs-node ${check.tfjsNode} on TensorFlow ` +
          `${check.tensorflow}, tf.getBackend() is 'tensorflow'. Nothing to do (--force rebuilds).`,
      );
      return;
    }
    say(`the built addon does not load (${check.why}); building again`);
  }

  const wheel = findWheel(args);
  const digest = fileDigest(wheel);
  if (args.force || previous.wheel !== digest || !fs.existsSync(path.join(libDir, DEPS_LIB_NAME))) {
    say(`unpacking the TensorFlow C library from ${path.basename(wheel)}`);
    placeLibrary(wheel);
    done.push(
      `placed libtensorflow from ${path.basename(wheel)} in ${path.relative(root, libDir)}`,
    );
  }
  buildAddon();
  fs.writeFileSync(marker, `${JSON.stringify({ wheel: digest, file: path.basename(wheel) })}\n`);

  const check = loadCheck();
  if (!check.ok) fail(`the addon built but does not load: ${check.why}`);
  for (const line of done) say(`- ${line}`);
  say(
    `done in ${((Date.now() - began) / 1000).toFixed(0)} s: @tensorflow/tfjs-node ` +
      `${check.tfjsNode} loads on TensorFlow ${check.tensorflow}, tf.getBackend() is ` +
      `'tensorflow'. Jaccard now trains on it unless --backend says otherwise.`,
  );
}

try {
  main();
} catch (error) {
  fail(error.message);
}
