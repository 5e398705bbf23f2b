/**
 * Helpers for the lifecycle tests (create, cleanup, doctor, engine): a
 * repository context on a real repository, and the "everything a user could
 * notice" state used to prove that a refusal or a rollback changed nothing.
 * Everything runs real git; nothing is mocked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExecOptions, ExecResult, Git } from '../../../src/git/runner';
import { EventLog } from '../../../src/model/store/events';
import { Registry } from '../../../src/model/store/registry';
import { discoverRepository } from '../../../src/model/engine/repository';
import { defaultSettings, EngineSettings, PlanRecord, RepoContext } from '../../../src/model/engine/types';
import { fingerprint, git, writeFiles } from './repo';

/** A registry record with plausible values, for tests that only need the registry. */
export function samplePlan(id: string, overrides: Partial<PlanRecord> = {}): PlanRecord {
  return {
    id,
    title: `Plan ${id}`,
    slug: `plan-${id}`,
    branch: `plan/${id}-plan-${id}`,
    path: `/tmp/repo.plans/${id}-plan-${id}`,
    base: 'main',
    baseCommit: 'a'.repeat(40),
    created: '2024-01-01T00:00:00.000Z',
    status: 'active',
    run: 1,
    ...overrides,
  };
}

export interface Lifecycle {
  ctx: RepoContext;
  registry: Registry;
  events: EventLog;
}

/** The context, registry and event log of the repository at `main`. */
export async function lifecycleFor(main: string, settings: Partial<EngineSettings> = {}): Promise<Lifecycle> {
  const gitRunner = new Git();
  const repo = await discoverRepository(gitRunner, main);
  const ctx: RepoContext = {
    git: gitRunner,
    log: { trace: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    repo,
    settings: { ...defaultSettings, ...settings },
  };
  return { ctx, registry: new Registry(repo.commonDir), events: new EventLog(repo.commonDir) };
}

/** The bytes of the registry in this common git directory, or `(none)`. */
export function registryText(commonDir: string): string {
  const file = new Registry(commonDir).file;
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(none)';
}

/**
 * Everything a refusal must leave as it was: the repository's fingerprint
 * (refs, worktrees, indexes, every file), the registry's bytes, the stash, and
 * every file and folder beside the main checkout (where plan folders go).
 */
export function wholeState(root: string, main: string, ctx: RepoContext): string {
  return [
    fingerprint(main),
    `registry:\n${registryText(ctx.repo.commonDir)}`,
    `stash:\n${git(main, 'stash', 'list', '--format=%H %gs')}`,
    `around:\n${listOutside(root, main).join('\n')}`,
  ].join('\n');
}

/** Every path under `root` except inside `main` and `.git` folders. */
function listOutside(root: string, main: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (full === main || entry.name === '.git') continue;
      found.push(path.relative(root, full));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(root);
  return found;
}

/** Status lines of a checkout, untracked files one by one. */
export function statusOf(dir: string): string {
  return git(dir, 'status', '--porcelain', '--untracked-files=all');
}

/**
 * A real runner, and a user who runs `git stash push` in the main checkout
 * (with a file of their own) right before the first `git stash drop`: after
 * an operation listed the stashes, before it dropped one.
 */
export class StashingGit extends Git {
  stashed = false;

  constructor(
    private readonly main: string,
    private readonly files: Record<string, string>,
  ) {
    super();
  }

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (args[0] === 'stash' && args[1] === 'drop' && !this.stashed) {
      this.stashed = true;
      writeFiles(this.main, this.files);
      git(this.main, 'stash', 'push', '--include-untracked', '-m', "the user's stash");
    }
    return super.exec(args, options);
  }
}
