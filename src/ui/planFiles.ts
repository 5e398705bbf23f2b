/**
 * Plans that start as files (the `planFiles` globs): the index of those files
 * per repository, their items in the tree before they have a worktree, the
 * "Start in Worktree" CodeLens at the top of a plan file, the command behind
 * it (also in the explorer's context menu and on the tree item), and the
 * optional status binding that writes `in_progress` when a plan starts and
 * `done` when it is merged.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError, PlanWorktreesError } from '../git/errors';
import { debounce, sequentialize, throttle } from '../model/engine/async';
import { samePath } from '../model/engine/names';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import {
  DEFAULT_PLAN_FILE_PATTERNS,
  ensureBindable,
  matchesPlanFilePatterns,
  planFileFormat,
} from '../model/planFiles/find';
import {
  isFinishedStatus,
  loadPlanFiles,
  parsePlanFile,
  PlanFile,
  planFromFile,
  readPlanFile,
} from '../model/planFiles/parse';
import { BoundStatus, boundStatusChanges, withStatus, writePlanFileStatus } from '../model/planFiles/writeStatus';
import { PlanRecord } from '../model/engine/types';
import { askWhereChangesGo, CreateArgs } from './commands';
import { showError } from './errors';
import { escapeIcons, escapeMarkdown } from './iconSyntax';
import { isInside } from '../model/engine/paths';
import { PlanRepositories } from './repositories';
import { OpenAfterCreate, readUiSettings } from './settings';
import { isTrusted, requireTrust } from './trust';

/** How long file-system events on plan files are gathered before the index reloads. */
const RELOAD_DELAY_MS = 200;

/**
 * `new`: can be started; `started`: a plan from it is active; `finished`:
 * its status says done, or its plan was merged; `invalid`: it cannot be
 * started (its problem says why).
 */
export type PlanFileState = 'new' | 'started' | 'finished' | 'invalid';

/** A plan file of one repository, with what became of it. */
export interface PlanFileEntry {
  engine: PlanEngine;
  planFile: PlanFile;
  /** Absolute path (in the main worktree). */
  path: string;
  state: PlanFileState;
  /** The active plan started from it (`started`), or its merged plan (`finished`). */
  plan?: PlanRecord;
}

/** A plan file in the tree: one that has no worktree yet. */
export interface PlanFileNode extends PlanFileEntry {
  type: 'planFile';
}

/** Arguments of `planWorktrees.startPlanFromFile` when a program calls it. */
export interface StartFromFileArgs {
  /** The plan file: absolute, or relative to the main worktree. */
  file: string;
  base?: string;
  open?: OpenAfterCreate;
  dirtyBase?: CreateArgs['dirtyBase'];
}

export function planFilePatterns(engine: PlanEngine): string[] {
  return (
    vscode.workspace
      .getConfiguration('planWorktrees', vscode.Uri.file(engine.repo.mainPath))
      .get<string[]>('planFiles') ?? [...DEFAULT_PLAN_FILE_PATTERNS]
  );
}

/** Whether plan files' status fields are written: never in Restricted Mode. */
function statusBindingEnabled(engine: PlanEngine): boolean {
  return (
    isTrusted() &&
    vscode.workspace
      .getConfiguration('planWorktrees', vscode.Uri.file(engine.repo.mainPath))
      .get<boolean>('planFileStatus', false)
  );
}

/**
 * The plan files of every repository of the workspace, read from the main
 * worktree and kept fresh by file-system watchers on the `planFiles` globs.
 * Fires `onDidChange` when files change or plans start, merge or go.
 */
export class PlanFileIndex implements vscode.Disposable {
  private readonly files = new Map<PlanEngine, Promise<PlanFile[]>>();
  private readonly watchers = new Map<PlanEngine, { patterns: string; disposable: vscode.Disposable }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when plan files or their plans changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly reload = debounce(() => {
    this.files.clear();
    this.changed.fire();
  }, RELOAD_DELAY_MS);
  /** What the explorer's context menu offers "Start in Worktree" on (`resourcePath in planWorktrees.planFilePaths`). */
  startablePaths: string[] = [];
  private readonly updateContextKey = throttle(async () => {
    const entries = (await Promise.all(this.repositories.engines.map((e) => this.entries(e).catch(() => [])))).flat();
    const paths = entries
      .filter((e) => e.state === 'new' || e.state === 'invalid')
      .flatMap((e) => [e.path, vscode.Uri.file(e.path).path]);
    this.startablePaths = [...new Set(paths)];
    await vscode.commands.executeCommand('setContext', 'planWorktrees.planFilePaths', this.startablePaths);
  });

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      repositories.onDidChange((engine) => {
        // A new set of repositories, or new settings: the files are read again.
        if (engine === undefined) {
          this.files.clear();
          this.syncWatchers();
        }
        this.changed.fire();
      }),
      this.onDidChange(() => void this.updateContextKey().catch((e) => this.log.warn(`Plan files: ${String(e)}`))),
    );
    this.syncWatchers();
  }

  /** The plan files of a repository's main worktree (cached until they change). */
  planFiles(engine: PlanEngine): Promise<PlanFile[]> {
    let files = this.files.get(engine);
    if (!files) {
      files = engine.repo.bare ? Promise.resolve([]) : loadPlanFiles(engine.repo.mainPath, planFilePatterns(engine));
      files.catch(() => this.files.delete(engine));
      this.files.set(engine, files);
    }
    return files;
  }

  /** Every plan file of a repository with its state; `items` saves a `git worktree list` when the caller has one. */
  async entries(engine: PlanEngine, items?: PlanWorktree[]): Promise<PlanFileEntry[]> {
    const files = await this.planFiles(engine);
    if (files.length === 0) return [];
    const active = (items ?? (await engine.list())).flatMap((i) =>
      i.plan?.status === 'active' && !i.plan.creating ? [i.plan] : [],
    );
    return Promise.all(files.map((planFile) => entryFor(engine, planFile, active)));
  }

  /** The tree's items: plan files that can be started, or that are broken (so the user sees why). */
  async nodes(engine: PlanEngine, items?: PlanWorktree[]): Promise<PlanFileNode[]> {
    const entries = await this.entries(engine, items).catch((e) => {
      this.log.warn(`Plan files of ${engine.repo.mainPath}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    });
    return entries
      .filter((e) => e.state === 'new' || e.state === 'invalid')
      .map((e) => ({ type: 'planFile' as const, ...e }));
  }

  /** One watcher per glob per repository, on the main worktree. */
  private syncWatchers(): void {
    const engines = new Set(this.repositories.engines);
    for (const [engine, watcher] of this.watchers) {
      if (engines.has(engine) && watcher.patterns === JSON.stringify(planFilePatterns(engine))) continue;
      watcher.disposable.dispose();
      this.watchers.delete(engine);
    }
    for (const engine of engines) {
      if (this.watchers.has(engine) || engine.repo.bare) continue;
      const patterns = planFilePatterns(engine);
      const disposables = patterns.map((pattern) => {
        const watcher = vscode.workspace.createFileSystemWatcher(
          new vscode.RelativePattern(vscode.Uri.file(engine.repo.mainPath), pattern),
        );
        const onEvent = () => this.reload();
        return vscode.Disposable.from(
          watcher,
          watcher.onDidCreate(onEvent),
          watcher.onDidChange(onEvent),
          watcher.onDidDelete(onEvent),
        );
      });
      this.watchers.set(engine, {
        patterns: JSON.stringify(patterns),
        disposable: vscode.Disposable.from(...disposables),
      });
    }
  }

  dispose(): void {
    this.reload.cancel();
    for (const w of this.watchers.values()) w.disposable.dispose();
    this.watchers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** What became of one plan file, given the active plans. */
async function entryFor(engine: PlanEngine, planFile: PlanFile, active: PlanRecord[]): Promise<PlanFileEntry> {
  const entry = { engine, planFile, path: path.join(engine.repo.mainPath, ...planFile.file.split('/')) };
  if (planFile.problem !== undefined) return { ...entry, state: 'invalid' };
  const running =
    active.find((p) => p.planFile === planFile.file) ??
    (planFile.id !== undefined ? active.find((p) => p.id === planFile.id) : undefined);
  if (running) return { ...entry, state: 'started', plan: running };
  if (isFinishedStatus(planFile.status)) return { ...entry, state: 'finished' };
  if (planFile.id !== undefined) {
    const latest = await engine.plan(planFile.id).catch(() => undefined);
    if (latest?.status === 'merged' && latest.planFile === planFile.file) {
      return { ...entry, state: 'finished', plan: latest };
    }
  }
  return { ...entry, state: 'new' };
}

// ---------------------------------------------------------------- tree items

export function planFileItem(node: PlanFileNode): vscode.TreeItem {
  const { planFile } = node;
  const valid = node.state !== 'invalid';
  const label = valid
    ? planFile.id !== undefined
      ? `${planFile.id} · ${planFile.title}`
      : `${planFile.title}`
    : path.posix.basename(planFile.file);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = `planFile:${node.engine.repo.commonDir}:${planFile.file}`;
  item.resourceUri = vscode.Uri.file(node.path);
  item.description = `${planFile.file} · ${valid ? (planFile.status ?? vscode.l10n.t('not started')) : vscode.l10n.t('not a valid plan')}`;
  item.iconPath = valid
    ? new vscode.ThemeIcon('note')
    : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.contextValue = `planFile:${node.state}`;
  item.command = {
    command: 'vscode.open',
    title: vscode.l10n.t('Open Plan File'),
    arguments: [vscode.Uri.file(node.path)],
  };
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`${vscode.l10n.t('**Plan file** {0}', escapeMarkdown(planFile.file))}\n\n`);
  if (valid) {
    md.appendMarkdown(
      `${vscode.l10n.t('Id: {0}', escapeMarkdown(planFile.id ?? vscode.l10n.t('the next free number')))}  \n` +
        `${vscode.l10n.t('Title: {0}', escapeMarkdown(planFile.title ?? ''))}  \n` +
        `${vscode.l10n.t('Status: {0}', escapeMarkdown(planFile.status ?? '—'))}\n\n`,
    );
    md.appendMarkdown(vscode.l10n.t('No worktree yet. $(play) Start in Worktree creates its branch and worktree.'));
  } else {
    md.appendMarkdown(vscode.l10n.t('Cannot be started: {0}', escapeMarkdown(planFile.problem ?? '')));
  }
  item.tooltip = md;
  return item;
}

// ---------------------------------------------------------------- CodeLens

/** "Start in Worktree" at the top of a plan file of a main worktree; what became of it once started. */
export class PlanFileCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly repositories: PlanRepositories,
    index: PlanFileIndex,
  ) {
    this.disposables.push(index.onDidChange(() => this.changed.fire()));
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const found = mainWorktreeFile(this.repositories, document.uri);
    if (!found || !matchesPlanFilePatterns(found.file, planFilePatterns(found.engine))) return [];
    const planFile = parsePlanFile(found.file, document.getText());
    const active = (await found.engine.list()).flatMap((i) =>
      i.plan?.status === 'active' && !i.plan.creating ? [i.plan] : [],
    );
    const entry = await entryFor(found.engine, planFile, active);
    const top = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, args: unknown[] = [], tooltip?: string) =>
      new vscode.CodeLens(top, { title, command, arguments: args, tooltip });
    switch (entry.state) {
      case 'invalid':
        // A click shows the same clear error a start would.
        return [
          lens(
            vscode.l10n.t(
              '$(warning) Not a plan that can be started: {0}',
              escapeIcons(planFile.problem?.replace(`${planFile.file}: `, '') ?? ''),
            ),
            'planWorktrees.startPlanFromFile',
            [document.uri],
            planFile.problem,
          ),
        ];
      case 'started': {
        const plan = entry.plan as PlanRecord;
        return [
          lens(
            vscode.l10n.t('$(git-branch) Plan {0} is in its worktree: Open', plan.id),
            'planWorktrees.openInNewWindow',
            [{ plan: plan.id }],
            plan.path,
          ),
          lens(vscode.l10n.t('$(diff-multiple) Show All Changes'), 'planWorktrees.showDiff', [{ plan: plan.id }]),
          lens(vscode.l10n.t('$(history) Show History'), 'planWorktrees.showHistory', [{ plan: plan.id }]),
        ];
      }
      case 'finished':
        return planFile.id === undefined
          ? []
          : [
              lens(
                vscode.l10n.t('$(check) Plan {0} is done: Show History', escapeIcons(planFile.id)),
                'planWorktrees.showHistory',
                [{ plan: planFile.id }],
              ),
            ];
      case 'new': {
        const tooltip = vscode.l10n.t(
          'Creates plan {0} "{1}" in its own worktree and branch',
          planFile.id ?? vscode.l10n.t('(next free number)'),
          planFile.title ?? '',
        );
        return [
          lens(vscode.l10n.t('$(play) Start in Worktree'), 'planWorktrees.startPlanFromFile', [document.uri], tooltip),
        ];
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The repository whose main worktree holds this file, and the file relative to it (`/`-separated). */
function mainWorktreeFile(
  repositories: PlanRepositories,
  uri: vscode.Uri,
): { engine: PlanEngine; file: string } | undefined {
  if (uri.scheme !== 'file') return undefined;
  for (const engine of repositories.engines) {
    if (engine.repo.bare || !isInside(engine.repo.mainPath, uri.fsPath)) continue;
    return { engine, file: path.relative(engine.repo.mainPath, uri.fsPath).split(path.sep).join('/') };
  }
  return undefined;
}

// ---------------------------------------------------------------- the command

/** Errors the create command has already shown: not shown twice. */
const shown = new WeakSet<object>();

export interface PlanFileDeps {
  repositories: PlanRepositories;
  index: PlanFileIndex;
  log: vscode.LogOutputChannel;
}

/** Registers the command, the CodeLens provider and the status binding. */
export function registerPlanFiles(deps: PlanFileDeps): vscode.Disposable {
  const codeLens = new PlanFileCodeLensProvider(deps.repositories, deps.index);
  const binding = new PlanFileStatusBinding(deps.repositories, deps.log);
  return vscode.Disposable.from(
    codeLens,
    binding,
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.{md,markdown,json}' }, codeLens),
    vscode.commands.registerCommand('planWorktrees.startPlanFromFile', async (args?: unknown) => {
      try {
        requireTrust();
        return await startPlanFromFile(deps, args);
      } catch (e) {
        if (!(e instanceof Object && shown.has(e))) void showError(deps.log, vscode.l10n.t('Start in Worktree'), e);
        if (isProgram(args)) throw e;
        return undefined;
      }
    }),
  );
}

/** Arguments from a program (an object that is neither a tree node nor a Uri): no prompt, errors thrown back. */
function isProgram(args: unknown): boolean {
  return !!args && typeof args === 'object' && !('type' in args) && !(args instanceof vscode.Uri);
}

/**
 * Starts a plan from a plan file: `args` is a Uri (explorer, CodeLens), a
 * tree node, `{ file, base?, open?, dirtyBase? }` from a program, or nothing
 * (the active editor's plan file, else a pick of the files not started yet).
 * The id and title come from the file and are validated before anything is
 * created; the plan records the file.
 */
export async function startPlanFromFile(deps: PlanFileDeps, args: unknown): Promise<PlanRecord | undefined> {
  const program = isProgram(args);
  const target = await resolveTarget(deps, args);
  if (!target) return undefined;
  const { engine, root, file } = target;
  const document = vscode.workspace.textDocuments.find(
    (d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, path.join(root, file)),
  );
  // What the user sees is what starts: an open editor's text, saved or not.
  const planFile = document ? parsePlanFile(file, document.getText()) : await readPlanFile(root, file);
  const input = planFromFile(planFile);

  const active = (await engine.list()).flatMap((i) => (i.plan?.status === 'active' ? [i.plan] : []));
  const running =
    active.find((p) => p.planFile === file) ??
    (input.id !== undefined ? active.find((p) => p.id === input.id) : undefined);
  if (running) {
    const message = vscode.l10n.t(
      'Plan {0} ({1}) is already in its worktree {2}.',
      running.id,
      running.title,
      running.path,
    );
    if (program) throw new PlanWorktreesError(ErrorCode.PlanExists, message);
    const open = await vscode.window.showInformationMessage(message, vscode.l10n.t('Open in New Window'));
    if (open) await vscode.commands.executeCommand('planWorktrees.openInNewWindow', { plan: running.id });
    return undefined;
  }

  const a = (program ? args : {}) as Partial<StartFromFileArgs>;
  const dirtyBase = a.dirtyBase ?? (await decideDirtyBase(engine, program));
  if (!dirtyBase) return undefined;
  // A program is never asked where to open the plan.
  const open =
    a.open ??
    (program && readUiSettings(vscode.Uri.file(engine.repo.mainPath)).openAfterCreate === 'ask' ? 'none' : undefined);
  const createArgs: CreateArgs = {
    id: input.id,
    title: input.title,
    planFile: input.planFile,
    base: a.base,
    open,
    dirtyBase,
  };
  let plan: PlanRecord | undefined;
  try {
    plan = await vscode.commands.executeCommand<PlanRecord | undefined>('planWorktrees.create', createArgs);
  } catch (e) {
    // The create command showed it already.
    if (e instanceof Object) shown.add(e);
    throw e;
  }
  if (!plan) return undefined;
  deps.log.info(`Started plan ${plan.id} from ${file}`);
  if (statusBindingEnabled(engine)) await setPlanFileStatus(engine, file, 'in_progress', deps.log);
  return plan;
}

/** The repository and the file (relative to its worktree) a start is about. */
async function resolveTarget(
  deps: PlanFileDeps,
  args: unknown,
): Promise<{ engine: PlanEngine; root: string; file: string } | undefined> {
  if (args && typeof args === 'object' && (args as { type?: unknown }).type === 'planFile') {
    const node = args as PlanFileNode;
    return { engine: node.engine, root: node.engine.repo.mainPath, file: node.planFile.file };
  }
  let absolute: string | undefined;
  if (args instanceof vscode.Uri) absolute = args.fsPath;
  else if (
    typeof args === 'string' ||
    (args && typeof args === 'object' && typeof (args as { file?: unknown }).file === 'string')
  ) {
    const given = typeof args === 'string' ? args : (args as StartFromFileArgs).file;
    const engine = deps.repositories.engines[0];
    if (!engine) {
      throw new PlanWorktreesError(
        ErrorCode.NotAGitRepository,
        vscode.l10n.t('Open a folder inside a git repository first.'),
      );
    }
    absolute = path.isAbsolute(given) ? given : path.join(engine.repo.mainPath, given);
  } else if (args === undefined) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const found = active && mainWorktreeFile(deps.repositories, active);
    if (found && planFileFormat(found.file) && matchesPlanFilePatterns(found.file, planFilePatterns(found.engine))) {
      absolute = active.fsPath;
    } else return pickPlanFile(deps);
  }
  if (absolute === undefined) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, vscode.l10n.t('Start in Worktree needs a plan file.'));
  }
  return locate(deps.repositories, absolute);
}

/** The worktree of a repository that holds the file (the deepest one), and the file relative to it. */
async function locate(
  repositories: PlanRepositories,
  absolute: string,
): Promise<{ engine: PlanEngine; root: string; file: string }> {
  let best: { engine: PlanEngine; root: string } | undefined;
  for (const engine of repositories.engines) {
    for (const item of await engine.list()) {
      const root = item.worktree?.path;
      if (root && !item.worktree?.bare && isInside(root, absolute) && (!best || root.length > best.root.length)) {
        best = { engine, root };
      }
    }
  }
  if (!best) {
    throw new PlanWorktreesError(
      ErrorCode.WorktreeNotFound,
      vscode.l10n.t('{0} is not inside a worktree of a repository of this window.', absolute),
    );
  }
  const file = path.relative(best.root, absolute).split(path.sep).join('/');
  if (!planFileFormat(file)) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      vscode.l10n.t('{0} is not a plan file: plan files are Markdown (.md) or JSON (.json).', file),
    );
  }
  return { ...best, file };
}

async function pickPlanFile(
  deps: PlanFileDeps,
): Promise<{ engine: PlanEngine; root: string; file: string } | undefined> {
  const entries = (await Promise.all(deps.repositories.engines.map((e) => deps.index.entries(e))))
    .flat()
    .filter((e) => e.state === 'new');
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'There is no plan file to start. Plan files are Markdown or JSON files in the folders the "planWorktrees.planFiles" setting names, such as plans/ or tasks/.',
      ),
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    entries.map((e) => ({
      label: escapeIcons(`${e.planFile.id !== undefined ? `${e.planFile.id} · ` : ''}${e.planFile.title}`),
      description: escapeIcons(e.planFile.file),
      detail: e.planFile.status === undefined ? undefined : escapeIcons(e.planFile.status),
      entry: e,
    })),
    { placeHolder: vscode.l10n.t('Start which plan in its own worktree?'), matchOnDescription: true },
  );
  return (
    picked && { engine: picked.entry.engine, root: picked.entry.engine.repo.mainPath, file: picked.entry.planFile.file }
  );
}

/**
 * What happens to the main checkout's uncommitted changes. Plan files that
 * are new or changed stay where they are without a question (they are why
 * the plan starts); other changes follow the `dirtyBase` setting, and `ask`
 * asks — or refuses, for a program.
 */
async function decideDirtyBase(engine: PlanEngine, program: boolean): Promise<CreateArgs['dirtyBase'] | undefined> {
  const setting = readUiSettings(vscode.Uri.file(engine.repo.mainPath)).dirtyBase;
  if (setting !== 'ask') return setting;
  const dirty = await engine.uncommittedChanges();
  if (dirty.length === 0) return 'refuse';
  const patterns = planFilePatterns(engine);
  const others = dirty.filter((f) => !matchesPlanFilePatterns(f, patterns));
  if (others.length === 0) return 'ignore';
  if (program) return 'refuse';
  return askWhereChangesGo(others);
}

// ---------------------------------------------------------------- status binding

/**
 * Sets the status of a plan file in the main worktree. An editor with unsaved
 * changes to the file gets the edit instead (left unsaved, the user's other
 * edits untouched); otherwise the file is rewritten with only that field changed.
 */
export async function setPlanFileStatus(
  engine: PlanEngine,
  file: string,
  status: BoundStatus,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const absolute = path.join(engine.repo.mainPath, ...file.split('/'));
  try {
    ensureBindable(file, planFilePatterns(engine));
  } catch (e) {
    log.warn(`Plan file ${file}: the status was not set to ${status}: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const document = vscode.workspace.textDocuments.find(
    (d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, absolute),
  );
  try {
    if (document?.isDirty) {
      const before = document.getText();
      const after = withStatus(before, planFileFormat(file) ?? 'markdown', status);
      if (after === before) return;
      let start = 0;
      while (start < before.length && before[start] === after[start]) start++;
      let end = 0;
      while (end < before.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
      const edit = new vscode.WorkspaceEdit();
      edit.replace(
        document.uri,
        new vscode.Range(document.positionAt(start), document.positionAt(before.length - end)),
        after.slice(start, after.length - end),
      );
      await vscode.workspace.applyEdit(edit);
      log.info(`Plan file ${file}: status ${status} (in the editor, which has unsaved changes)`);
      return;
    }
    const result = await writePlanFileStatus(engine.repo.mainPath, file, status, planFilePatterns(engine));
    if (result === 'changed') log.info(`Plan file ${file}: status ${status}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      log.warn(`Plan file ${file} is gone; its status was not set to ${status}.`);
    } else {
      log.warn(
        `Plan file ${file}: the status could not be set to ${status}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
}

/**
 * With `planFileStatus` on, a plan's file follows its lifecycle: created →
 * `in_progress`, merged → `done`. It reads the lifecycle events, so it sees
 * merges from any window, the merge command, the Source Control view or the
 * API alike; each event is handled once, and only events after activation.
 */
export class PlanFileStatusBinding implements vscode.Disposable {
  private readonly activated = Date.now();
  /** Per repository, events before this time (ms) are not applied: those before activation, and those while the binding was off. */
  private readonly since = new Map<string, number>();
  private readonly handled = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly check = sequentialize((engine: PlanEngine) => this.apply(engine));

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const engineListeners = new Map<PlanEngine, { dispose(): void }>();
    const follow = () => {
      for (const engine of repositories.engines) {
        if (!engineListeners.has(engine)) {
          engineListeners.set(
            engine,
            engine.onDidChange(() => void this.check(engine)),
          );
        }
      }
    };
    follow();
    this.disposables.push(
      // This window's own operations at once; other windows' through the watchers.
      repositories.onDidChange((engine) => {
        follow();
        for (const e of engine ? [engine] : repositories.engines) void this.check(e);
      }),
      { dispose: () => engineListeners.forEach((l) => l.dispose()) },
    );
  }

  /** Waits for the events seen so far to be applied (tests). */
  settle(): Promise<void> {
    return Promise.all(this.repositories.engines.map((e) => this.check(e))).then(() => undefined);
  }

  private async apply(engine: PlanEngine): Promise<void> {
    try {
      // Off: nothing is read, and what happens meanwhile is never applied later.
      if (!statusBindingEnabled(engine)) {
        this.since.set(engine.repo.commonDir, Date.now());
        return;
      }
      const since = this.since.get(engine.repo.commonDir) ?? this.activated;
      for (const { event, status } of boundStatusChanges(await engine.historySince(since), since)) {
        const key = `${engine.repo.commonDir}\0${event.type}\0${event.planId}\0${String(event.run)}\0${event.time}`;
        if (this.handled.has(key)) continue;
        this.handled.add(key);
        const plan = await engine.plan(event.planId).catch(() => undefined);
        if (!plan?.planFile || plan.run !== event.run) continue;
        await setPlanFileStatus(engine, plan.planFile, status, this.log);
      }
    } catch (e) {
      if (!isError(e, ErrorCode.NotAGitRepository)) {
        this.log.warn(`Plan file status: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
