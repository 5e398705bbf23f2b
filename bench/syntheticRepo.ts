/**
 * The synthetic repository of the benchmarks: 2,000 tracked files in 40
 * folders, a short history, an ignored `.env` (so create has something to
 * copy), and plan worktrees made with plain git plus their registry entries.
 * Setup is not measured, so it favours speed (two checkouts at once).
 *
 * The plans are a mix, as in real use: every third has commits of its own
 * (ahead), every fourth has a modified file, every fifth an untracked file;
 * and the base branch moves on after each batch, so plans are behind too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Registry } from '../src/model/store/registry';
import { PlanRecord } from '../src/model/engine/types';
import { PlainGit } from './plainGit';

export const FILE_COUNT = 2000;
const FOLDERS = 40;

export interface SyntheticRepo {
  /** The temporary folder holding the repository and its plan folders. */
  root: string;
  /** The main checkout (branch `main`). */
  main: string;
  /** The common git directory. */
  commonDir: string;
  /** Where plan worktrees go: `<root>/repo.plans`. */
  plansDir: string;
  /** Plans made so far. */
  plans: PlanRecord[];
  /** The `index`-th tracked file (relative path); plans edit and commit these. */
  trackedFile: (index: number) => string;
  /** Tracked files in all. */
  files: number;
}

/** Identity and configuration for every git the benchmark starts (ours and the extension's). */
export function isolateGitEnvironment(): void {
  Object.assign(process.env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.invalid',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  });
}

const setupGit = new PlainGit(2);

function fileText(folder: number, file: number, version = 0): string {
  const lines = [`// folder ${folder}, file ${file}, version ${version}`];
  for (let i = 0; i < 12; i++)
    lines.push(`export const value${i} = ${(folder * 1000 + file * 10 + i) * (version + 1)};`);
  return lines.join('\n') + '\n';
}

export function trackedFile(index: number): string {
  const folder = index % FOLDERS;
  return path.join(
    'src',
    `module${String(folder).padStart(2, '0')}`,
    `file${String(Math.floor(index / FOLDERS)).padStart(3, '0')}.ts`,
  );
}

/** Creates `<root>/repo` with FILE_COUNT files and a short history on `main`. */
export async function createSyntheticRepo(root: string): Promise<SyntheticRepo> {
  const main = path.join(root, 'repo');
  fs.mkdirSync(main, { recursive: true });
  for (let i = 0; i < FILE_COUNT; i++) {
    const file = path.join(main, trackedFile(i));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, fileText(i % FOLDERS, i));
  }
  fs.writeFileSync(path.join(main, 'README.md'), '# Synthetic repository for the Plan Worktrees benchmarks\n');
  fs.writeFileSync(path.join(main, '.gitignore'), '.env\nnode_modules/\n');
  fs.writeFileSync(path.join(main, '.env'), 'API_URL=http://localhost:3000\n');
  const git = (...args: string[]) => setupGit.out(main, ...args);
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.name', 'Bench');
  await git('config', 'user.email', 'bench@example.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'Initial commit');
  for (let c = 1; c <= 20; c++) {
    for (let k = 0; k < 5; k++) fs.writeFileSync(path.join(main, trackedFile(c * 37 + k)), fileText(0, c * 37 + k, c));
    await git('commit', '-q', '-am', `History commit ${c}`);
  }
  const commonDir = (await git('rev-parse', '--path-format=absolute', '--git-common-dir')).trim();
  return { root, main, commonDir, plansDir: path.join(root, 'repo.plans'), plans: [], trackedFile, files: FILE_COUNT };
}

function planNames(i: number): { id: string; slug: string; branch: string; title: string } {
  const id = String(i);
  const slug = `bench-plan-${i}`;
  return { id, slug, branch: `plan/${id}-${slug}`, title: `Bench plan ${i}` };
}

/** Adds plans until there are `count`, with plain git, and registers them. */
export async function growPlans(repo: SyntheticRepo, count: number): Promise<void> {
  const base = (await setupGit.out(repo.main, 'rev-parse', 'main')).trim();
  const first = repo.plans.length + 1;
  const made: PlanRecord[] = [];
  const jobs: Array<Promise<void>> = [];
  for (let i = first; i <= count; i++) {
    const names = planNames(i);
    const folder = path.join(repo.plansDir, `${names.id}-${names.slug}`);
    // Two `worktree add` at once can trip over each other's half-made folder in
    // .git/worktrees; adding without checkout is quick, the checkouts run in parallel.
    await setupGit.out(
      repo.main,
      'worktree',
      'add',
      '-q',
      '--no-checkout',
      '--no-track',
      '-b',
      names.branch,
      folder,
      base,
    );
    jobs.push(
      (async () => {
        await setupGit.out(folder, 'reset', '-q', '--hard');
        await shapePlan(repo, folder, i);
        made.push({
          ...names,
          path: folder,
          base: 'main',
          baseCommit: base,
          created: new Date().toISOString(),
          status: 'active',
          run: 1,
        });
      })(),
    );
  }
  await Promise.all(jobs);
  made.sort((a, b) => Number(a.id) - Number(b.id));
  await new Registry(repo.commonDir).update((data) => {
    data.plans.push(...made);
  });
  repo.plans.push(...made);
  // The base moves on, so plans are behind it.
  fs.writeFileSync(path.join(repo.main, 'CHANGELOG.md'), `Up to ${count} plans\n`);
  await setupGit.out(repo.main, 'add', 'CHANGELOG.md');
  await setupGit.out(repo.main, 'commit', '-q', '-m', `Base after ${count} plans`);
}

/** The mix of plan states: commits ahead, modified files, untracked files. */
async function shapePlan(repo: SyntheticRepo, folder: string, i: number): Promise<void> {
  if (i % 3 === 0) {
    fs.writeFileSync(path.join(folder, `PLAN-${i}.md`), `# Plan ${i}\n`);
    fs.writeFileSync(path.join(folder, repo.trackedFile(i * 7)), fileText(1, i * 7, 100 + i));
    await setupGit.out(folder, 'add', '-A');
    await setupGit.out(folder, 'commit', '-q', '-m', `Plan ${i}: work`);
  }
  if (i % 4 === 1) fs.appendFileSync(path.join(folder, repo.trackedFile(i * 11 + 1)), `// edited in plan ${i}\n`);
  if (i % 5 === 2) fs.writeFileSync(path.join(folder, `notes-${i}.txt`), 'scratch\n');
}
