/**
 * Files of one repository's main checkout written on disk by something other
 * than this window's editors, while plans exist. File-system events are noted
 * one by one (cheap: a path in a set) and sorted in batches after a quiet
 * moment: one `git worktree list` (the engine's, usually cached) and one
 * `git status` per batch. Not counted: anything under `.git`, files inside a
 * plan worktree nested in the main checkout, files the caller says an editor
 * saved, and whatever `git status` does not call a change (ignored files,
 * new empty folders, files the extension's own merge or move put back as
 * committed). A file counted before that is no change any more drops out.
 */
import * as path from 'path';
import type { Git } from '../../git/commands/git';
import { status } from '../../git/commands/status';
import { debounce, Debounced } from './async';
import { pathKey } from './names';
import { isInside } from './paths';
import type { PlanEngine } from './planEngine';

export interface OutsideWritesOptions {
  /** How long events are gathered before they are sorted. */
  delayMs: number;
  /** True when this file's event is the echo of a save from an editor of this window. */
  savedByEditor(file: string): boolean;
  /** The set of files counted changed. */
  onChange(): void;
  /** A batch could not be sorted (its events are then forgotten). */
  onError(error: unknown): void;
}

export class OutsideWrites {
  private written = new Set<string>();
  private readonly pending = new Set<string>();
  private readonly sort: Debounced<[]>;
  private sorting: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: PlanEngine,
    private readonly git: Git,
    private readonly options: OutsideWritesOptions,
  ) {
    this.sort = debounce(() => this.sortPending(), options.delayMs);
  }

  /** The files counted (absolute paths, sorted). */
  files(): string[] {
    return [...this.written].sort();
  }

  /** A file-system event at `file` in the main checkout. */
  note(file: string): void {
    if (file.split(path.sep).includes('.git')) return;
    if (this.options.savedByEditor(file)) return;
    this.pending.add(file);
    this.sort();
  }

  /** Forgets the files counted, until the next write. False when there were none. */
  dismiss(): boolean {
    if (this.written.size === 0) return false;
    this.written = new Set();
    this.options.onChange();
    return true;
  }

  /** Resolves once the events noted so far are sorted. */
  async settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.options.delayMs + 50));
    await this.sorting;
  }

  dispose(): void {
    this.sort.cancel();
  }

  private sortPending(): void {
    const batch = [...this.pending];
    this.pending.clear();
    this.sorting = this.sorting.then(() => this.sortBatch(batch)).catch((e: unknown) => this.options.onError(e));
  }

  private async sortBatch(files: string[]): Promise<void> {
    const mainPath = this.engine.repo.mainPath;
    const items = await this.engine.list();
    if (!items.some((i) => i.kind === 'plan' && i.worktree)) {
      this.dismiss();
      return;
    }
    const nested = items.filter((i) => i.kind !== 'main' && i.worktree).map((i) => i.worktree?.path as string);
    const candidates = files.filter((f) => isInside(mainPath, f) && !nested.some((p) => isInside(p, f)));
    if (candidates.length === 0 && this.written.size === 0) return;
    const { entries } = await status({ git: this.git, cwd: mainPath }, { renames: false, optionalLocks: false });
    // An event may name a folder for the files in it (a folder made and filled at once): a change under it counts.
    const noted = new Set([...this.written, ...candidates].map(pathKey));
    const still = new Set<string>();
    for (const entry of entries) {
      const file = path.join(mainPath, entry.path);
      for (let at = file; isInside(mainPath, at) && at !== mainPath; at = path.dirname(at)) {
        if (noted.has(pathKey(at))) {
          still.add(file);
          break;
        }
      }
    }
    if (still.size === this.written.size && [...still].every((f) => this.written.has(f))) return;
    this.written = still;
    this.options.onChange();
  }
}
