/**
 * Creating a plan in a repository whose main checkout has a large ignored
 * `node_modules` (30,000 files in 1,500 packages by default;
 * `BENCH_DEP_FILES` sets the count), once per `dependencyFolders` mode,
 * against `git worktree add` + `cp -r node_modules` of the same folder in the
 * same run (the plain way to get a ready plan), and `git worktree add` alone
 * (what a folder that costs nothing would leave: the target is ≤ 1.2× that).
 * `BENCH_ONLY=dependencies npm run bench` runs only these rows.
 *
 * The rows run in the bench's temporary folder, and again in `BENCH_COW_DIR`
 * when it names a folder on a file system that can clone files (XFS made with
 * `reflink=1`, btrfs): the copy-on-write path is only taken where the file
 * system allows it, so both sets of figures are shown.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { Git } from '../src/git/runner';
import { PlanEngine } from '../src/model/engine/planEngine';
import { DependencyMode } from '../src/model/environment/dependencyFolders';
import { CountingLog, total } from './countingLog';
import { PlainGit } from './plainGit';
import { createSyntheticRepo, SyntheticRepo } from './syntheticRepo';
import { median, round, timed } from './stats';

const run = promisify(execFile);

export const DEPENDENCY_FILES = Number(process.env.BENCH_DEP_FILES ?? 30000);
const FILES_PER_PACKAGE = 20;

export interface DependencyRow {
  title: string;
  /** The file system the repository and its plans were on (`stat -f`), e.g. `ext2/ext3` (ext4) or `xfs`. */
  fileSystem: string;
  mode: Exclude<DependencyMode, 'off'>;
  /** How the plan's folder was made (from the create's record): clone, hardlink, copy or symlink. */
  method: string;
  runs: number;
  extensionMs: number;
  /** `git worktree add` + `cp -r node_modules`. */
  plainMs: number;
  /** `git worktree add` alone. */
  worktreeAddMs: number;
  /** Median of each run's extension / (worktree add + cp -r). */
  ratio: number;
  /** Median of each run's extension / worktree add alone; the target is ≤ 1.2. */
  ratioToWorktreeAdd: number;
  target: number;
  met: boolean;
  extensionProcesses: Record<string, number>;
  samples: { extension: number[]; plain: number[]; worktreeAdd: number[] };
}

/**
 * The benchmarks' synthetic repository (2,000 tracked files, 21 commits) with
 * an ignored node_modules of `files` files. `node_modules` is excluded in
 * `.git/info/exclude` without a trailing slash, so that a symbolic link is
 * ignored too (the symlink mode).
 */
export async function makeDependencyRepo(root: string, files = DEPENDENCY_FILES): Promise<SyntheticRepo> {
  const repo = await createSyntheticRepo(root);
  fs.appendFileSync(path.join(repo.commonDir, 'info', 'exclude'), 'node_modules\n');
  for (let i = 0; i * FILES_PER_PACKAGE < files; i++) {
    const dir = path.join(repo.main, 'node_modules', `pkg-${i}`, 'lib');
    fs.mkdirSync(dir, { recursive: true });
    for (let k = 0; k < FILES_PER_PACKAGE && i * FILES_PER_PACKAGE + k < files; k++) {
      fs.writeFileSync(path.join(dir, `file-${k}.js`), `module.exports = ${i * FILES_PER_PACKAGE + k};\n`.repeat(8));
    }
  }
  return repo;
}

/** One row per mode: each run creates a plan (extension), a worktree + cp -r, and a worktree alone, in turn. */
export async function measureDependencyFolders(root: string, runs: number): Promise<DependencyRow[]> {
  const { main, plansDir } = await makeDependencyRepo(path.join(root, 'dependencies'));
  const fileSystem = (await run('stat', ['-f', '-c', '%T', main])).stdout.trim();
  const plain = new PlainGit(8);
  const rows: DependencyRow[] = [];
  let k = 0;
  for (const mode of ['copy', 'hardlink', 'symlink'] as const) {
    const log = new CountingLog();
    const engine = await PlanEngine.open(main, {
      git: new Git({ log, maxConcurrent: 8 }),
      log,
      settings: { dependencyFolders: { node_modules: mode } },
    });
    const ext: number[] = [];
    const base: number[] = [];
    const add: number[] = [];
    let method = '';
    let extensionProcesses: Record<string, number> = {};
    for (let i = 0; i < runs; i++) {
      const extension = async () => {
        const id = `deps-${++k}`;
        log.take();
        const { ms, value } = await timed(() => engine.create({ id, title: `Dependencies ${mode}` }));
        extensionProcesses = log.take();
        method = value.dependencyFolders?.[0]?.method ?? 'none';
        ext.push(ms);
      };
      const copy = async () => {
        const folder = path.join(plansDir, `plain-${++k}`);
        base.push(
          (
            await timed(async () => {
              await plain.run(main, ['worktree', 'add', '-q', '-b', `plain/${k}`, folder]);
              await run('cp', ['-r', path.join(main, 'node_modules'), path.join(folder, 'node_modules')]);
            })
          ).ms,
        );
      };
      const alone = async () => {
        const folder = path.join(plansDir, `alone-${++k}`);
        add.push((await timed(() => plain.run(main, ['worktree', 'add', '-q', '-b', `alone/${k}`, folder]))).ms);
      };
      const order = [extension, copy, alone];
      for (let j = 0; j < order.length; j++) await order[(j + i) % order.length]();
    }
    const ratioToWorktreeAdd = median(ext.map((x, i) => x / add[i]));
    rows.push({
      title: `create with a ${DEPENDENCY_FILES.toLocaleString('en')}-file node_modules (${mode}, on ${fileSystem})`,
      fileSystem,
      mode,
      method,
      runs,
      extensionMs: round(median(ext)),
      plainMs: round(median(base)),
      worktreeAddMs: round(median(add)),
      ratio: round(median(ext.map((x, i) => x / base[i])), 2),
      ratioToWorktreeAdd: round(ratioToWorktreeAdd, 2),
      target: 1.2,
      met: ratioToWorktreeAdd <= 1.2,
      extensionProcesses,
      samples: { extension: ext.map((x) => round(x)), plain: base.map((x) => round(x)), worktreeAdd: add },
    });
  }
  return rows;
}

export function describeDependencyRow(r: DependencyRow): string {
  return `${r.title}: ${r.extensionMs} ms (method ${r.method}, ${total(r.extensionProcesses)} git processes) vs ${r.plainMs} ms for git worktree add + cp -r (ratio ${r.ratio}) and ${r.worktreeAddMs} ms for git worktree add alone (ratio ${r.ratioToWorktreeAdd}, target ≤ ${r.target}: ${r.met ? 'met' : 'MISSED'})`;
}

/** Markdown rows for the README's table of this measure. */
export function formatDependencyTable(rows: DependencyRow[]): string {
  const lines = [
    '| create with node_modules | file system | method used | extension (ms) | git worktree add + cp -r (ms) | ratio | git worktree add alone (ms) | ratio | target |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.mode}, ${DEPENDENCY_FILES.toLocaleString('en')} files | ${r.fileSystem} | ${r.method} | ${r.extensionMs.toFixed(1)} | ${r.plainMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.worktreeAddMs.toFixed(1)} | ${r.ratioToWorktreeAdd.toFixed(2)} | ≤ ${r.target} ${r.met ? '✓' : '✗ missed'} |`,
    );
  }
  return lines.join('\n');
}
