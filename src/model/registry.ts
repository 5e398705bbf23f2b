/**
 * The registry `<common git dir>/plan-worktrees/plans.json`: what each plan
 * means (id, title, base, status). Every window of every worktree reads the
 * same file; writes are atomic (temporary file, then rename) and serialized by
 * the lock `plans.lock`. A file that is not a valid registry is set aside as
 * `plans.json.corrupt-<time>` and reported, never silently emptied.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../git/errors';
import { Logger, silentLogger } from '../git/log';
import { LockOptions, withFileLock } from './lock';
import { PlanRecord, PlanStatus, RegistryData } from './types';

/** The folder in the common git directory that holds our state. */
export function stateDir(commonDir: string): string {
  return path.join(commonDir, 'plan-worktrees');
}

/** The registry of one repository; every window of every worktree may hold one for the same file. */
export class Registry {
  readonly file: string;
  readonly lockFile: string;

  constructor(
    commonDir: string,
    private readonly log: Logger = silentLogger,
    private readonly lockOptions: LockOptions = {},
  ) {
    this.file = path.join(stateDir(commonDir), 'plans.json');
    this.lockFile = path.join(stateDir(commonDir), 'plans.lock');
  }

  /** The registry as it is now; a missing file is an empty registry. Throws `RegistryCorrupt` (after setting the file aside) when it is not valid. */
  async read(): Promise<RegistryData> {
    const text = await this.readText();
    if (text === undefined) return emptyRegistry();
    const parsed = parseRegistry(text);
    if (typeof parsed !== 'string') return parsed;
    // Setting aside changes the file, so it happens under the lock, and only if nobody fixed it meanwhile.
    return withFileLock(this.lockFile, () => this.readLocked(), this.lockOptions);
  }

  /**
   * Runs `fn` on the current registry under the lock and writes what it leaves
   * in `data` (nothing is written when it throws or changes nothing; an empty
   * registry is no file, as before the first plan).
   */
  async update<T>(fn: (data: RegistryData) => T | Promise<T>): Promise<T> {
    return withFileLock(
      this.lockFile,
      async () => {
        const data = await this.readLocked();
        const before = serialize(data);
        const result = await fn(data);
        const after = serialize(data);
        if (after !== before) await (after === serialize(emptyRegistry()) ? fs.rm(this.file, { force: true }) : this.write(after));
        return result;
      },
      this.lockOptions,
    );
  }

  private async readLocked(): Promise<RegistryData> {
    const text = await this.readText();
    if (text === undefined) return emptyRegistry();
    const parsed = parseRegistry(text);
    if (typeof parsed !== 'string') return parsed;
    if (/newer version/.test(parsed)) throw new PlanWorktreesError(ErrorCode.RegistryCorrupt, `${this.file}: ${parsed}`, { files: [this.file] });
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(this.file, aside);
    const message = `The plan registry ${this.file} was not valid (${parsed}). It was saved as ${aside} and a new, empty registry was started; the worktrees themselves are untouched.`;
    this.log.error(message);
    throw new PlanWorktreesError(ErrorCode.RegistryCorrupt, message, { files: [aside] });
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private async write(text: string): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.file);
    } catch (e) {
      await fs.rm(temp, { force: true });
      throw e;
    }
  }
}

/** A registry without plans: what a missing file means. */
export function emptyRegistry(): RegistryData {
  return { version: 1, plans: [] };
}

function serialize(data: RegistryData): string {
  return JSON.stringify(data, null, 2) + '\n';
}

const statuses: readonly PlanStatus[] = ['active', 'merged', 'removed', 'abandoned'];
const requiredStrings = ['id', 'title', 'slug', 'branch', 'path', 'base', 'baseCommit', 'created'] as const;

/** The registry in `text`, or a message saying why it is not one. */
export function parseRegistry(text: string): RegistryData | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.version === 'number' && value.version > 1) return `version ${value.version} was written by a newer version of Plan Worktrees; it is left as it is`;
  if (value.version !== 1) return `unknown version ${JSON.stringify(value.version)}`;
  if (!Array.isArray(value.plans)) return '"plans" is not a list';
  for (const [index, plan] of value.plans.entries()) {
    const problem = recordProblem(plan);
    if (problem) return `plan ${index + 1}: ${problem}`;
  }
  return value as unknown as RegistryData;
}

function recordProblem(plan: unknown): string | undefined {
  if (!isObject(plan)) return 'not an object';
  for (const key of requiredStrings) {
    if (typeof plan[key] !== 'string') return `"${key}" is not a string`;
  }
  if (!statuses.includes(plan.status as PlanStatus)) return `unknown status ${JSON.stringify(plan.status)}`;
  if (!Number.isInteger(plan.run) || (plan.run as number) < 1) return `"run" is not a positive whole number`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The plans of a registry that have this id, latest run first. */
export function plansWithId(data: RegistryData, id: string): PlanRecord[] {
  return data.plans.filter((p) => p.id === id).sort((a, b) => b.run - a.run);
}
