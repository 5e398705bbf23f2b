/**
 * The registry `<common git dir>/plan-worktrees/plans.json`: what each plan
 * means (id, title, base, status). Every window of every worktree reads the
 * same file; writes are atomic (temporary file, then rename) and serialized by
 * the lock `plans.lock`. A file that is not a valid registry is set aside as
 * `plans.json.corrupt-<time>` and reported, never silently emptied.
 *
 * Anyone who can write to the repository's folder can write this file, so
 * every record is checked with the validators of typed input (names.ts): a
 * record that fails is reported (the log, the doctor) and skipped, the others
 * stay usable, and a write keeps the bad record as it was, where it was.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { Logger, silentLogger } from '../../git/log';
import { LockOptions, withFileLock } from './lock';
import {
  validateBranchName,
  validateId,
  validatePlanFile,
  validateSlug,
  validateTitle,
  validateWorktreePath,
} from '../engine/names';
import { dependencyFolderProblem } from '../environment/dependencyFolders';
import { ensureStateFolder, readStateFile, readStateFileSync, stateDir, writeStateFile } from './stateFiles';
import { PlanRecord, PlanStatus, RegistryData } from '../engine/types';

export { stateDir };

/** A registry larger than this is refused: thousands of plans take a few megabytes. */
export const MAX_REGISTRY_BYTES = 8 * 1024 * 1024;

/** A record of plans.json that is not a valid plan: skipped, and kept in the file as it is. */
export interface InvalidRecord {
  /** Its place in the file's list, from 0. */
  index: number;
  problem: string;
  record: unknown;
}

/** The registry with the records that were skipped. */
export interface RegistryContents {
  data: RegistryData;
  invalid: InvalidRecord[];
}

/** The registry of one repository; every window of every worktree may hold one for the same file. */
export class Registry {
  readonly file: string;
  readonly lockFile: string;
  private readonly reported = new Set<string>();

  constructor(
    commonDir: string,
    private readonly log: Logger = silentLogger,
    private readonly lockOptions: LockOptions = {},
  ) {
    this.file = path.join(stateDir(commonDir), 'plans.json');
    this.lockFile = path.join(stateDir(commonDir), 'plans.lock');
  }

  /**
   * The valid plans as they are now; a missing file is an empty registry.
   * Throws `RegistryCorrupt` (after setting the file aside) when it is not a
   * registry at all, `StateFileTooLarge` or `StateFileUnsafe` (changing nothing).
   */
  async read(): Promise<RegistryData> {
    return (await this.contents()).data;
  }

  /**
   * `read()` without yielding to the event loop, for painting only (the
   * first paint at start-up, while the event loop is busy): the same checks
   * on the file. What it cannot read as a registry, or safely, it leaves to
   * `read()` (which sets a corrupt file aside, under the lock).
   */
  async readWithoutYielding(): Promise<RegistryData> {
    let parsed: RegistryContents | string;
    try {
      const text = readStateFileSync(this.file, MAX_REGISTRY_BYTES);
      if (text === undefined) return emptyRegistry();
      parsed = parseRegistry(text);
    } catch {
      return this.read();
    }
    return typeof parsed === 'string' ? this.read() : this.reportInvalid(parsed).data;
  }

  /** The valid plans and the records that were skipped (for the doctor). */
  async contents(): Promise<RegistryContents> {
    const text = await this.readText();
    if (text === undefined) return { data: emptyRegistry(), invalid: [] };
    const parsed = parseRegistry(text);
    if (typeof parsed !== 'string') return this.reportInvalid(parsed);
    // Setting aside changes the file, so it happens under the lock, and only if nobody fixed it meanwhile.
    return this.locked(() => this.readLocked());
  }

  /**
   * Runs `fn` on the current registry under the lock and writes what it leaves
   * in `data` (nothing is written when it throws or changes nothing; an empty
   * registry is no file, as before the first plan). Records that are not
   * valid plans are written back as they were.
   */
  async update<T>(fn: (data: RegistryData) => T | Promise<T>): Promise<T> {
    return this.locked(async () => {
      const { data, invalid } = await this.readLocked();
      const before = serialize(data);
      const result = await fn(data);
      const after = serialize(data);
      if (after !== before) await this.writeAll(data, invalid);
      return result;
    });
  }

  /**
   * Moves the records that are not valid plans out of plans.json into a side
   * file `plans.invalid-<time>.json` beside it (nothing is deleted). Returns
   * the side file, or undefined when there was nothing to move.
   */
  async setAsideInvalid(): Promise<string | undefined> {
    return this.locked(async () => {
      const { data, invalid } = await this.readLocked();
      if (invalid.length === 0) return undefined;
      const aside = path.join(path.dirname(this.file), `plans.invalid-${fileTime()}.json`);
      await writeStateFile(
        aside,
        JSON.stringify(
          { from: this.file, records: invalid.map((i) => ({ index: i.index, problem: i.problem, record: i.record })) },
          null,
          2,
        ) + '\n',
      );
      await this.writeAll(data, []);
      this.log.warn(
        `Moved ${invalid.length} record${invalid.length > 1 ? 's' : ''} that ${invalid.length > 1 ? 'are' : 'is'} not a valid plan from ${this.file} to ${aside}.`,
      );
      return aside;
    });
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await ensureStateFolder(path.dirname(this.file));
    return withFileLock(this.lockFile, fn, this.lockOptions);
  }

  private async readLocked(): Promise<RegistryContents> {
    const text = await this.readText();
    if (text === undefined) return { data: emptyRegistry(), invalid: [] };
    const parsed = parseRegistry(text);
    if (typeof parsed !== 'string') return this.reportInvalid(parsed);
    if (/newer version/.test(parsed)) {
      throw new PlanError(ErrorCode.RegistryCorrupt, {
        reason: 'unreadable',
        path: this.file,
        problem: parsed,
        files: [this.file],
      });
    }
    const aside = `${this.file}.corrupt-${fileTime()}`;
    await fs.rename(this.file, aside);
    const message = `The plan registry ${this.file} was not valid (${parsed}). It was saved as ${aside} and a new, empty registry was started; the worktrees themselves are untouched.`;
    this.log.error(message);
    throw new PlanError(ErrorCode.RegistryCorrupt, {
      reason: 'setAside',
      path: this.file,
      aside,
      problem: parsed,
      files: [aside],
    });
  }

  /** Logs each skipped record once per registry object. */
  private reportInvalid(contents: RegistryContents): RegistryContents {
    for (const { index, problem } of contents.invalid) {
      const key = `${index}\0${problem}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.log.warn(
        `${this.file}: record ${index + 1} is not a valid plan (${problem}); it is skipped and kept as it is. Run the doctor.`,
      );
    }
    return contents;
  }

  private readText(): Promise<string | undefined> {
    return readStateFile(this.file, MAX_REGISTRY_BYTES);
  }

  /** Writes the plans with the invalid records back at their places; no file when there is nothing at all. */
  private async writeAll(data: RegistryData, invalid: InvalidRecord[]): Promise<void> {
    if (data.plans.length === 0 && invalid.length === 0) {
      await fs.rm(this.file, { force: true });
      return;
    }
    const plans: unknown[] = [...data.plans];
    for (const { index, record } of [...invalid].sort((a, b) => a.index - b.index)) {
      plans.splice(Math.min(index, plans.length), 0, record);
    }
    await writeStateFile(this.file, serialize({ ...data, plans: plans as PlanRecord[] }));
  }
}

/** A registry without plans: what a missing file means. */
export function emptyRegistry(): RegistryData {
  return { version: 1, plans: [] };
}

function serialize(data: RegistryData): string {
  return JSON.stringify(data, null, 2) + '\n';
}

function fileTime(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

const statuses: readonly PlanStatus[] = ['active', 'merged', 'removed', 'abandoned'];
const requiredStrings = ['id', 'title', 'slug', 'branch', 'path', 'base', 'baseCommit', 'created'] as const;

/**
 * The registry in `text` with the records that are not valid plans set
 * apart, or a message saying why the file is not a registry at all.
 */
export function parseRegistry(text: string): RegistryContents | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.version === 'number' && value.version > 1) {
    return `version ${value.version} was written by a newer version of Plan Worktrees; it is left as it is`;
  }
  if (value.version !== 1) return `unknown version ${JSON.stringify(value.version)}`;
  if (!Array.isArray(value.plans)) return '"plans" is not a list';
  const plans: PlanRecord[] = [];
  const invalid: InvalidRecord[] = [];
  for (const [index, plan] of (value.plans as unknown[]).entries()) {
    const problem = planRecordProblem(plan);
    if (problem) invalid.push({ index, problem, record: plan });
    else plans.push(plan as PlanRecord);
  }
  return { data: { ...(value as unknown as RegistryData), plans }, invalid };
}

/**
 * Why a value is not a valid plan record, or undefined when it is one: the
 * same validators as typed input for its names, its folder and its plan file;
 * a full commit id; parseable times.
 */
export function planRecordProblem(plan: unknown): string | undefined {
  if (!isObject(plan)) return 'not an object';
  for (const key of requiredStrings) {
    if (typeof plan[key] !== 'string') return `"${key}" is not a string`;
  }
  const record = plan as unknown as PlanRecord;
  const named =
    validateId(record.id) ??
    validateTitle(record.title) ??
    validateSlug(record.slug) ??
    validateBranchName(record.branch) ??
    validateWorktreePath(record.path) ??
    validateBranchName(record.base) ??
    (record.planFile === undefined
      ? undefined
      : typeof record.planFile === 'string'
        ? validatePlanFile(record.planFile)
        : '"planFile" is not a string');
  if (named) return named;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(record.baseCommit)) return `"baseCommit" is not a commit id`;
  if (Number.isNaN(Date.parse(record.created))) return `"created" is not a time`;
  if (
    record.updated !== undefined &&
    (typeof record.updated !== 'string' || Number.isNaN(Date.parse(record.updated)))
  ) {
    return `"updated" is not a time`;
  }
  if (!statuses.includes(plan.status as PlanStatus)) return `unknown status ${JSON.stringify(plan.status)}`;
  if (!Number.isInteger(plan.run) || (plan.run as number) < 1) return `"run" is not a positive whole number`;
  if (plan.creating !== undefined && typeof plan.creating !== 'boolean') return '"creating" is not true or false';
  if (plan.adopted !== undefined && typeof plan.adopted !== 'boolean') return '"adopted" is not true or false';
  if (
    plan.creator !== undefined &&
    (!isObject(plan.creator) || typeof plan.creator.pid !== 'number' || typeof plan.creator.hostname !== 'string')
  ) {
    return '"creator" is not a process';
  }
  if (
    plan.port !== undefined &&
    !(Number.isInteger(plan.port) && (plan.port as number) >= 1 && (plan.port as number) <= 65535)
  ) {
    return '"port" is not a port number';
  }
  if (
    plan.setup !== undefined &&
    (!isObject(plan.setup) ||
      !['running', 'ok', 'failed'].includes(plan.setup.status as string) ||
      (plan.setup.exitCode !== undefined && !Number.isInteger(plan.setup.exitCode)) ||
      typeof plan.setup.time !== 'string')
  ) {
    return '"setup" is not the result of a setup command';
  }
  return dependencyFoldersProblem(plan.dependencyFolders);
}

const dependencyMethods: readonly string[] = ['clone', 'hardlink', 'copy', 'symlink'];

/** Why a record's `dependencyFolders` is not a list of folders of the repository with how each was made. */
function dependencyFoldersProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return '"dependencyFolders" is not a list';
  for (const entry of value as unknown[]) {
    if (!isObject(entry) || typeof entry.folder !== 'string' || !dependencyMethods.includes(entry.method as string)) {
      return '"dependencyFolders" holds an entry that is not a folder and a method';
    }
    const problem = dependencyFolderProblem(entry.folder, 'copy');
    if (problem) return problem;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The plans of a registry that have this id, latest run first. */
export function plansWithId(data: RegistryData, id: string): PlanRecord[] {
  return data.plans.filter((p) => p.id === id).sort((a, b) => b.run - a.run);
}
