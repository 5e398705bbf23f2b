/**
 * Helpers for the fault, concurrency and hostile-input suite (test/unit/fault):
 * a seeded random generator, a Git runner and registry/event-log wrappers that
 * fail one chosen step, a second process that runs the engine on the same
 * repository, and the invariants "nothing lost, state consistent", checked
 * against the real repository after every step. Everything runs real git.
 */
import * as assert from 'assert';
import { ChildProcess, execFileSync, fork } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError, PlanErrorWrapper, PlanWorktreesError } from '../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../src/git/runner';
import { blobIdLike } from '../../../src/git/commands/objects';
import { EventLog } from '../../../src/model/store/events';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { Registry } from '../../../src/model/store/registry';
import { git, gitMayFail, testGitEnv } from './repo';

// ---------------------------------------------------------------- counts

/** What the suite did, printed at the end of the run (the closing note asks for these numbers). */
export const counts = {
  operations: 0,
  refusals: 0,
  faultsInjected: 0,
  kills: 0,
  hostileInputs: 0,
  invariantChecks: 0,
  /** Must stay 0: every loss found fails the test that found it. */
  lost: 0,
  /** Doctor fixes applied, by kind of finding. */
  repairs: {} as Record<string, number>,
};

// ---------------------------------------------------------------- random

/** A small seeded generator (mulberry32): the same seed gives the same run. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  /** A key of `weights`, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let roll = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

/** A seed a seeded fault test runs, and why it runs it. */
export interface FuzzSeed {
  seed: number;
  /** `known`: a seed kept as a regression case; `fresh`: new every run; `replay`: PLAN_WORKTREES_FUZZ_SEED. */
  kind: 'known' | 'fresh' | 'replay';
}

/**
 * The seeds a seeded fault test runs: the one in PLAN_WORKTREES_FUZZ_SEED
 * alone, when it is set (a replay); otherwise the known seeds, kept as
 * regression cases, and one fresh seed, on CI too, so that every run also
 * explores a sequence no run has tried. The caller prints each seed with its
 * replay line.
 */
export function fuzzSeeds(known: number[]): FuzzSeed[] {
  const fromEnv = process.env.PLAN_WORKTREES_FUZZ_SEED;
  if (fromEnv) {
    if (!/^\d+$/.test(fromEnv.trim()) || Number(fromEnv) > 0xffffffff) {
      throw new Error(`PLAN_WORKTREES_FUZZ_SEED must be a whole number from 0 to 4294967295, not "${fromEnv}".`);
    }
    return [{ seed: Number(fromEnv), kind: 'replay' }];
  }
  return [
    ...known.map((seed): FuzzSeed => ({ seed, kind: 'known' })),
    { seed: crypto.randomBytes(4).readUInt32LE(0), kind: 'fresh' },
  ];
}

/** A whole number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

// ---------------------------------------------------------------- fault injection

/**
 * Where a fault goes: `before` a step (it never happens; the operation sees
 * an error between two steps), or `kill` right after it: the process dies
 * there with SIGKILL, as a crashed window would (used in a forked process).
 */
export type FaultMode = 'before' | 'kill';

/**
 * Counts the steps of an operation (git processes, registry writes, event-log
 * appends) and fails at step `failAt`. With `failAt` undefined it only counts.
 */
export class FaultInjector {
  steps: string[] = [];
  failAt?: number;
  mode: FaultMode = 'before';
  injected?: string;

  arm(failAt: number | undefined, mode: FaultMode): void {
    this.steps = [];
    this.failAt = failAt;
    this.mode = mode;
    this.injected = undefined;
  }

  /** Runs one step (steps running side by side are numbered as they start); fails before it or dies after it when it is the chosen one. */
  async around<T>(step: string, run: () => Promise<T>): Promise<T> {
    const index = this.steps.push(step);
    if (this.failAt === index && this.mode === 'before' && this.injected === undefined) {
      this.injected = `before step ${index} (${step})`;
      counts.faultsInjected++;
      throw new PlanWorktreesError(ErrorCode.Unknown, `Injected failure ${this.injected}.`);
    }
    const result = await run();
    if (this.failAt === index && this.mode === 'kill') process.kill(process.pid, 'SIGKILL');
    return result;
  }
}

/** A real Git runner whose calls are steps of the injector. */
export class FaultyGit extends Git {
  constructor(readonly faults: FaultInjector) {
    super();
  }

  override exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    return this.faults.around(`git ${args.slice(0, 2).join(' ')}`, () => super.exec(args, options));
  }

  override execBuffer(args: string[], options: ExecOptions): Promise<Buffer> {
    return this.faults.around(`git ${args.slice(0, 2).join(' ')}`, () => super.execBuffer(args, options));
  }
}

/**
 * Makes every registry write and event-log append a step of `faults` while
 * `body` runs (the engine makes its own Registry and EventLog, so their
 * prototypes are wrapped, and put back afterwards).
 */
export async function withStateFaults<T>(faults: FaultInjector, body: () => Promise<T>): Promise<T> {
  const uninstall = installStateFaults(faults);
  try {
    return await body();
  } finally {
    uninstall();
  }
}

/** Makes registry writes and event-log appends steps of `faults` until the returned function is called. */
export function installStateFaults(faults: FaultInjector): () => void {
  const update = Registry.prototype.update;
  const append = EventLog.prototype.append;
  Registry.prototype.update = function <R>(this: Registry, fn: Parameters<typeof update>[0]): Promise<R> {
    return faults.around('registry write', () => update.call(this, fn) as Promise<R>);
  };
  EventLog.prototype.append = function (this: EventLog, event) {
    return faults.around(`event ${String(event.type)}`, () => append.call(this, event));
  };
  return () => {
    Registry.prototype.update = update;
    EventLog.prototype.append = append;
  };
}

// ---------------------------------------------------------------- a second process

export interface WorkerReply {
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
  /** The error was not a PlanWorktreesError (a bug). */
  unexpected?: boolean;
  /** The git command that failed, if one did. */
  command?: string;
  /** The model error's data (what it refused, and why), if it is one. */
  data?: { reason?: string };
}

/**
 * Gives others search permission (`o+x`, not read) on `folder` and every
 * folder above it that lacks it; returns what puts their modes back.
 */
function letOthersReach(folder: string): () => void {
  const changed: Array<[string, number]> = [];
  for (let at = path.resolve(folder); ; at = path.dirname(at)) {
    const mode = fs.statSync(at).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(at, mode | 0o001);
      changed.push([at, mode]);
    }
    if (path.dirname(at) === at) break;
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const [at, mode] of changed) fs.chmodSync(at, mode);
  };
}

/** A forked process running its own PlanEngine on the repository (test/unit/fixtures/engineWorker.ts). */
export class EngineWorker {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  private readonly ready: Promise<void>;
  exited = false;

  /** `user`: run it as another user (the test process must be root), with this home folder. */
  constructor(folder: string, settings: object = {}, user?: { uid: number; gid: number; home: string }) {
    const script = path.join(__dirname, '..', 'fixtures', 'engineWorker.js');
    // Another user must reach the compiled tests and node_modules: a checkout in a folder only its owner may enter
    // (`mktemp -d` makes one) gets search permission for others on those folders while the worker runs.
    const restore = user ? letOthersReach(path.join(__dirname, '..', '..', '..', '..')) : () => undefined;
    this.child = fork(script, [folder, JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(user && { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: user.home } }),
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('message', (m) =>
        m === 'ready' ? resolve() : reject(new Error(`worker said ${JSON.stringify(m)}`)),
      );
      this.child.once('exit', (code, signal) =>
        reject(new Error(`worker exited before it was ready (${code ?? signal})`)),
      );
    });
    this.child.on('message', (m: { seq?: number } & WorkerReply) => {
      if (typeof m !== 'object' || m.seq === undefined) return;
      this.pending.get(m.seq)?.(m);
      this.pending.delete(m.seq);
    });
    this.child.on('exit', (code, signal) => {
      restore();
      this.exited = true;
      for (const resolve of this.pending.values()) {
        resolve({ ok: false, code: 'Exited', message: `worker exited (${code ?? signal})` });
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Runs `engine[op](...args)` in the worker (or `doctorFix`: the doctor with every fix applied). */
  async call(op: string, ...args: unknown[]): Promise<WorkerReply> {
    await this.ready;
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      this.child.send({ seq, op, args });
    });
  }

  /** SIGKILL: the process dies wherever it is, as a crashed window would. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await this.kill();
  }
}

// ---------------------------------------------------------------- the engine's answer

export type Outcome<T> =
  { ok: true; value: T } | { ok: false; code: string; message: string; command?: string; data?: { reason?: string } };

/** Runs an engine operation; a PlanWorktreesError is an answer (a refusal), anything else a bug. */
export async function attempt<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  counts.operations++;
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    if (!(e instanceof PlanWorktreesError)) throw e;
    counts.refusals++;
    const data = e instanceof PlanError || e instanceof PlanErrorWrapper ? (e.data as { reason?: string }) : undefined;
    return { ok: false, code: e.code, message: e.message, command: e.command, data };
  }
}

/** Runs the doctor and every fix it offers, except deleting snapshots; returns the kinds found. */
export async function doctorFixAll(engine: PlanEngine): Promise<string[]> {
  const kinds: string[] = [];
  for (let round = 0; round < 3; round++) {
    const findings = (await engine.doctor()).filter((f) => f.fix && f.kind !== 'oldSnapshot');
    if (findings.length === 0) break;
    for (const finding of findings) {
      kinds.push(finding.kind);
      counts.repairs[finding.kind] = (counts.repairs[finding.kind] ?? 0) + 1;
      try {
        await finding.fix?.run();
      } catch (e) {
        if (!(e instanceof PlanWorktreesError)) throw e;
        kinds.push(`${finding.kind} fix failed: ${e.code}`);
      }
    }
  }
  return kinds;
}

// ---------------------------------------------------------------- what a user could lose

/** Git's id of a blob with this content (sha1 repositories). */
export function blobId(content: Buffer): string {
  // The test repositories use SHA-1 object names.
  return blobIdLike('0'.repeat(40), content);
}

/** One piece of uncommitted work: a file's content in a worktree, on disk or staged. */
export interface Work {
  worktree: string;
  path: string;
  blob: string;
  /** Staged content (the index), as opposed to the file on disk. */
  staged?: boolean;
}

/** Everything worth keeping, at one moment. */
export interface Holdings {
  /** Every commit reachable from any ref (snapshots and stash included) or any worktree's HEAD. */
  commits: Set<string>;
  /** Uncommitted and untracked files of every worktree whose folder exists. */
  work: Work[];
  worktrees: string[];
}

/** The worktrees git lists (folder paths), main first. */
export function worktreePaths(main: string): string[] {
  return git(main, 'worktree', 'list', '--porcelain', '-z')
    .split('\0')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
}

/** The uncommitted work of one worktree: content of each changed or untracked file, and of each staged change. */
/**
 * Folders whose ignored files are disposable (dependencies, build output):
 * what the product's `disposableFolders` setting names by default. Every
 * other ignored file counts as work a person would miss.
 */
export const DISPOSABLE_FOLDERS = [
  'node_modules',
  '.venv',
  'venv',
  'target',
  'dist',
  'build',
  'out',
  '.next',
  '.cache',
  '__pycache__',
];

export function uncommittedWork(worktree: string): Work[] {
  const result = gitMayFail(
    worktree,
    'status',
    '--porcelain=v2',
    '-z',
    '--untracked-files=all',
    '--ignored=matching',
    '--no-renames',
  );
  if (!result.ok) return [];
  const work: Work[] = [];
  const records = result.stdout.split('\0');
  for (const record of records) {
    if (record === '') continue;
    let file: string | undefined;
    if (record.startsWith('? ')) file = record.slice(2);
    else if (record.startsWith('! ')) {
      // Ignored: work too, unless it lies in a disposable folder (or is a whole ignored folder, listed by its files below).
      const ignored = record.slice(2);
      if (ignored.split('/').some((part) => DISPOSABLE_FOLDERS.includes(part))) continue;
      if (ignored.endsWith('/')) {
        work.push(...ignoredFilesUnder(worktree, ignored));
        continue;
      }
      file = ignored;
    } else if (record.startsWith('1 ')) {
      const fields = record.split(' ');
      file = fields.slice(8).join(' ');
      const staged = record[2] !== '.' && record[2] !== 'D';
      const index = fields[7];
      if (staged && !/^0+$/.test(index)) work.push({ worktree, path: file, blob: index, staged: true });
      if (record[3] === '.' || record[3] === 'D') file = undefined;
    } else if (record.startsWith('u ')) {
      file = record.split(' ').slice(10).join(' ');
    }
    if (file === undefined) continue;
    const full = path.join(worktree, file);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue;
    }
    if (stat.isFile()) work.push({ worktree, path: file, blob: blobId(fs.readFileSync(full)) });
  }
  return work;
}

/** The files of an ignored folder, as work (git lists such a folder as one entry). */
function ignoredFilesUnder(worktree: string, folder: string): Work[] {
  const work: Work[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(worktree, rel), { withFileTypes: true })) {
      const child = `${rel}${entry.name}`;
      if (entry.isDirectory() && !DISPOSABLE_FOLDERS.includes(entry.name)) walk(`${child}/`);
      else if (entry.isFile()) {
        work.push({ worktree, path: child, blob: blobId(fs.readFileSync(path.join(worktree, child))) });
      }
    }
  };
  walk(folder);
  return work;
}

/**
 * A commit of everything in a worktree (uncommitted and untracked files too)
 * on top of its HEAD, made with a temporary index: what a merge that commits
 * the uncommitted changes first works from.
 */
export function worktreeCommit(folder: string): string {
  const index = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pw-fault-index-')), 'index');
  try {
    const env = { ...testGitEnv(), GIT_INDEX_FILE: index };
    const run = (...args: string[]): string => execFileSync('git', args, { cwd: folder, env, encoding: 'utf8' }).trim();
    run('read-tree', 'HEAD');
    run('add', '-A');
    return run('commit-tree', run('write-tree'), '-p', 'HEAD', '-m', 'the worktree as it was');
  } finally {
    fs.rmSync(path.dirname(index), { recursive: true, force: true });
  }
}

/** Every commit reachable from a ref or a worktree HEAD. */
/**
 * Where reachability starts when `--all` failed: a process killed inside
 * `git worktree add` left a half-written worktree record (a placeholder or
 * empty HEAD, which `--all` refuses as a bad object, until the doctor removes
 * it); every ref and each healthy worktree's detached HEAD.
 */
function startingPoints(main: string): string[] {
  const points = git(main, 'for-each-ref', '--format=%(objectname)').split('\n').filter(Boolean);
  const common = path.join(main, '.git');
  const linked = fs.existsSync(path.join(common, 'worktrees')) ? fs.readdirSync(path.join(common, 'worktrees')) : [];
  const heads = [path.join(common, 'HEAD'), ...linked.map((w) => path.join(common, 'worktrees', w, 'HEAD'))];
  for (const head of heads) {
    const text = fs.existsSync(head) ? fs.readFileSync(head, 'utf8').trim() : '';
    if (
      /^[0-9a-f]{40}$/.test(text) &&
      !/^0+$/.test(text) &&
      gitMayFail(main, 'cat-file', '-e', `${text}^{commit}`).ok
    ) {
      points.push(text);
    }
  }
  return points;
}

export function reachableCommits(main: string): Set<string> {
  // The whole walk decides: a short probe (`-n 1`) can pass where the walk then meets the half-written record.
  const all = gitMayFail(main, 'rev-list', '--all');
  const out = all.ok ? all.stdout : git(main, 'rev-list', ...startingPoints(main));
  return new Set(out.split('\n').filter(Boolean));
}

export function holdings(main: string): Holdings {
  const worktrees = worktreePaths(main);
  const work = worktrees.filter((w) => fs.existsSync(w)).flatMap(uncommittedWork);
  return { commits: reachableCommits(main), work, worktrees };
}

/** Every blob reachable from a ref or a worktree HEAD (snapshots and stashes included). */
function reachableBlobs(main: string): Set<string> {
  const all = gitMayFail(main, 'rev-list', '--objects', '--all');
  const out = all.ok ? all.stdout : git(main, 'rev-list', '--objects', ...startingPoints(main));
  return new Set(out.split('\n').map((l) => l.slice(0, 40)));
}

/**
 * Whether the work of `commit` is in `base`: merging it would change nothing,
 * or each of its commits has a patch-equivalent commit in the base (rebased,
 * cherry-picked), or all of it together has one (squash-merged).
 */
export function inBase(main: string, base: string, commit: string): boolean {
  const merged = gitMayFail(main, 'merge-tree', '--write-tree', base, commit);
  if (merged.ok && merged.stdout.split('\n')[0] === git(main, 'rev-parse', `${base}^{tree}`)) return true;
  const equivalent = (out: string): boolean => out !== '' && out.split('\n').every((l) => l.startsWith('- '));
  if (equivalent(git(main, 'cherry', base, commit))) return true;
  const mergeBase = gitMayFail(main, 'merge-base', base, commit);
  if (!mergeBase.ok) return false;
  const squashed = git(main, 'commit-tree', `${commit}^{tree}`, '-p', mergeBase.stdout, '-m', 'squashed');
  return equivalent(git(main, 'cherry', base, squashed, mergeBase.stdout));
}

export interface LossReport {
  lostCommits: string[];
  lostWork: Work[];
}

/**
 * What was held `before` and is held nowhere now. A commit may leave only
 * when its work is in `base` (or it leads to a commit that is, as the old
 * commits of a rebased plan); a file only when its content is still in some
 * worktree, or in a commit a ref reaches (committed, snapshot, stash).
 * Work in `forgiven` folders (deleted or overwritten by the user) does not
 * count, nor staged content in `stagedForgiven` folders (whose files were
 * committed as they are on disk, as `git commit -a` does).
 */
export function findLosses(
  main: string,
  before: Holdings,
  base = 'main',
  forgiven: string[] = [],
  stagedForgiven: string[] = [],
): LossReport {
  counts.invariantChecks++;
  const now = reachableCommits(main);
  const gone = [...before.commits].filter((c) => !now.has(c));
  const lostCommits: string[] = [];
  if (gone.length > 0) {
    // Tips first: a commit is fine when its work is in the base, or when a fine commit descends from it.
    const fine = new Set<string>();
    const ordered = git(main, 'rev-list', '--topo-order', '--no-walk=unsorted', ...gone)
      .split('\n')
      .filter(Boolean);
    const ancestors = (c: string): string[] => git(main, 'rev-list', c).split('\n').filter(Boolean);
    for (const commit of ordered) {
      if (fine.has(commit)) continue;
      if (inBase(main, base, commit)) for (const a of ancestors(commit)) fine.add(a);
    }
    lostCommits.push(...gone.filter((c) => !fine.has(c)));
  }
  const wanted = before.work.filter(
    (w) => !forgiven.includes(w.worktree) && !(w.staged && stagedForgiven.includes(w.worktree)),
  );
  let blobs: Set<string> | undefined;
  const onDisk = new Map<string, string | undefined>();
  const diskBlob = (file: string): string | undefined => {
    if (!onDisk.has(file)) {
      try {
        const stat = fs.lstatSync(file);
        onDisk.set(file, stat.isFile() ? blobId(fs.readFileSync(file)) : undefined);
      } catch {
        onDisk.set(file, undefined);
      }
    }
    return onDisk.get(file);
  };
  const worktreesNow = worktreePaths(main).filter((w) => fs.existsSync(w));
  const lostWork: Work[] = [];
  for (const work of wanted) {
    if (worktreesNow.some((w) => diskBlob(path.join(w, work.path)) === work.blob)) continue;
    if (
      worktreesNow.some((w) =>
        gitMayFail(w, 'ls-files', '-s', '--', `:(literal)${work.path}`).stdout.includes(` ${work.blob} `),
      )
    ) {
      continue;
    }
    blobs ??= reachableBlobs(main);
    if (blobs.has(work.blob)) continue;
    lostWork.push(work);
  }
  counts.lost += lostCommits.length + lostWork.length;
  return { lostCommits, lostWork };
}

export function assertNothingLost(
  main: string,
  before: Holdings,
  context: string,
  options: { base?: string; forgiven?: string[]; stagedForgiven?: string[] } = {},
): void {
  const loss = findLosses(main, before, options.base, options.forgiven, options.stagedForgiven);
  if (loss.lostCommits.length > 0 || loss.lostWork.length > 0) {
    assert.fail(
      `${context}: lost ${loss.lostCommits.length} commit(s) ${loss.lostCommits.join(', ')} and ${loss.lostWork.length} file(s) ${JSON.stringify(loss.lostWork)}`,
    );
  }
}

// ---------------------------------------------------------------- registry against git

/**
 * The registry agrees with git: no two active plans share an id, a branch or
 * a folder; every worktree git lists is one row of `list()`, and every active
 * plan is a row (with its worktree, or shown without one: missing); a row's
 * worktree is on the plan's branch. With `settled`, no entry is still `creating`.
 */
export async function assertConsistent(
  engine: PlanEngine,
  main: string,
  context: string,
  options: { settled?: boolean } = {},
): Promise<void> {
  counts.invariantChecks++;
  const registryFile = new Registry(engine.repo.commonDir).file;
  const data = fs.existsSync(registryFile)
    ? (JSON.parse(fs.readFileSync(registryFile, 'utf8')) as {
        plans: Array<{ id: string; branch: string; path: string; status: string; creating?: boolean; run: number }>;
      })
    : { plans: [] };
  const active = data.plans.filter((p) => p.status === 'active');
  for (const key of ['id', 'branch', 'path'] as const) {
    const seen = new Set<string>();
    for (const plan of active) {
      assert.ok(
        !seen.has(plan[key]),
        `${context}: two active plans have the ${key} ${plan[key]}: ${JSON.stringify(active)}`,
      );
      seen.add(plan[key]);
    }
  }
  if (options.settled) {
    const creating = data.plans.filter((p) => p.creating);
    assert.deepStrictEqual(creating, [], `${context}: entries left "creating"`);
  }
  const rows = await engine.list();
  const gitList = worktreePaths(main);
  const listed = rows.filter((r) => r.worktree).map((r) => r.worktree?.path as string);
  assert.deepStrictEqual([...listed].sort(), [...gitList].sort(), `${context}: list() rows against git worktree list`);
  for (const plan of active.filter((p) => !p.creating)) {
    const matching = rows.filter((r) => r.plan?.id === plan.id && r.plan.run === plan.run);
    assert.strictEqual(
      matching.length,
      1,
      `${context}: active plan ${plan.id} (run ${plan.run}) is in ${matching.length} rows`,
    );
    const row = matching[0];
    if (row.worktree) {
      assert.strictEqual(
        row.worktree.branch,
        `refs/heads/${plan.branch}`,
        `${context}: plan ${plan.id}'s worktree ${row.worktree.path} is not on its branch`,
      );
      if (!fs.existsSync(row.worktree.path)) {
        assert.ok(
          (await engine.details(row)).missing,
          `${context}: the folder of ${row.worktree.path} is gone but not reported missing`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------- the main checkout

/** HEAD, index and every file of the main checkout (not `.git`). */
export function mainCheckout(main: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(`${path.relative(main, full)} ${entry.isFile() ? blobId(fs.readFileSync(full)) : 'link'}`);
    }
  };
  walk(main);
  return [
    git(main, 'rev-parse', 'HEAD'),
    gitMayFail(main, 'symbolic-ref', '-q', 'HEAD').stdout,
    git(main, 'ls-files', '-s'),
    ...files,
  ].join('\n');
}

/** After a merge into the main checkout's branch: HEAD is `commit`, the index and tracked files match it. */
export function assertCheckoutAt(main: string, commit: string, context: string): void {
  assert.strictEqual(git(main, 'rev-parse', 'HEAD'), commit, `${context}: the main checkout's HEAD`);
  assert.strictEqual(
    git(main, 'status', '--porcelain', '--untracked-files=no'),
    '',
    `${context}: the main checkout's index and files are not at ${commit.slice(0, 8)}`,
  );
}

// ---------------------------------------------------------------- files written

/** Every path under `root` (folders and files), `.git` folders' contents left out unless `withGit`. */
export function listTree(root: string, withGit = false): string[] {
  const all = fs.readdirSync(root, { recursive: true, encoding: 'utf8' });
  const inGitFolder = (p: string) => p.split(path.sep).slice(0, -1).includes('.git');
  return all.filter((p) => withGit || !inGitFolder(p)).sort();
}

/** The main checkout is at its old commit with its old files, or fully at its branch's new commit: never in between. */
export function assertNotHalfway(main: string, tipBefore: string, context: string): void {
  const tip = git(main, 'rev-parse', 'HEAD');
  if (tip === tipBefore) return;
  assert.strictEqual(
    git(main, 'status', '--porcelain', '--untracked-files=no'),
    '',
    `${context}: the main checkout is half-way between ${tipBefore.slice(0, 8)} and ${tip.slice(0, 8)}`,
  );
}
