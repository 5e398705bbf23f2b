#!/usr/bin/env node
// plan-worktrees-guard: the agent-side guard of Plan Worktrees.
//
// Run it in a folder (the current one by default) before an agent or a
// script changes files, for example as a coding agent's pre-tool hook:
//
//   main checkout of a repository with plan worktrees
//       → exit 2, and a message on stderr naming the plan worktrees to work in
//   inside a plan worktree
//       → prints the plan (id, title, branch, base, folders) and exits 0
//   anywhere else (no plans, another worktree, not a git repository)
//       → exit 0
//   the guard could not decide (git missing, the registry unreadable)
//       → exit 1
//
// Options: --json (one JSON object on stdout), --quiet (nothing on stdout
// when the answer is 0), --help. PLAN_WORKTREES_ALLOW_MAIN=1 lets the main
// checkout through (exit 0, with a note on stderr).
//
// Plain Node, no dependencies: it runs git and reads the registry
// `<git common dir>/plan-worktrees/plans.json` that the extension writes.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const EXIT_OK = 0;
const EXIT_UNDECIDED = 1;
const EXIT_MAIN_CHECKOUT = 2;

function main(argv) {
  const args = argv.filter((a) => a.startsWith('--'));
  const folders = argv.filter((a) => !a.startsWith('--'));
  if (args.includes('--help')) {
    process.stdout.write(usage());
    return EXIT_OK;
  }
  const unknown = args.filter((a) => !['--json', '--quiet'].includes(a));
  if (unknown.length > 0 || folders.length > 1) {
    process.stderr.write(`plan-worktrees-guard: unknown arguments ${[...unknown, ...folders.slice(1)].join(' ')}\n${usage()}`);
    return EXIT_UNDECIDED;
  }
  const json = args.includes('--json');
  const quiet = args.includes('--quiet');
  const answer = decide(path.resolve(folders[0] || process.cwd()));
  if (json) process.stdout.write(`${JSON.stringify(answer.json)}\n`);
  else if (answer.stdout && !(quiet && answer.code === EXIT_OK)) process.stdout.write(answer.stdout);
  if (answer.stderr) process.stderr.write(answer.stderr);
  return answer.code;
}

function usage() {
  return [
    'Usage: plan-worktrees-guard [--json] [--quiet] [folder]',
    '',
    'Exits 2 in the main checkout of a repository that has plan worktrees (and names them),',
    '0 inside a plan worktree (and prints the plan) or where there is nothing to guard,',
    '1 when it cannot decide. PLAN_WORKTREES_ALLOW_MAIN=1 lets the main checkout through.',
    '',
  ].join('\n');
}

/** The answer for one folder: exit code, what to print, and the JSON form. */
function decide(folder) {
  let top;
  let commonDir;
  try {
    const out = git(folder, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir']).split('\n');
    top = out[0];
    commonDir = out[1];
  } catch (e) {
    if (e.code === 'ENOENT') return undecided(`git was not found on the PATH (${e.message}).`);
    if (!fs.existsSync(folder)) return undecided(`${folder} does not exist.`);
    // Not inside a worktree (no repository, or a bare one): nothing to guard.
    return answer(EXIT_OK, 'none', `${folder} is not inside a git worktree; nothing to guard.\n`, { folder });
  }
  if (!top || !commonDir) return undecided(`git gave no worktree for ${folder}.`);

  let registry;
  try {
    registry = readRegistry(commonDir);
  } catch (e) {
    return undecided(`cannot read the plan registry: ${e.message}`);
  }
  let worktrees;
  try {
    worktrees = listWorktrees(top);
  } catch (e) {
    return undecided(`cannot list the worktrees: ${e.message}`);
  }
  const mainEntry = worktrees[0];
  const mainPath = mainEntry && !mainEntry.bare ? mainEntry.path : undefined;
  const existing = new Set(worktrees.map((w) => realpath(w.path)));
  const active = registry.plans
    .filter((p) => p && p.status === 'active' && !p.creating && typeof p.id === 'string' && typeof p.path === 'string')
    .filter((p) => existing.has(realpath(p.path)))
    .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  const here = realpath(top);

  const mine = active.find((p) => realpath(p.path) === here);
  if (mine) {
    const plan = describePlan(mine, mainPath);
    return answer(EXIT_OK, 'plan', formatPlan(plan), { folder: top, plan });
  }
  if (mainPath && realpath(mainPath) === here) {
    if (active.length === 0) return answer(EXIT_OK, 'main', `${top} is the main checkout; the repository has no plan worktrees.\n`, { folder: top, plans: [] });
    const plans = active.map((p) => describePlan(p, mainPath));
    if (process.env.PLAN_WORKTREES_ALLOW_MAIN === '1') {
      return answer(EXIT_OK, 'main', '', { folder: top, allowed: true, plans }, `plan-worktrees-guard: PLAN_WORKTREES_ALLOW_MAIN=1: working in the main checkout ${top} although ${plans.length} plan worktree${plans.length === 1 ? '' : 's'} exist.\n`);
    }
    return answer(EXIT_MAIN_CHECKOUT, 'main', '', { folder: top, plans }, formatRefusal(top, plans));
  }
  return answer(EXIT_OK, 'other', `${top} is a worktree of the repository but not a plan's; the main checkout is ${mainPath || '(bare)'}.\n`, { folder: top });
}

function answer(code, where, stdout, details, stderr = '') {
  return { code, stdout, stderr, json: { ok: code === EXIT_OK, where, ...details } };
}

function undecided(message) {
  return { code: EXIT_UNDECIDED, stdout: '', stderr: `plan-worktrees-guard: ${message}\n`, json: { ok: false, where: 'unknown', error: message } };
}

function describePlan(p, mainPath) {
  const plan = { id: p.id, title: String(p.title || ''), branch: String(p.branch || ''), base: String(p.base || ''), path: p.path, main: mainPath || '' };
  if (typeof p.planFile === 'string' && p.planFile) {
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

function formatRefusal(top, plans) {
  const width = Math.max(...plans.map((p) => clean(p.id).length));
  const lines = plans.map((p) => `  ${clean(p.id).padEnd(width)}  ${clean(p.title)}\n  ${' '.repeat(width)}  ${clean(p.path)} (branch ${clean(p.branch)})`);
  return [
    `plan-worktrees-guard: ${top} is the main checkout, and this repository has ${plans.length} plan worktree${plans.length === 1 ? '' : 's'}.`,
    'Do not change files here; work in the worktree of your plan:',
    ...lines,
    'Set PLAN_WORKTREES_ALLOW_MAIN=1 to work in the main checkout anyway.',
    '',
  ].join('\n');
}

/** The registry; a missing file is no plans. Throws on a file that is not a registry. */
function readRegistry(commonDir) {
  const file = path.join(commonDir, 'plan-worktrees', 'plans.json');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return { plans: [] };
    throw e;
  }
  const data = JSON.parse(text);
  if (!data || typeof data !== 'object' || !Array.isArray(data.plans)) throw new Error(`${file} is not a Plan Worktrees registry.`);
  return data;
}

/** `git worktree list --porcelain -z`: the main worktree first. */
function listWorktrees(cwd) {
  const out = git(cwd, ['worktree', 'list', '--porcelain', '-z']);
  const entries = [];
  let current;
  for (const field of out.split('\0')) {
    if (field === '') {
      current = undefined;
      continue;
    }
    if (field.startsWith('worktree ')) {
      current = { path: field.slice('worktree '.length), bare: false };
      entries.push(current);
    } else if (field === 'bare' && current) current.bare = true;
  }
  return entries;
}

function git(cwd, args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }).replace(/\n$/, '');
}

function realpath(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Names from the registry, safe to print on a terminal: no control characters. */
function clean(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

process.exitCode = main(process.argv.slice(2));
