#!/usr/bin/env node
// plan-worktrees-guard: the agent-side guard of Plan Worktrees.
//
// Run it before an agent or a script changes files, for example as a coding
// agent's pre-tool hook. It judges target paths: the paths given as
// arguments, the file paths (and working directory) of the tool call an
// agent's hook passes as JSON on standard input, or else the current folder.
//
//   a target in the main checkout (or its .git folder) of a repository with plan worktrees
//       → exit 2, and a message on stderr naming the plan worktrees to work in
//   run from inside a plan worktree, a target outside that worktree
//       → exit 2, and a message on stderr naming the plan and its folder
//   a target inside a plan worktree
//       → prints the plan (id, title, branch, base, folders) and exits 0
//   anywhere else (no plans, another worktree, not a git repository)
//       → exit 0
//   the guard cannot decide (git missing or not answering, the registry
//   unreadable, bad arguments or hook input)
//       → exit 2 with the reason on stderr: it fails closed
//
// Options: --json (one JSON object on stdout), --quiet (nothing on stdout
// when the answer is 0), --no-stdin (leave standard input alone), --help.
// PLAN_WORKTREES_ALLOW_MAIN=1 lets targets in the main checkout through
// (exit 0, with a note on stderr).
//
// Plain Node, no dependencies: it runs git (without the caller's GIT_*
// variables, with a time limit) and reads the registry
// `<git common dir>/plan-worktrees/plans.json` that the extension writes.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const EXIT_OK = 0;
/** Refused, or cannot decide: what agents' pre-tool hooks read as "block, and tell the agent why". */
const EXIT_REFUSED = 2;

const GIT_TIMEOUT_MS = 5000;
const STDIN_TIMEOUT_MS = 2000;
const MAX_STDIN_BYTES = 1024 * 1024;
const MAX_REGISTRY_BYTES = 16 * 1024 * 1024;
const MAX_SYMLINKS = 40;
const STATUSES = ['active', 'merged', 'removed', 'abandoned'];

/** The guard cannot decide; the message says why. */
class Undecided extends Error {}

/** git ran and failed: its exit code and output. */
class GitFailed extends Error {
  constructor(status, stdout, stderr) {
    super(`git exited with ${status}`);
    this.status = status;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

async function main(argv) {
  const options = parseArguments(argv);
  if (options.help) {
    process.stdout.write(usage());
    return EXIT_OK;
  }
  let result;
  try {
    if (options.error) throw new Undecided(`${options.error}\n${usage()}`);
    const input = options.noStdin ? undefined : await readHookInput();
    result = judge(input === undefined ? cliRequest(options.paths) : hookRequest(input, options.paths));
  } catch (e) {
    result = undecided(e instanceof Undecided ? e.message : `unexpected error: ${e && e.message}`);
  }
  return report(result, options);
}

function parseArguments(argv) {
  const options = { json: false, quiet: false, noStdin: false, help: false, paths: [] };
  let onlyPaths = false;
  for (const arg of argv) {
    if (onlyPaths || !arg.startsWith('--')) options.paths.push(arg);
    else if (arg === '--') onlyPaths = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--quiet') options.quiet = true;
    else if (arg === '--no-stdin') options.noStdin = true;
    else if (arg === '--help') options.help = true;
    else options.error = options.error || `unknown option ${arg}`;
  }
  return options;
}

function usage() {
  return [
    'Usage: plan-worktrees-guard [--json] [--quiet] [--no-stdin] [path...]',
    '',
    'Judges the paths given, the tool call of an agent hook (JSON on standard input), or the current folder.',
    'Exits 2 for a target in the main checkout of a repository that has plan worktrees (and names them),',
    'for a target outside the plan worktree it runs in, and whenever it cannot decide;',
    '0 inside a plan worktree (and prints the plan) or where there is nothing to guard.',
    'PLAN_WORKTREES_ALLOW_MAIN=1 lets the main checkout through.',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- requests

/** Without hook input: the paths given, relative to the current folder, or the current folder itself. */
function cliRequest(paths) {
  const cwd = currentFolder();
  return { hook: false, cwd, targets: (paths.length > 0 ? paths : [cwd]).map((p) => resolvePath(cwd, p, 'argument')) };
}

/**
 * The targets of a pre-tool hook's tool call (Claude Code, Codex, Gemini CLI):
 * its file paths, relative to the hook's `cwd`; for a shell command, the
 * folder it runs in; for Codex's apply_patch, the files the patch names.
 */
function hookRequest(input, paths) {
  if (input.cwd !== undefined && (typeof input.cwd !== 'string' || !path.isAbsolute(input.cwd))) throw new Undecided('the hook input\'s "cwd" is not an absolute path.');
  const cwd = input.cwd === undefined ? currentFolder() : path.resolve(input.cwd);
  const tool = input.tool_input === undefined ? {} : input.tool_input;
  if (!isObject(tool)) throw new Undecided('the hook input\'s "tool_input" is not an object.');
  const found = [...paths];
  const add = (value, name) => {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || value === '') throw new Undecided(`the hook input's "${name}" is not a path.`);
    found.push(value);
  };
  for (const key of ['file_path', 'notebook_path', 'path']) add(tool[key], `tool_input.${key}`);
  for (const key of ['paths', 'edits']) {
    if (tool[key] === undefined) continue;
    if (!Array.isArray(tool[key])) throw new Undecided(`the hook input's "tool_input.${key}" is not a list.`);
    for (const item of tool[key]) {
      if (isObject(item)) ['file_path', 'path'].forEach((k) => add(item[k], `tool_input.${key}[].${k}`));
      else add(item, `tool_input.${key}[]`);
    }
  }
  if (typeof tool.command === 'string') {
    if (input.tool_name === 'apply_patch') patchFiles(tool.command).forEach((file) => found.push(file));
    else add(tool.directory === undefined ? cwd : tool.directory, 'tool_input.directory');
  }
  if (found.length === 0) found.push(cwd);
  return { hook: true, cwd, targets: found.map((p) => resolvePath(cwd, p, 'hook input')) };
}

/** The files an apply_patch patch adds, updates, deletes or moves to. */
function patchFiles(patch) {
  const files = [];
  for (const line of patch.split('\n')) {
    const match = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/.exec(line.replace(/\r$/, ''));
    if (match && match[1].trim()) files.push(match[1].trim());
  }
  return files;
}

function resolvePath(cwd, p, what) {
  if (p.includes('\0')) throw new Undecided(`a path of the ${what} contains a NUL character.`);
  return path.resolve(cwd, p);
}

function currentFolder() {
  try {
    return process.cwd();
  } catch (e) {
    throw new Undecided(`the current folder cannot be read (${e.message}).`);
  }
}

// ---------------------------------------------------------------- standard input

/**
 * The JSON object a hook passes on standard input, or undefined when there is
 * none (a terminal, /dev/null, no data). Only a pipe, socket or file is read,
 * at most 1 MB, for at most 2 s: a whole JSON object that arrived by then is
 * used even if the writer never closes.
 */
function readHookInput() {
  let stat;
  try {
    stat = fs.fstatSync(0);
  } catch {
    return Promise.resolve(undefined);
  }
  if (stat.isFile()) return Promise.resolve(parseHookInput(readBounded(0, MAX_STDIN_BYTES, 'standard input', 1024 * 1024), true));
  if (!stat.isFIFO() && !stat.isSocket()) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const stream = process.stdin;
    const finish = (error, complete) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.removeAllListeners('end');
      stream.destroy();
      if (error) return reject(error);
      try {
        resolve(parseHookInput(Buffer.concat(chunks).toString('utf8'), complete));
      } catch (e) {
        reject(e);
      }
    };
    const timer = setTimeout(() => finish(undefined, false), STDIN_TIMEOUT_MS);
    stream.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_STDIN_BYTES) finish(new Undecided('standard input is larger than 1 MB; it is not the JSON of an agent hook.'));
      else chunks.push(chunk);
    });
    stream.on('end', () => finish(undefined, true));
    stream.on('error', (e) => finish(new Undecided(`standard input cannot be read (${e.message}).`)));
  });
}

function parseHookInput(text, complete) {
  if (text.trim() === '') return undefined;
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = complete ? e.message : `it did not end within ${STDIN_TIMEOUT_MS / 1000} s`;
    throw new Undecided(`standard input is not the JSON of an agent hook (${why}).`);
  }
  if (!isObject(value)) throw new Undecided('standard input is not a JSON object, so not the input of an agent hook.');
  return value;
}

// ---------------------------------------------------------------- judging

/** Every target's verdict, and the answer as a whole. */
function judge(request) {
  const repositories = new Map();
  const located = new Map();
  const locate = (p) => {
    if (!located.has(p)) located.set(p, locatePath(p, repositories));
    return located.get(p);
  };
  const context = locate(request.cwd);
  const allowMain = process.env.PLAN_WORKTREES_ALLOW_MAIN === '1';
  const verdicts = request.targets.map((target) => verdict(locate(target), context, allowMain));
  return { hook: request.hook, context, verdicts };
}

function verdict(target, context, allowMain) {
  const guarded = (target.where === 'main' || target.where === 'git-dir') && target.plans.length > 0;
  if (guarded) return allowMain ? { target, ok: true, allowed: true } : { target, ok: false, refused: 'main-checkout' };
  if (context.where === 'plan' && !isInside(target.path, context.plan.path)) return { target, ok: false, refused: 'outside-plan', plan: context.plan };
  return { target, ok: true };
}

/**
 * Where a path is: in a plan's worktree, the main checkout, the repository's
 * git folder, another worktree, or no repository. A path that does not exist
 * yet is judged by the nearest folder that does; symbolic links are followed
 * to where a write would land.
 */
function locatePath(target, repositories) {
  const resolved = resolveTarget(target, 0);
  const folder = existingFolder(resolved);
  const place = revParse(folder);
  if (!place) return { path: resolved, folder, where: 'none', plans: [] };
  const repo = repository(place.commonDir, folder, repositories);
  const base = { path: resolved, folder: place.top || place.commonDir, commonDir: place.commonDir, mainPath: repo.mainPath, plans: repo.plans };
  if (!place.top) return { ...base, where: 'git-dir' };
  const here = realpath(place.top);
  const plan = repo.plans.find((p) => realpath(p.path) === here);
  if (plan) return { ...base, where: 'plan', plan };
  if (repo.mainPath && realpath(repo.mainPath) === here) return { ...base, where: 'main' };
  return { ...base, where: 'other' };
}

/** The real path a write to `p` lands on (the part that does not exist yet kept as it is). */
function resolveTarget(p, depth) {
  if (depth > MAX_SYMLINKS) throw new Undecided(`${clean(p)}: too many symbolic links.`);
  let stat;
  try {
    stat = fs.lstatSync(p);
  } catch (e) {
    if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw new Undecided(`${clean(p)} cannot be examined (${e.message}).`);
    const parent = path.dirname(p);
    if (parent === p) throw new Undecided(`${clean(p)} cannot be examined (${e.message}).`);
    return path.join(resolveTarget(parent, depth), path.basename(p));
  }
  try {
    return fs.realpathSync.native(p);
  } catch (e) {
    // A symbolic link whose target does not exist yet: the write would create that target.
    if (stat.isSymbolicLink() && e.code === 'ENOENT') return resolveTarget(path.resolve(path.dirname(p), fs.readlinkSync(p)), depth + 1);
    throw new Undecided(`${clean(p)} cannot be examined (${e.message}).`);
  }
}

function existingFolder(p) {
  for (let current = p; ; current = path.dirname(current)) {
    try {
      if (fs.statSync(current).isDirectory()) return current;
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw new Undecided(`${clean(current)} cannot be examined (${e.message}).`);
    }
    if (path.dirname(current) === current) throw new Undecided(`no folder of ${clean(p)} exists.`);
  }
}

/** The repository a folder belongs to: its common git dir, and its worktree's top (none inside the git folder or a bare repository). */
function revParse(folder) {
  let out;
  try {
    out = git(folder, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--is-inside-work-tree', '--show-toplevel']);
  } catch (e) {
    if (!(e instanceof GitFailed)) throw e;
    const lines = e.stdout.split('\n');
    // Inside the git folder (or a bare repository) rev-parse says so, then refuses --show-toplevel.
    if (lines.length >= 2 && lines[1] === 'false' && path.isAbsolute(lines[0])) return { commonDir: lines[0] };
    if (/not a git repository/i.test(e.stderr)) return undefined;
    throw new Undecided(`git rev-parse failed in ${clean(folder)}: ${clean(e.stderr.trim() || `exit code ${e.status}`)}`);
  }
  const [commonDir, inside, top] = out.split('\n');
  if (!commonDir || !path.isAbsolute(commonDir)) throw new Undecided(`git gave no repository for ${clean(folder)}.`);
  return inside === 'true' && top ? { commonDir, top } : { commonDir };
}

/** The worktrees and active plans of a repository, read once per run. */
function repository(commonDir, folder, repositories) {
  if (!repositories.has(commonDir)) {
    const worktrees = listWorktrees(folder);
    const main = worktrees[0];
    const plans = activePlans(commonDir, worktrees);
    const mainPath = main && !main.bare ? main.path : undefined;
    repositories.set(commonDir, { mainPath, plans: plans.map((p) => describePlan(p, mainPath)) });
  }
  return repositories.get(commonDir);
}

/** `git worktree list --porcelain -z`: the main worktree first. */
function listWorktrees(cwd) {
  let out;
  try {
    out = git(cwd, ['worktree', 'list', '--porcelain', '-z']);
  } catch (e) {
    if (!(e instanceof GitFailed)) throw e;
    throw new Undecided(`cannot list the worktrees: ${clean(e.stderr.trim() || `exit code ${e.status}`)}`);
  }
  const entries = [];
  let current;
  for (const field of out.split('\0')) {
    if (field === '') {
      current = undefined;
    } else if (field.startsWith('worktree ')) {
      current = { path: field.slice('worktree '.length), bare: false };
      entries.push(current);
    } else if (field === 'bare' && current) current.bare = true;
  }
  return entries;
}

// ---------------------------------------------------------------- the registry

/**
 * The active plans whose worktree exists, sorted by id. A record that is not
 * valid makes the guard undecided, unless it names a folder that is no
 * worktree (a plan long gone, which changes nothing here).
 */
function activePlans(commonDir, worktrees) {
  const { file, plans } = readRegistry(commonDir);
  const existing = new Set(worktrees.map((w) => realpath(w.path)));
  const active = [];
  plans.forEach((record, index) => {
    const problem = recordProblem(record);
    if (problem) {
      if (isObject(record) && typeof record.path === 'string' && path.isAbsolute(record.path) && !existing.has(realpath(record.path))) return;
      throw new Undecided(`cannot read the plan registry: plan ${index + 1} in ${clean(file)} is not valid (${problem}).`);
    }
    if (record.status === 'active' && record.creating !== true && existing.has(realpath(record.path))) active.push(record);
  });
  return active.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
}

function recordProblem(record) {
  if (!isObject(record)) return 'it is not an object';
  for (const key of ['id', 'title', 'branch', 'base', 'path', 'status']) {
    if (typeof record[key] !== 'string') return `"${key}" is not a string`;
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/.test(record.id)) return '"id" is not a plan id';
  if (!STATUSES.includes(record.status)) return `"status" is not one of ${STATUSES.join(', ')}`;
  if (!path.isAbsolute(record.path)) return '"path" is not an absolute path';
  if (record.planFile !== undefined && typeof record.planFile !== 'string') return '"planFile" is not a string';
  if (record.creating !== undefined && typeof record.creating !== 'boolean') return '"creating" is not true or false';
  return undefined;
}

/**
 * `<common dir>/plan-worktrees/plans.json`; a missing file is no plans. The
 * folder and the file must be what the extension writes: no symbolic links,
 * a regular file (opened without blocking, so a FIFO cannot hang the guard),
 * at most 16 MB.
 */
function readRegistry(commonDir) {
  const dir = path.join(commonDir, 'plan-worktrees');
  const file = path.join(dir, 'plans.json');
  const failed = (why) => new Undecided(`cannot read the plan registry: ${why}`);
  try {
    const stat = fs.lstatSync(dir);
    if (stat.isSymbolicLink()) throw failed(`${clean(dir)} is a symbolic link.`);
    if (!stat.isDirectory()) throw failed(`${clean(dir)} is not a folder.`);
    if (fs.lstatSync(file).isSymbolicLink()) throw failed(`${clean(file)} is a symbolic link.`);
  } catch (e) {
    if (e instanceof Undecided) throw e;
    if (e.code === 'ENOENT') return { file, plans: [] };
    throw failed(e.message);
  }
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK || 0) | (fs.constants.O_NOFOLLOW || 0));
  } catch (e) {
    if (e.code === 'ENOENT') return { file, plans: [] };
    if (e.code === 'ELOOP') throw failed(`${clean(file)} is a symbolic link.`);
    throw failed(e.message);
  }
  let text;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw failed(`${clean(file)} is not a regular file.`);
    if (stat.size > MAX_REGISTRY_BYTES) throw failed(`${clean(file)} is larger than 16 MB.`);
    text = readBounded(fd, MAX_REGISTRY_BYTES, clean(file), 16 * 1024 * 1024).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw failed(`${clean(file)} is not JSON (${e.message}).`);
  }
  if (!isObject(data) || !Array.isArray(data.plans)) throw failed(`${clean(file)} is not a Plan Worktrees registry.`);
  if (data.version !== 1) throw failed(`${clean(file)} has version ${clean(JSON.stringify(data.version))}, which this guard does not know.`);
  return { file, plans: data.plans };
}

/** At most `max` bytes from a file descriptor; more is an error. */
function readBounded(fd, max, name, shownMax) {
  const chunks = [];
  let size = 0;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    let n;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') break;
      throw new Undecided(`${name} cannot be read (${e.message}).`);
    }
    if (n === 0) break;
    size += n;
    if (size > max) throw new Undecided(`${name} is larger than ${shownMax / (1024 * 1024)} MB.`);
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------- git

/** The environment git runs in: none of the caller's GIT_* variables (GIT_DIR and friends would point it at another repository), messages in English. */
const GIT_ENV = (() => {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^GIT_/i.test(key)) env[key] = value;
  env.LC_ALL = 'C';
  delete env.LANGUAGE;
  return env;
})();

/** Runs git in `cwd` (an existing folder) with a time limit; throws Undecided when git is missing or hangs, else git's failure. */
function git(cwd, args) {
  try {
    return execFileSync('git', args, {
      cwd,
      env: GIT_ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: GIT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      windowsHide: true,
    }).replace(/\n$/, '');
  } catch (e) {
    if (e.code === 'ETIMEDOUT') throw new Undecided(`git ${args[0]} did not answer within ${GIT_TIMEOUT_MS / 1000} s in ${clean(cwd)}.`);
    if (e.code === 'ENOENT') {
      if (!isFolder(cwd)) throw new Undecided(`${clean(cwd)} disappeared while the guard looked at it.`);
      throw new Undecided(`git was not found on the PATH (${e.message}).`);
    }
    if (typeof e.status !== 'number') throw new Undecided(`git ${args[0]} could not run in ${clean(cwd)} (${e.message}).`);
    throw new GitFailed(e.status, String(e.stdout || ''), String(e.stderr || ''));
  }
}

// ---------------------------------------------------------------- answers

function undecided(message) {
  return { error: message };
}

/** Prints the answer and returns the exit code. A hook's success prints nothing on stdout (Gemini CLI reads it as JSON). */
function report(result, options) {
  if (result.error) {
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, where: 'unknown', error: result.error, targets: [] })}\n`);
    process.stderr.write(`plan-worktrees-guard: cannot decide, so it refuses: ${result.error}\n`);
    return EXIT_REFUSED;
  }
  const failed = result.verdicts.filter((v) => !v.ok);
  const ok = failed.length === 0;
  if (options.json) process.stdout.write(`${JSON.stringify(toJson(result, failed))}\n`);
  else if (ok && !options.quiet && !result.hook) process.stdout.write(unique(result.verdicts.filter((v) => !v.allowed).map((v) => describe(v.target))).join(''));
  process.stderr.write(unique(ok ? result.verdicts.filter((v) => v.allowed).map(allowedNote) : refusals(failed)).join(''));
  return ok ? EXIT_OK : EXIT_REFUSED;
}

function toJson(result, failed) {
  const main = failed[0] || result.verdicts[0];
  const target = main.target;
  const json = { ok: failed.length === 0, where: target.where, folder: target.folder };
  if (main.refused === 'outside-plan') {
    json.plan = main.plan;
  } else {
    if (target.plan) json.plan = target.plan;
    if (target.where === 'main' || target.where === 'git-dir') json.plans = target.plans;
  }
  if (main.allowed) json.allowed = true;
  if (main.refused) json.refused = main.refused;
  json.targets = result.verdicts.map((v) => ({ path: v.target.path, ok: v.ok, where: v.target.where, ...(v.refused ? { refused: v.refused } : {}) }));
  return json;
}

/** One line (or the plan) for a target that passes. */
function describe(target) {
  switch (target.where) {
    case 'plan':
      return formatPlan(target.plan);
    case 'main':
      return `${clean(target.folder)} is the main checkout; the repository has no plan worktrees.\n`;
    case 'git-dir':
      return `${clean(target.path)} is inside the git folder of the repository ${clean(target.commonDir)}; the repository has no plan worktrees.\n`;
    case 'other':
      return `${clean(target.folder)} is a worktree of the repository but not a plan's; the main checkout is ${clean(target.mainPath || '(bare)')}.\n`;
    default:
      return `${clean(target.path)} is not inside a git repository; nothing to guard.\n`;
  }
}

/** One message per kind of refusal and repository, naming every refused path. */
function refusals(failed) {
  const groups = new Map();
  for (const v of failed) {
    const key = v.refused === 'outside-plan' ? 'outside-plan' : `${v.target.where}:${v.target.commonDir}`;
    if (!groups.has(key)) groups.set(key, { v, paths: [] });
    groups.get(key).paths.push(clean(v.target.path));
  }
  return [...groups.values()].map(({ v, paths }) => refusal(v, unique(paths)));
}

function refusal(v, paths) {
  const { target } = v;
  const are = paths.length === 1 ? 'is' : 'are';
  if (v.refused === 'outside-plan') {
    return [
      `plan-worktrees-guard: ${paths.join(', ')} ${are} outside the worktree of plan ${clean(v.plan.id)} (${clean(v.plan.title)}), where this agent works.`,
      "Change files only in the plan's worktree:",
      ...planLines([v.plan]),
      '',
    ].join('\n');
  }
  const count = `${target.plans.length} plan worktree${target.plans.length === 1 ? '' : 's'}`;
  const lines =
    target.where === 'git-dir'
      ? [`plan-worktrees-guard: ${paths.join(', ')} ${are} inside the git folder of the repository ${clean(target.commonDir)}, and this repository has ${count}.`]
      : [`plan-worktrees-guard: ${clean(target.folder)} is the main checkout, and this repository has ${count}.`];
  if (target.where !== 'git-dir' && (paths.length > 1 || paths[0] !== clean(target.folder))) lines.push(`The target${paths.length === 1 ? '' : 's'} ${paths.join(', ')} ${are} in it.`);
  return [...lines, 'Do not change files here; work in the worktree of your plan:', ...planLines(target.plans), 'Set PLAN_WORKTREES_ALLOW_MAIN=1 to work in the main checkout anyway.', ''].join('\n');
}

function allowedNote(v) {
  const count = `${v.target.plans.length} plan worktree${v.target.plans.length === 1 ? '' : 's'}`;
  return `plan-worktrees-guard: PLAN_WORKTREES_ALLOW_MAIN=1: working in the main checkout ${clean(v.target.mainPath || v.target.folder)} although ${count} exist.\n`;
}

function planLines(plans) {
  const width = Math.max(...plans.map((p) => clean(p.id).length));
  return plans.map((p) => `  ${clean(p.id).padEnd(width)}  ${clean(p.title)}\n  ${' '.repeat(width)}  ${clean(p.path)} (branch ${clean(p.branch)})`);
}

function describePlan(p, mainPath) {
  const plan = { id: p.id, title: p.title, branch: p.branch, base: p.base, path: p.path, main: mainPath || '' };
  if (p.planFile) {
    plan.planFile = p.planFile;
    if (mainPath) plan.planFilePath = path.join(mainPath, p.planFile);
  }
  return plan;
}

function formatPlan(plan) {
  const rows = [
    `Plan ${clean(plan.id)}: ${clean(plan.title)}`,
    `  branch:    ${clean(plan.branch)}`,
    `  base:      ${clean(plan.base)}`,
    `  worktree:  ${clean(plan.path)}`,
    `  main:      ${clean(plan.main)}`,
  ];
  if (plan.planFile) rows.push(`  plan file: ${clean(plan.planFilePath || plan.planFile)}`);
  return `${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------- small helpers

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFolder(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isInside(child, parent) {
  const folder = realpath(parent);
  return child === folder || child.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

function realpath(p) {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

function unique(texts) {
  return [...new Set(texts)];
}

/** Text from the registry, a hook or the file system, safe to print on a terminal: no control characters. */
function clean(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`plan-worktrees-guard: cannot decide, so it refuses: unexpected error: ${clean(e && e.message)}\n`);
    process.exitCode = EXIT_REFUSED;
  },
);
