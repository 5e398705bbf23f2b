/**
 * Creates a plan: validated names, a registry entry reserved under the lock
 * (so two windows never get the same id), `git worktree add -b`, the main
 * checkout's uncommitted changes moved in when asked, and the `copyFiles`
 * copied. Every step that changes something pushes its undo; a failure at any
 * step runs them backwards, so no worktree, branch, folder or registry entry
 * is left behind, and moved changes go back to the main checkout. Moving
 * the main checkout's changes (and putting them back) holds a lock in the
 * state folder, so two windows never move the same changes: the second finds
 * them gone and refuses.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isInside } from '../engine/paths';
import { GitAt } from '../../git/commands/git';
import { hasReason } from '../../git/commands/reasons';
import {
  currentBranch as headBranch,
  forEachRef,
  headCommitAndBranch,
  headFileBranch,
  readRefs,
  Upstream,
  verifyRef,
} from '../../git/commands/refs';
import { applyStash, pushStash } from '../../git/commands/stash';
import { updateSubmodules } from '../../git/commands/submodules';
import { status } from '../../git/commands/status';
import {
  addWorktree as addExistingBranchWorktree,
  addWorktreeWithBranch,
  deleteNewBranch,
  listWorktrees,
  removeWorktree,
} from '../../git/commands/worktrees';
import { fetch, fetchRef, listRemotes, upstreamOf } from '../../git/commands/remote';
import { configNames, removeConfigSection } from '../../git/commands/config';
import { isAncestor } from '../../git/commands/log';
import { asDiskFull } from '../../git/errors';
import {
  CannotMakeFolder,
  ErrorCode,
  errorRecord,
  isError,
  PlanError,
  PlanErrorWrapper,
  PlanWorktreesError,
} from '../engine/errors';
import { statusPaths } from '../../git/status';
import { allInOrder } from '../engine/async';
import { copyFiles, CopyResult, listUntrackedFiles } from './copyFiles';
import { isIgnored } from '../../git/commands/untracked';
import { EventLog } from '../store/events';
import { templateVariables, unresolvedFolder } from '../store/location';
import {
  ensureValid,
  expandRunTemplate,
  samePath,
  slugify,
  validateBranchName,
  validateId,
  validatePlanFile,
  validateTitle,
  validateWorktreePath,
} from '../engine/names';
import { withFileLock } from '../store/lock';
import { Registry, stateDir } from '../store/registry';
import { dropStashByOid, listStashes, undoPartialApply } from './stash';
import { listSnapshots, Snapshot, SNAPSHOT_REFS, snapshotsOf } from './snapshot';
import {
  dependencyFolderList,
  DependencyResult,
  describeDependency,
  placeDependencyFolder,
  presentFolders,
} from '../environment/dependencyFolders';
import { choosePort } from '../environment/ports';
import { filesToCopy, IncludeCandidates, includeCandidates } from '../environment/worktreeInclude';

const noCandidates: IncludeCandidates = { files: [] };
import { EngineSettings, PlanRecord, RegistryData, RepoContext } from '../engine/types';

export interface CreateOptions {
  /** Default: the next free number. */
  id?: string;
  title: string;
  /** Short name of a local branch; default: the branch of the main checkout. */
  base?: string;
  /** Default: from `settings.branchTemplate`. */
  branch?: string;
  /** Default: from `settings.worktreeLocation`; a relative path is taken from the main worktree. */
  path?: string;
  /** The plan file it starts from, relative to the main worktree. */
  planFile?: string;
  /** What to do with the main checkout's uncommitted changes; default `settings.dirtyBase`. */
  dirtyBase?: EngineSettings['dirtyBase'];
  /**
   * Start from the existing branch `branch` instead of making one: a local
   * branch, or a remote one (`origin/x`, or `x` when a remote has it), fetched
   * first, of which a local tracking branch is made. The record says the plan
   * adopted it: clean-up deletes it only when its work is merged.
   */
  adopt?: boolean;
  /**
   * Start from the head of this pull request instead of making a branch: its
   * ref (`settings.pullRequests.ref`, GitHub's `refs/pull/<n>/head` by
   * default) is fetched from the remote `settings.pullRequests.remote` into
   * `refs/remotes/<remote>/pr/<n>`, and the plan adopts the local branch
   * `pr/<n>`: made there (without an upstream), or the one that exists
   * already. `branch` and `adopt` are not given with it.
   */
  pullRequest?: number;
  /** Fetch the base's upstream first, when it has one; default `settings.fetchBase`. */
  fetchBase?: boolean;
  /**
   * Start another run of `id` while earlier runs of it are active (a run
   * kept for inspection): its own worktree and branch, run number one more
   * than any this id ever had. Without it an active id is refused (`PlanExists`).
   */
  newRun?: boolean;
  signal?: AbortSignal;
}

/** What create did to start from a current base: the fetch of the base's upstream, and where the plan started. */
export interface BaseFetch {
  remote: string;
  /** The remote's ref, e.g. `refs/heads/main`. */
  ref: string;
  fetched: boolean;
  /** Why the fetch failed (offline, ...): the plan started from what was known locally. */
  problem?: string;
  /** `upstream` when the local base was behind its upstream, and the plan started from the upstream's commit. */
  startedFrom: 'upstream' | 'local';
}

/** A created plan's record, with what create did about a stale base (not kept in the registry). */
export type CreatedPlan = PlanRecord & { baseFetch?: BaseFetch };

/**
 * The branch a plan adopts: its tip, and the remote-tracking ref a new local
 * branch is made from; `fresh` for a new local branch made at `tip` without
 * an upstream (a pull request's head).
 */
interface Adoption {
  branch: string;
  tip: string;
  track?: string;
  fresh?: boolean;
  /** The pull request whose head it is. */
  pullRequest?: { number: number; remote: string; ref: string };
}

type Undo = () => Promise<void>;

/**
 * Creates a plan worktree and its registry entry, as described at the top of
 * this file. Refuses (changing nothing) bad names, a taken branch or folder,
 * a missing or detached base, and a dirty main checkout under `refuse`.
 */
export async function createPlan(
  ctx: RepoContext,
  registry: Registry,
  events: EventLog,
  options: CreateOptions,
): Promise<CreatedPlan> {
  const title = ensureValid(options.title.trim(), validateTitle);
  if (options.id !== undefined) ensureValid(options.id, validateId);
  if (options.branch !== undefined) ensureValid(options.branch, validateBranchName);
  if (options.adopt && options.branch === undefined) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'noBranchToAdopt' });
  }
  const pullRequest = options.pullRequest === undefined ? undefined : pullRequestOf(ctx, options.pullRequest);
  if (pullRequest && (options.adopt || options.branch !== undefined)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'pullRequestWithBranch' });
  }
  if (options.planFile !== undefined) ensureValid(options.planFile, validatePlanFile);
  const givenBase = options.base !== undefined ? ensureValid(options.base, validateBranchName) : undefined;
  const dirtyBase = options.dirtyBase ?? ctx.settings.dirtyBase;
  // The dependency folders the main checkout has (no git process): copied whole, so the copyFiles listing skips them.
  const dependencies = ctx.repo.bare
    ? []
    : await presentFolders(ctx.repo.mainPath, dependencyFolderList(ctx.settings.dependencyFolders));
  const wholeFolders = dependencies.map((d) => d.folder);
  // Independent reads at once: the base, the main checkout's changes, the files to copy into the plan (copyFiles, .worktreeinclude).
  const wantsFreshBase = (options.fetchBase ?? ctx.settings.fetchBase) && !options.adopt && !pullRequest;
  const reserveAs = (base: string, baseCommit: string, usedRuns: readonly number[], adoption?: Adoption) =>
    registry.update((data) =>
      reserve(
        ctx,
        data,
        {
          ...options,
          branch: adoption?.branch ?? options.branch,
          adopt: adoption !== undefined,
          title,
          base,
          baseCommit,
        },
        usedRuns,
      ),
    );
  const baseRead = baseAndRuns(ctx, givenBase, options.id, wantsFreshBase, options.signal);
  // When nothing comes between the base and the reservation (no branch to adopt, no upstream to fetch), the entry is
  // reserved as soon as the base is known, while the main checkout's status is still read; a refusal takes it out.
  const early: Promise<{ plan?: PlanRecord; error?: unknown }> =
    options.adopt || pullRequest
      ? Promise.resolve({})
      : baseRead.then(
          (b) =>
            b.upstream === undefined
              ? reserveAs(b.base, b.baseCommit, b.usedRuns).then(
                  (plan) => ({ plan }),
                  (error: unknown) => ({ error }),
                )
              : {},
          () => ({}),
        );
  let reads;
  try {
    reads = await allInOrder([
      baseRead,
      uncommittedFiles(ctx, options.signal),
      ctx.repo.bare ? noCandidates : includeCandidates(ctx, ctx.repo.mainPath, options.signal),
    ]);
    const [, dirtyFiles, included] = reads;
    if (included.problem) ctx.log.warn(`${included.problem}.`);
    if (dirtyFiles.length > 0 && dirtyBase === 'refuse') {
      throw new PlanError(ErrorCode.BaseDirty, { reason: 'uncommitted', files: dirtyFiles });
    }
    // A file deleted in the index and present again as an untracked file is listed twice: git stash keeps it, but
    // cannot apply it in the new worktree (which has the file), so such a move is refused before anything moves.
    const twice = dirtyBase === 'move' ? dirtyFiles.filter((f, i) => dirtyFiles.indexOf(f) !== i) : [];
    if (twice.length > 0) {
      throw new PlanError(ErrorCode.BaseDirty, { reason: 'deletedAndUntracked', files: twice });
    }
    throwIfAborted(options.signal);
  } catch (e) {
    // Refused (or a read failed): the early reservation, if made, is taken out again, and the refusal is the error.
    const { plan } = await early;
    const problems = plan ? await rollback(ctx, [() => unreserve(registry, plan)]) : [];
    if (problems.length === 0) throw e;
    throw new PlanErrorWrapper(e, {
      reason: 'undoIncomplete',
      problems,
      files: e instanceof PlanWorktreesError ? e.files : [],
    });
  }
  const [{ base, baseCommit: localBase, upstream, usedRuns }, dirtyFiles, included] = reads;
  const reserved = await early;
  if (reserved.error !== undefined) throw reserved.error;
  const adoption = pullRequest
    ? await resolvePullRequest(ctx, pullRequest, options.signal)
    : options.adopt
      ? await resolveAdopted(ctx, options.branch as string, options.signal)
      : undefined;
  const fresh = upstream && !adoption ? await freshBase(ctx, base, localBase, upstream, options.signal) : undefined;
  const baseCommit = fresh?.commit ?? localBase;
  if (!reserved.plan) throwIfAborted(options.signal);

  const plan = reserved.plan ?? (await reserveAs(base, baseCommit, usedRuns, adoption));
  const placed: DependencyResult[] = [];
  const undo: Undo[] = [() => unreserve(registry, plan)];
  let stash: Stash | undefined;
  try {
    // Inside the try: an event log that cannot be written must not leave the reservation behind.
    await events.append({
      type: 'create.before',
      planId: plan.id,
      run: plan.run,
      branch: plan.branch,
      path: plan.path,
      base,
      baseCommit,
      ...(adoption
        ? {
            adopted: true,
            tip: adoption.tip,
            ...(adoption.track ? { tracking: adoption.track } : {}),
            ...(adoption.pullRequest ? { pullRequest: adoption.pullRequest } : {}),
          }
        : {}),
      ...(fresh ? { baseFetch: fresh.fetch } : {}),
    });
    throwIfAborted(options.signal);
    undo.push(await makeParentFolders(plan.path));
    // The files to copy are listed beside `git worktree add` (the main checkout's listing does not need the plan; a plan
    // folder inside the main checkout is left out of it, as it did not exist before): both end before anything goes on.
    const [, untracked] = await allInOrder([
      adoption ? adoptBranch(ctx, plan, adoption, undo, options.signal) : addWorktree(ctx, plan, undo, options.signal),
      ctx.repo.bare
        ? []
        : listUntrackedFiles(ctx, ctx.repo.mainPath, ctx.settings.copyFiles, options.signal, [
            ...wholeFolders,
            ...folderInside(ctx.repo.mainPath, plan.path),
          ]),
    ]);
    throwIfAborted(options.signal);
    let movedFiles: string[] = [];
    if (dirtyFiles.length > 0 && dirtyBase === 'move') {
      const message = stashMessage(plan);
      // Registered before the push: whatever fails after it, the changes go back to the main checkout. Undone last (before the
      // reservation), once the plan's worktree is gone: on a full disk, that frees the space the changes need.
      undo.splice(1, 0, () =>
        withMoveLock(ctx, async () => {
          const pushed = stash ?? (await findStash(ctx, message));
          if (pushed) await restoreStashIn(ctx, pushed, ctx.repo.mainPath)();
        }),
      );
      movedFiles = await withMoveLock(ctx, async () => {
        // Read again under the lock: another window may have moved them meanwhile.
        const now = await uncommittedFiles(ctx, options.signal);
        if (now.length === 0) {
          throw new PlanError(ErrorCode.BaseMoved, { reason: 'changesMoved', plan: plan.id, files: dirtyFiles });
        }
        stash = await stashMainChanges(ctx, message);
        await applyStash({ git: ctx.git, cwd: plan.path }, stash.oid);
        return now;
      });
    }
    throwIfAborted(options.signal);
    // Untracked files that moved with the changes are in the plan already; git does not ignore them.
    const moved = new Set(movedFiles);
    const notIgnored = new Set(dirtyFiles);
    const copy = await copyFiles(
      ctx.repo.mainPath,
      plan.path,
      filesToCopy(untracked, included.files, notIgnored, wholeFolders).filter((file) => !moved.has(file)),
    );
    logCopy(ctx, copy);
    for (const { folder, mode } of dependencies) {
      const result = await placeDependencyFolder(
        ctx.repo.mainPath,
        plan.path,
        folder,
        mode,
        notIgnored,
        options.signal,
      );
      placed.push(await keepIfIgnored(ctx, plan.path, result));
      ctx.log.info(`Dependency folder of plan ${plan.id}: ${describeDependency(placed[placed.length - 1])}`);
    }
    throwIfAborted(options.signal);
    const submodules = await updateSubmodulesOf(ctx, events, plan, options.signal);
    const made = placed.filter((d) => d.method !== undefined).map((d) => ({ folder: d.folder, method: d.method! }));
    const created = await registry.update((data) => finishReservation(data, plan, made));
    try {
      if (stash) await dropStash(ctx, stash);
      await events.append({
        type: 'create.after',
        planId: plan.id,
        run: plan.run,
        branch: plan.branch,
        path: plan.path,
        copied: copy.copied,
        moved: movedFiles,
        ...(plan.port !== undefined ? { port: plan.port } : {}),
        ...(placed.length > 0 ? { dependencyFolders: placed.map(dependencyEvent) } : {}),
        ...(submodules ? { submodules } : {}),
      });
    } catch (e) {
      // The plan exists now: a failure of the bookkeeping after it must not undo it.
      ctx.log.warn(
        `Plan ${plan.id} is created, but ${stash ? `the stash ${stash.oid} may be left over and ` : ''}its "create.after" event may be missing: ${(e as Error).message}`,
      );
    }
    return fresh ? { ...created, baseFetch: fresh.fetch } : created;
  } catch (caught) {
    const e = asDiskFull(caught, ctx.repo.commonDir);
    const problems = await rollback(ctx, undo);
    // On a full disk the log may not take this line either: the create's own error is the one to report.
    await events
      .append({
        type: 'create.failed',
        planId: plan.id,
        run: plan.run,
        branch: plan.branch,
        ...errorRecord(e),
        rollbackProblems: problems.map((p) => p.message),
      })
      .catch((logError: unknown) =>
        ctx.log.warn(
          `The "create.failed" event of plan ${plan.id} could not be written: ${(logError as Error).message}`,
        ),
      );
    if (problems.length === 0) throw e;
    throw new PlanErrorWrapper(e, {
      reason: 'undoIncomplete',
      problems,
      files: e instanceof PlanWorktreesError ? e.files : [],
    });
  }
}

/** The next free plan number: one more than the largest numeric id ever used. */
export function nextFreeId(data: RegistryData): string {
  const numbers = data.plans.map((p) => (/^\d+$/.test(p.id) ? Number(p.id) : 0));
  return String(Math.max(0, ...numbers) + 1);
}

interface Resolved extends CreateOptions {
  title: string;
  base: string;
  baseCommit: string;
}

/** The names a new plan gets: decided from the registry and the settings, before anything is made. */
export interface PlanNames {
  id: string;
  run: number;
  slug: string;
  /** Short branch name. */
  branch: string;
  /** Absolute worktree folder. */
  path: string;
}

/**
 * The id, run, slug, branch and folder a plan with these options gets, as
 * `reserve` decides them. The run is one more than the highest this id ever
 * had (in the registry, whose entries stay as history, and `usedRuns`, the
 * runs its snapshots name), so a run's number is never given twice. Throws
 * `InvalidName` for a bad template, branch or folder, `PlanExists` for an id
 * with an active run (unless `newRun`), and `BranchExists`/`PathExists` for a
 * branch or folder another plan has or a folder that exists; no git process.
 */
export function planNames(
  ctx: RepoContext,
  data: RegistryData,
  options: { id?: string; title: string; branch?: string; path?: string; newRun?: boolean },
  usedRuns: readonly number[] = [],
): PlanNames {
  const id = options.id ?? nextFreeId(data);
  const runs = data.plans.filter((p) => p.id === id);
  const active = runs.filter((p) => p.status === 'active').sort((a, b) => b.run - a.run)[0];
  if (active && !options.newRun) {
    throw new PlanError(ErrorCode.PlanExists, {
      reason: 'exists',
      plan: id,
      run: active.run,
      branch: active.branch,
      path: active.path,
    });
  }
  const run = 1 + Math.max(0, ...runs.map((p) => p.run), ...usedRuns);
  const slug = slugify(options.title);
  const vars = templateVariables(ctx, { id, slug, run });
  const branch = ensureValid(
    options.branch ?? expandRunTemplate(ctx.settings.branchTemplate, vars),
    validateBranchName,
  );
  const folder = worktreeFolder(ctx, options.path ?? expandRunTemplate(ctx.settings.worktreeLocation, vars));
  assertFree(ctx, data, branch, folder);
  return { id, run, slug, branch, path: folder };
}

/** The runs of plan `id` its snapshots name (a run cleaned up by force, or one whose registry entry was lost): one git process. */
export async function snapshotRuns(ctx: RepoContext, id: string): Promise<number[]> {
  return runsOf(await listSnapshots(ctx, id), id);
}

/** The runs of plan `id` these snapshots name. */
function runsOf(snapshots: Snapshot[], id: string): number[] {
  return snapshots.filter((s) => s.plan.id === id).map((s) => s.plan.run);
}

/** Decides id, run, branch, folder and port block and adds the entry, marked `creating` (runs under the registry lock). */
async function reserve(
  ctx: RepoContext,
  data: RegistryData,
  options: Resolved,
  usedRuns: readonly number[],
): Promise<PlanRecord> {
  const { id, run, slug, branch, path: folder } = planNames(ctx, data, options, usedRuns);
  const port = await choosePort(data, templateVariables(ctx, { id, slug, run }).repoName, id, ctx.settings.ports);
  const plan: PlanRecord = {
    id,
    title: options.title,
    slug,
    branch,
    path: folder,
    base: options.base,
    baseCommit: options.baseCommit,
    created: new Date().toISOString(),
    status: 'active',
    run,
    ...(options.planFile !== undefined ? { planFile: options.planFile } : {}),
    ...(options.adopt ? { adopted: true } : {}),
    creating: true,
    creator: { pid: process.pid, hostname: os.hostname() },
    port,
  };
  data.plans.push(plan);
  return { ...plan };
}

/**
 * Refuses a branch or folder that another create has reserved, a folder that
 * exists, and one in the git directory. A branch that exists, and a folder
 * git still has registered, are refused by `git worktree add` itself (see
 * `addWorktree`), which undoes the reservation: no git process here.
 */
function assertFree(ctx: RepoContext, data: RegistryData, branch: string, folder: string): void {
  const reserved = data.plans.filter((p) => p.status === 'active');
  if (reserved.some((p) => p.branch === branch)) throw branchExists(branch);
  if (fs.existsSync(folder) || isSymlink(folder) || reserved.some((p) => samePath(p.path, folder))) {
    throw new PlanError(ErrorCode.PathExists, { reason: 'folderExists', path: folder, files: [folder] });
  }
  if (isInside(ctx.repo.commonDir, folder)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'insideGitDir', path: folder, gitDir: ctx.repo.commonDir });
  }
}

function branchExists(branch: string, cause?: unknown): PlanError {
  return new PlanError(ErrorCode.BranchExists, { reason: 'create', branch }, { cause });
}

function stillRegistered(folder: string, cause?: unknown): PlanError {
  return new PlanError(
    ErrorCode.PathExists,
    { reason: 'registeredWorktree', path: folder, files: [folder] },
    { cause },
  );
}

/** The folder for a plan: `~` is the home folder, a relative path is taken from the main worktree; `..` is refused before it is resolved. */
function worktreeFolder(ctx: RepoContext, folder: string): string {
  return path.normalize(ensureValid(unresolvedFolder(ctx, folder), validateWorktreePath));
}

function finishReservation(
  data: RegistryData,
  plan: PlanRecord,
  dependencyFolders: NonNullable<PlanRecord['dependencyFolders']>,
): PlanRecord {
  const entry = findReserved(data, plan);
  if (!entry) {
    throw new PlanError(ErrorCode.PlanNotFound, { reason: 'entryDisappeared', plan: plan.id });
  }
  delete entry.creating;
  delete entry.creator;
  if (dependencyFolders.length > 0) entry.dependencyFolders = dependencyFolders;
  entry.path = realFolder(plan.path);
  return { ...entry };
}

async function unreserve(registry: Registry, plan: PlanRecord): Promise<void> {
  await registry.update((data) => {
    // Ours even when it was marked created already (a failure right after that write).
    const entry =
      findReserved(data, plan) ??
      data.plans.find((p) => p.id === plan.id && p.run === plan.run && p.created === plan.created);
    if (entry) data.plans.splice(data.plans.indexOf(entry), 1);
  });
}

function findReserved(data: RegistryData, plan: PlanRecord): PlanRecord | undefined {
  return data.plans.find((p) => p.id === plan.id && p.run === plan.run && p.creating);
}

/** Creates the missing parents of `folder`; the undo removes those it created, if they are empty. */
async function makeParentFolders(folder: string): Promise<Undo> {
  let created: string | undefined;
  try {
    created = fs.mkdirSync(path.dirname(folder), { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const inTheWay = code === 'EEXIST' || code === 'ENOTDIR';
    const why = inTheWay
      ? 'fileInTheWay'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permissionDenied'
        : code === 'EROFS'
          ? 'readOnly'
          : 'other';
    const data: CannotMakeFolder = {
      reason: 'cannotMakeFolder',
      path: path.dirname(folder),
      why,
      problem: why === 'other' ? (e as Error).message : undefined,
      files: [folder],
    };
    throw inTheWay
      ? new PlanError(ErrorCode.PathExists, data, { cause: e })
      : new PlanError(ErrorCode.Unknown, data, { cause: e });
  }
  return async () => {
    if (!created) return;
    for (let dir = path.dirname(folder); isInside(created, dir); dir = path.dirname(dir)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        return; // not empty: somebody else's now
      }
    }
  };
}

async function addWorktree(ctx: RepoContext, plan: PlanRecord, undo: Undo[], signal?: AbortSignal): Promise<void> {
  // Only the branch this create made: it still points at the base commit.
  const deleteBranch: Undo = () => deleteNewBranch(inRepo(ctx), plan.branch, plan.baseCommit);
  try {
    // Another window adding or removing a worktree at this very moment is waited out (the branch git made meanwhile deleted).
    await addWorktreeWithBranch({ ...inMain(ctx), signal }, plan.path, plan.branch, plan.baseCommit, { noTrack: true });
  } catch (e) {
    // A branch that exists is not ours to delete.
    if (hasReason(e, 'branchExists')) throw branchExists(plan.branch, e);
    undo.push(deleteBranch);
    // A folder git still has registered: refused after git made the branch (which the undo deletes).
    if (hasReason(e, 'registeredMissing')) throw stillRegistered(plan.path, e);
    throw e;
  }
  undo.push(deleteBranch, () => removeWorktree(inMain(ctx), plan.path, { force: 2 }));
}

/** A branch a plan can adopt, as "Start Plan from Branch" offers it. */
export interface AdoptableBranch {
  /** What `adopt` takes: the local branch's name, or `<remote>/<branch>`. */
  name: string;
  remote: boolean;
}

/**
 * The branches a plan can adopt: the local ones no worktree has checked out,
 * then the remote-tracking ones without a local branch of the same name (one
 * `for-each-ref`, one `worktree list`).
 */
export async function adoptableBranches(ctx: RepoContext): Promise<AdoptableBranch[]> {
  const [refs, worktrees] = await allInOrder([
    forEachRef(inRepo(ctx), ['refs/heads/', 'refs/remotes/'], ['refname', 'symref'], { sort: 'refname' }),
    listWorktrees(inMain(ctx)),
  ]);
  const checkedOut = new Set(worktrees.map((w) => w.branch).filter(Boolean));
  const local = refs.filter(([ref]) => ref.startsWith('refs/heads/')).map(([ref]) => ref.slice('refs/heads/'.length));
  const remote = refs
    .filter(([ref, symref]) => ref.startsWith('refs/remotes/') && !symref)
    .map(([ref]) => ref.slice('refs/remotes/'.length))
    .filter((name) => !local.includes(name.slice(name.indexOf('/') + 1)));
  return [
    ...local.filter((name) => !checkedOut.has(`refs/heads/${name}`)).map((name) => ({ name, remote: false })),
    ...remote.map((name) => ({ name, remote: true })),
  ];
}

/** How long a fetch before create (the base's upstream, a remote branch to adopt) may take. */
const fetchTimeoutMs = 20_000;

/**
 * The branch `name` names for adopting: the local branch of that name, or
 * else a remote's (`<remote>/<branch>`, or `<branch>` of the one remote that
 * has it), fetched first; a failed fetch carries on with what is known
 * locally (and says so in the log). A local branch checked out in another
 * worktree is refused (`BranchCheckedOut`), as is a name no branch has.
 */
async function resolveAdopted(ctx: RepoContext, name: string, signal?: AbortSignal): Promise<Adoption> {
  const local = await verifyRef({ ...inRepo(ctx), signal }, `refs/heads/${name}^{commit}`);
  if (local !== undefined) return adoptLocal(ctx, name, local, signal);
  const remotes = await listRemotes({ ...inRepo(ctx), signal });
  const prefixed = remotes
    .filter((r) => name.startsWith(`${r}/`) && name.length > r.length + 1)
    .sort((a, b) => b.length - a.length)
    .map((remote) => ({ remote, branch: name.slice(remote.length + 1) }));
  const known: Array<{ remote: string; branch: string }> = [];
  if (prefixed.length === 0) {
    for (const remote of remotes) {
      if ((await verifyRef({ ...inRepo(ctx), signal }, `refs/remotes/${remote}/${name}`)) !== undefined) {
        known.push({ remote, branch: name });
      }
    }
  }
  const candidates =
    prefixed.length > 0
      ? prefixed.slice(0, 1)
      : known.length > 0
        ? known
        : remotes.length === 1
          ? [{ remote: remotes[0], branch: name }]
          : [];
  if (candidates.length !== 1) throw new PlanError(ErrorCode.BranchNotFound, { reason: 'branch', branch: name });
  const { remote, branch } = candidates[0];
  ensureValid(branch, validateBranchName);
  // A local branch of that name already: it is the one the plan adopts.
  const existing = await verifyRef({ ...inRepo(ctx), signal }, `refs/heads/${branch}^{commit}`);
  if (existing !== undefined) return adoptLocal(ctx, branch, existing, signal);
  const tracking = `refs/remotes/${remote}/${branch}`;
  try {
    const timeout = AbortSignal.timeout(fetchTimeoutMs);
    const at = { ...inRepo(ctx), signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
    await fetch(at, remote, `+refs/heads/${branch}:${tracking}`, { noTags: true });
  } catch (e) {
    if (signal?.aborted || isError(e, ErrorCode.Untrusted)) throw e;
    ctx.log.warn(`Could not fetch ${branch} from ${remote} (using what is known locally): ${(e as Error).message}`);
  }
  const tip = await verifyRef({ ...inRepo(ctx), signal }, `${tracking}^{commit}`);
  if (tip === undefined) throw new PlanError(ErrorCode.BranchNotFound, { reason: 'branch', branch: name });
  return { branch, tip, track: tracking };
}

/**
 * The pull request `number` of the remote the settings name: the remote's
 * ref for it, and the local branch (`pr/<n>`) and remote-tracking ref
 * (`refs/remotes/<remote>/pr/<n>`) it goes to. Refuses a number that is not
 * a whole number from 1 and a ref setting that does not make a ref under
 * `refs/` (`InvalidName`); nothing is read or written.
 */
function pullRequestOf(
  ctx: RepoContext,
  number: unknown,
): { number: number; remote: string; ref: string; branch: string; tracking: string } {
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'pullRequestNumber', value: String(number) });
  }
  const { remote, ref: pattern } = ctx.settings.pullRequests;
  const ref = pattern.split('${number}').join(String(number));
  if (!pattern.includes('${number}') || !ref.startsWith('refs/') || validateBranchName(ref.slice('refs/'.length))) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'pullRequestRef', pattern });
  }
  const branch = `pr/${number}`;
  if (validateBranchName(`remotes/${remote}/${branch}`)) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'pullRequestRemote', remote });
  }
  return { number, remote, ref, branch, tracking: `refs/remotes/${remote}/${branch}` };
}

/**
 * Fetches a pull request's head (`pullRequestOf`) and gives the branch the
 * plan adopts: the local branch `pr/<n>` when it exists already (as it is:
 * the work on it is kept), else a new one at the fetched head. Refuses a
 * remote the repository does not have and a pull request the remote does not
 * have (`BranchNotFound`), before any ref is written; a fetch that fails
 * otherwise (offline) carries on with a head fetched before, if there is one.
 */
async function resolvePullRequest(
  ctx: RepoContext,
  pr: ReturnType<typeof pullRequestOf>,
  signal?: AbortSignal,
): Promise<Adoption> {
  const { number, remote, ref, branch, tracking } = pr;
  const pullRequest = { number, remote, ref };
  if (!(await listRemotes({ ...inRepo(ctx), signal })).includes(remote)) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'pullRequestRemote', remote });
  }
  try {
    const timeout = AbortSignal.timeout(fetchTimeoutMs);
    await fetchRef(
      { ...inRepo(ctx), signal: signal ? AbortSignal.any([signal, timeout]) : timeout },
      remote,
      ref,
      tracking,
    );
  } catch (e) {
    if (signal?.aborted || isError(e, ErrorCode.Untrusted)) throw e;
    if (hasReason(e, 'refMissing')) {
      throw new PlanError(ErrorCode.BranchNotFound, { reason: 'pullRequest', ...pullRequest }, { cause: e });
    }
    ctx.log.warn(`Could not fetch ${ref} from ${remote} (using what is known locally): ${(e as Error).message}`);
  }
  const head = await verifyRef({ ...inRepo(ctx), signal }, `${tracking}^{commit}`);
  const existing = await verifyRef({ ...inRepo(ctx), signal }, `refs/heads/${branch}^{commit}`);
  if (existing !== undefined) {
    if (head !== undefined && head !== existing) {
      ctx.log.info(
        `The branch ${branch} exists already (at ${existing}; the head of pull request ${number} is ${head}): the plan adopts it as it is.`,
      );
    }
    return { ...(await adoptLocal(ctx, branch, existing, signal)), pullRequest };
  }
  if (head === undefined) throw new PlanError(ErrorCode.BranchNotFound, { reason: 'pullRequest', ...pullRequest });
  return { branch, tip: head, fresh: true, pullRequest };
}

/** A local branch to adopt, refused when a worktree has it checked out. */
async function adoptLocal(ctx: RepoContext, branch: string, tip: string, signal?: AbortSignal): Promise<Adoption> {
  const worktrees = await listWorktrees({ ...inMain(ctx), signal });
  const there = worktrees.find((w) => w.branch === `refs/heads/${branch}`);
  if (there) throw checkedOut(branch, there.path);
  return { branch, tip };
}

function checkedOut(branch: string, folder: string, cause?: unknown): PlanError {
  return new PlanError(ErrorCode.BranchCheckedOut, { reason: 'adopt', branch, path: folder }, { cause });
}

/**
 * Checks out the adopted branch in the plan's new worktree: the local branch
 * itself (never deleted by the undo), or a new local branch tracking the
 * remote one (deleted by the undo, with its settings, while it is unchanged).
 */
async function adoptBranch(
  ctx: RepoContext,
  plan: PlanRecord,
  adoption: Adoption,
  undo: Undo[],
  signal?: AbortSignal,
): Promise<void> {
  const remove: Undo = () => removeWorktree(inMain(ctx), plan.path, { force: 2 });
  if (adoption.track === undefined && !adoption.fresh) {
    try {
      await addExistingBranchWorktree({ ...inMain(ctx), signal }, plan.path, plan.branch);
    } catch (e) {
      if (hasReason(e, 'checkedOut')) {
        const there = (await listWorktrees(inMain(ctx)).catch(() => [])).find(
          (w) => w.branch === `refs/heads/${plan.branch}`,
        );
        throw checkedOut(plan.branch, there?.path ?? '', e);
      }
      if (hasReason(e, 'registeredMissing')) throw stillRegistered(plan.path, e);
      throw e;
    }
    undo.push(remove);
    return;
  }
  const deleteBranch: Undo = async () => {
    await deleteNewBranch(inRepo(ctx), plan.branch, adoption.tip);
    const names = await configNames(inRepo(ctx), '^branch\\.');
    if (names.some((n) => n.startsWith(`branch.${plan.branch}.`))) {
      await removeConfigSection(inRepo(ctx), `branch.${plan.branch}`);
    }
  };
  try {
    await addWorktreeWithBranch(
      { ...inMain(ctx), signal },
      plan.path,
      plan.branch,
      adoption.tip,
      adoption.track !== undefined ? { track: adoption.track } : { noTrack: true },
    );
  } catch (e) {
    if (hasReason(e, 'branchExists')) throw branchExists(plan.branch, e);
    undo.push(deleteBranch);
    if (hasReason(e, 'registeredMissing')) throw stillRegistered(plan.path, e);
    throw e;
  }
  undo.push(deleteBranch, remove);
}

/**
 * Fetches the base's upstream (when it has one) so that the plan does not
 * start from a stale base: when the local base is behind the upstream, the
 * plan starts from the upstream's commit. A failed fetch (offline) does not
 * stop the create: it starts from the local base, and the log and the
 * result say why.
 */
async function freshBase(
  ctx: RepoContext,
  base: string,
  local: string,
  upstream: { remote: string; remoteRef: string; trackingRef: string },
  signal?: AbortSignal,
): Promise<{ commit: string; fetch: BaseFetch }> {
  const { remote, remoteRef, trackingRef } = upstream;
  try {
    const timeout = AbortSignal.timeout(fetchTimeoutMs);
    const at = { ...inRepo(ctx), signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
    await fetch(at, remote, trackingRef ? `+${remoteRef}:${trackingRef}` : remoteRef, { noTags: true });
  } catch (e) {
    // Restricted Mode refuses every git that can reach the network: the create is refused, not carried on.
    if (signal?.aborted || isError(e, ErrorCode.Untrusted)) throw e;
    const problem = (e as Error).message;
    ctx.log.warn(
      `Could not fetch ${remoteRef} from ${remote} before creating (starting from ${base} as it is here): ${problem}`,
    );
    return { commit: local, fetch: { remote, ref: remoteRef, fetched: false, problem, startedFrom: 'local' } };
  }
  const upstreamCommit = trackingRef
    ? await verifyRef({ ...inRepo(ctx), signal }, `${trackingRef}^{commit}`)
    : undefined;
  const behind =
    upstreamCommit !== undefined &&
    upstreamCommit !== local &&
    (await isAncestor({ ...inRepo(ctx), signal }, local, upstreamCommit));
  if (behind) ctx.log.info(`${base} is behind ${remote}: the plan starts from ${upstreamCommit}.`);
  return {
    commit: behind ? upstreamCommit : local,
    fetch: { remote, ref: remoteRef, fetched: true, startedFrom: behind ? 'upstream' : 'local' },
  };
}

/**
 * Runs `fn` holding the lock on the main checkout's changes (a file in the
 * state folder, across windows): a move, and the undo of one, never overlap.
 */
function withMoveLock<T>(ctx: RepoContext, fn: () => Promise<T>): Promise<T> {
  const folder = stateDir(ctx.repo.commonDir);
  fs.mkdirSync(folder, { recursive: true });
  return withFileLock(path.join(folder, 'main-changes.lock'), fn, { timeoutMs: 60_000 });
}

/** A stash entry holding the main checkout's changes while they move to the plan. */
interface Stash {
  oid: string;
  message: string;
}

function stashMessage(plan: PlanRecord): string {
  return `plan-worktrees: moving changes to plan ${plan.id} (${randomBytes(4).toString('hex')})`;
}

async function stashMainChanges(ctx: RepoContext, message: string): Promise<Stash> {
  await pushStash({ git: ctx.git, cwd: ctx.repo.mainPath }, message);
  const found = await findStash(ctx, message);
  if (!found) {
    throw new PlanError(ErrorCode.Unknown, { reason: 'stashNotRecorded' });
  }
  return found;
}

/** The stash entry with this (unique) message, by its commit. */
async function findStash(ctx: RepoContext, message: string): Promise<Stash | undefined> {
  const found = (await listStashes(ctx)).find((s) => s.subject.endsWith(message));
  return found && { oid: found.oid, message };
}

/** Undo of a move: the changes go back where they were, or stay in the stash, which the error names. */
function restoreStashIn(ctx: RepoContext, stash: Stash, folder: string): Undo {
  return async () => {
    try {
      await applyStash({ git: ctx.git, cwd: folder }, stash.oid);
    } catch (e) {
      // Half-applied (a full disk): back to how the push left it, so that applying the stash later works.
      const clean = await undoPartialApply(ctx, stash.oid, folder).catch(() => false);
      throw new PlanErrorWrapper(e, {
        reason: 'stashKept',
        stash: stash.oid,
        stashMessage: stash.message,
        path: folder,
        clean,
        files: [folder],
      });
    }
    await dropStash(ctx, stash);
  };
}

/** Drops our stash entry by its commit: never another one, even if the user stashes meanwhile. */
async function dropStash(ctx: RepoContext, stash: Stash): Promise<void> {
  await dropStashByOid(ctx, stash.oid);
}

/** Runs the undos backwards; each runs even if one before it failed. Returns what could not be undone. */
async function rollback(ctx: RepoContext, undo: Undo[]): Promise<Error[]> {
  const problems: Error[] = [];
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch (e) {
      const error = asDiskFull(e) as Error;
      ctx.log.error(`Undoing a failed create: ${error.message}`);
      problems.push(error);
    }
  }
  return problems;
}

async function currentBranch(ctx: RepoContext): Promise<string> {
  const branch = await headBranch({ git: ctx.git, cwd: ctx.repo.mainPath });
  if (branch === undefined) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'detachedHead' });
  }
  return branch;
}

/**
 * The base branch (the given one, or the main checkout's), its commit, its
 * upstream on a remote (when `wantsUpstream`), and the runs the snapshots of
 * plan `id` name (a new run of a plan never takes the number of a run whose
 * snapshot is kept): one `for-each-ref`, beside the other reads of a create.
 * When it cannot say (no such branch, a detached HEAD, a HEAD file git does
 * not confirm, a base that is not a commit, output not well formed), each is
 * asked on its own, and the errors are theirs.
 */
async function baseAndRuns(
  ctx: RepoContext,
  given: string | undefined,
  id: string | undefined,
  wantsUpstream: boolean,
  signal?: AbortSignal,
): Promise<{ base: string; baseCommit: string; upstream?: Upstream; usedRuns: number[] }> {
  const snapshotRefs = id !== undefined ? `${SNAPSHOT_REFS}${id}/` : undefined;
  // Without a given base, only the branch the main checkout's HEAD file names is read (every branch would cost a
  // quarter of a second at 10,000 branches); `%(HEAD)`, run where resolveBase reads HEAD, must confirm it.
  const guess = given ?? headFileBranch(ctx.repo.commonDir);
  const name = guess !== undefined && validateBranchName(guess) === undefined ? guess : undefined;
  const refs =
    name === undefined
      ? undefined
      : await readRefs({ git: ctx.git, cwd: ctx.repo.mainPath, signal }, [
          `refs/heads/${name}`,
          ...(snapshotRefs !== undefined ? [snapshotRefs] : []),
        ]);
  const found = refs?.find(
    (r) => r.ref === `refs/heads/${name}` && r.type === 'commit' && (given !== undefined || r.head),
  );
  if (!refs || !found) {
    const [resolved, usedRuns] = await allInOrder([
      resolveBase(ctx, given, signal).then(async (b) => ({
        ...b,
        upstream: wantsUpstream ? await upstreamOf({ ...inRepo(ctx), signal }, `refs/heads/${b.base}`) : undefined,
      })),
      id !== undefined ? snapshotRuns(ctx, id) : [],
    ]);
    return { ...resolved, usedRuns };
  }
  const snapshots =
    snapshotRefs !== undefined
      ? snapshotsOf(
          ctx,
          refs.filter((r) => r.ref.startsWith(snapshotRefs)).map((r) => [r.ref, r.object, r.contents]),
        )
      : [];
  return {
    base: found.ref.slice('refs/heads/'.length),
    baseCommit: found.object,
    upstream: wantsUpstream ? found.upstream : undefined,
    usedRuns: id !== undefined ? runsOf(snapshots, id) : [],
  };
}

/** The base branch (the given one, or the main checkout's) and its commit: one git process, two to say why there is none. */
async function resolveBase(
  ctx: RepoContext,
  given: string | undefined,
  signal?: AbortSignal,
): Promise<{ base: string; baseCommit: string }> {
  if (given === undefined) {
    // The main checkout's commit and the branch its HEAD is on; on a detached HEAD or a branch without commits, the steps below say which.
    const head = await headCommitAndBranch({ git: ctx.git, cwd: ctx.repo.mainPath, signal });
    if (head?.ref.startsWith('refs/heads/')) {
      return { base: head.ref.slice('refs/heads/'.length), baseCommit: head.commit };
    }
  }
  const base = given ?? (await currentBranch(ctx));
  return { base, baseCommit: await resolveBranch(ctx, base, signal) };
}

async function resolveBranch(ctx: RepoContext, branch: string, signal?: AbortSignal): Promise<string> {
  const commit = await verifyRef({ ...inRepo(ctx), signal }, `refs/heads/${branch}^{commit}`);
  if (commit === undefined) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'base', base: branch });
  }
  return commit;
}

/** Uncommitted changes of the main checkout: tracked (staged or not) and untracked files; none for a bare repository. */
export async function uncommittedFiles(ctx: RepoContext, signal?: AbortSignal): Promise<string[]> {
  if (ctx.repo.bare) return [];
  return statusPaths(await status({ git: ctx.git, cwd: ctx.repo.mainPath, signal }));
}

/**
 * A dependency folder linked as a whole must be ignored by git in the plan
 * as well: a pattern such as `node_modules/` matches folders only, not a
 * symbolic link, which would then be an untracked file of the plan. Such a
 * link is taken out again, and the result says why.
 */
async function keepIfIgnored(ctx: RepoContext, worktree: string, result: DependencyResult): Promise<DependencyResult> {
  if (result.method !== 'symlink') return result;
  if (await isIgnored({ git: ctx.git, cwd: worktree }, result.folder)) return result;
  await fs.promises.unlink(path.join(worktree, result.folder));
  return {
    ...result,
    method: undefined,
    reason: `git would not ignore a symbolic link at ${result.folder} (a .gitignore pattern ending in "/" matches folders only; "${result.folder}" without the slash matches both)`,
  };
}

/** What the event log keeps of a dependency folder. */
function dependencyEvent(d: DependencyResult): Record<string, unknown> {
  return {
    folder: d.folder,
    mode: d.mode,
    ...(d.method ? { method: d.method, files: d.files, links: d.links, skipped: d.skipped.length } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ms: d.ms,
  };
}

function logCopy(ctx: RepoContext, copy: CopyResult): void {
  if (copy.copied.length > 0) ctx.log.info(`Copied into the plan: ${copy.copied.join(', ')}`);
  for (const { path: file, reason } of copy.skipped) ctx.log.warn(`Not copied into the plan: ${file} (${reason})`);
}

/** Where worktree commands run: the main worktree (the repository folder when bare). */
function inMain(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.bare ? ctx.repo.commonDir : ctx.repo.mainPath };
}

function inRepo(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}

/** `folder` relative to `main` (with `/`), when it is inside it: a plan folder that the main checkout's listing leaves out. */
function folderInside(main: string, folder: string): string[] {
  return isInside(main, folder) && !samePath(main, folder)
    ? [path.relative(main, folder).split(path.sep).join('/')]
    : [];
}

function realFolder(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return folder;
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new PlanError(ErrorCode.Cancelled, { reason: 'operation' });
}

/**
 * Checks out the submodules of a new plan whose worktree has a `.gitmodules`
 * (setting `updateSubmodules`), before anything else runs in it. A failure
 * (a submodule's server out of reach) does not undo the plan: it is logged
 * and recorded (`submodules.failed`), and `git submodule update --init` in the
 * plan's terminal tries again.
 */
async function updateSubmodulesOf(
  ctx: RepoContext,
  events: EventLog,
  plan: PlanRecord,
  signal?: AbortSignal,
): Promise<'updated' | 'failed' | undefined> {
  if (!ctx.settings.updateSubmodules || !fs.existsSync(path.join(plan.path, '.gitmodules'))) return undefined;
  const about = { planId: plan.id, run: plan.run, branch: plan.branch, path: plan.path };
  await events.append({ type: 'submodules.before', ...about });
  try {
    await updateSubmodules({ git: ctx.git, cwd: plan.path, signal });
    await events.append({ type: 'submodules.after', ...about });
    ctx.log.info(`Submodules of plan ${plan.id} checked out.`);
    return 'updated';
  } catch (e) {
    if (signal?.aborted) throw e;
    ctx.log.warn(`The submodules of plan ${plan.id} could not be checked out: ${(e as Error).message}`);
    await events.append({ type: 'submodules.failed', ...about, ...errorRecord(e) });
    return 'failed';
  }
}
