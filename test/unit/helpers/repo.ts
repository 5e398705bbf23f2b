/**
 * Real git repositories in temporary folders for the unit tier. Everything
 * here runs the real `git` executable; nothing is mocked.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Runs git synchronously in `cwd` and returns stdout (trimmed of the final newline). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: testGitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  }).replace(/\n$/, '');
}

/** Like git(), but returns the error's stderr instead of throwing. */
export function gitMayFail(cwd: string, ...args: string[]): { ok: boolean; stdout: string; stderr: string } {
  try {
    return { ok: true, stdout: git(cwd, ...args), stderr: '' };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? '') };
  }
}

/** An environment that keeps the user's global git configuration out of tests. */
export function testGitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Plan Tester',
    GIT_AUTHOR_EMAIL: 'tester@example.invalid',
    GIT_COMMITTER_NAME: 'Plan Tester',
    GIT_COMMITTER_EMAIL: 'tester@example.invalid',
  };
}

/** A fresh temporary folder; remove it with removeDir in `finally`. */
export function makeTempDir(prefix = 'pw-test-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs `body` in a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>, prefix?: string): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await body(dir);
  } finally {
    removeDir(dir);
  }
}

export interface TestRepo {
  /** The temporary folder that holds the repository (and sibling plan folders). */
  root: string;
  /** The main checkout. */
  main: string;
}

/**
 * Creates `<tmp>/<name>` as a git repository on branch `main` with one commit
 * holding the given files (default: README.md and src/app.txt).
 */
export function createRepo(
  files: Record<string, string> = { 'README.md': '# demo\n', 'src/app.txt': 'one\ntwo\nthree\n' },
  name = 'repo',
): TestRepo {
  const root = makeTempDir();
  const main = path.join(root, name);
  fs.mkdirSync(main, { recursive: true });
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'user.name', 'Plan Tester');
  git(main, 'config', 'user.email', 'tester@example.invalid');
  git(main, 'config', 'commit.gpgsign', 'false');
  writeFiles(main, files);
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'initial');
  return { root, main };
}

/** Runs `body` with a fresh repository, always removing it afterwards. */
export async function withRepo<T>(
  body: (repo: TestRepo) => Promise<T> | T,
  files?: Record<string, string>,
): Promise<T> {
  const repo = createRepo(files);
  try {
    return await body(repo);
  } finally {
    removeDir(repo.root);
  }
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** Writes files and commits them. Returns the new commit id. */
export function commitFiles(dir: string, files: Record<string, string>, message = 'change'): string {
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/**
 * A fingerprint of everything a user could lose or notice: every ref and the
 * commit it points to, HEAD, the index, the worktree list, and the content of
 * every file in every worktree (ignoring `.git`). Two equal fingerprints mean
 * "byte-for-byte unchanged".
 */
export function fingerprint(main: string): string {
  const parts: string[] = [];
  parts.push('refs:\n' + git(main, 'for-each-ref', '--format=%(refname) %(objectname)'));
  const worktrees = git(main, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
  parts.push('worktrees:\n' + worktrees.join('\n'));
  for (const wt of worktrees) {
    if (!fs.existsSync(wt)) {
      parts.push(`${wt}: missing`);
      continue;
    }
    parts.push(
      `${wt} HEAD: ${gitMayFail(wt, 'rev-parse', 'HEAD').stdout} ${gitMayFail(wt, 'symbolic-ref', '-q', 'HEAD').stdout}`,
    );
    parts.push(`${wt} index:\n${git(wt, 'ls-files', '-s')}`);
    parts.push(`${wt} files:\n${hashTree(wt)}`);
  }
  return parts.join('\n');
}

/** Relative path and sha256 of every file under dir, skipping `.git`. */
export function hashTree(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isSymbolicLink()) lines.push(`${path.relative(dir, full)} -> ${fs.readlinkSync(full)}`);
      else {
        lines.push(
          `${path.relative(dir, full)} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`,
        );
      }
    }
  };
  walk(dir);
  return lines.join('\n');
}

/**
 * Blocks the event loop for `ms` at a time, over and over, as a busy
 * extension host does (timers and I/O wait their turn); returns the stop.
 */
export function keepEventLoopBusy(ms: number): () => void {
  let running = true;
  const spin = (): void => {
    if (!running) return;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // busy: nothing else runs
    }
    setImmediate(spin);
  };
  setImmediate(spin);
  return () => {
    running = false;
  };
}
