/**
 * The order of the Plans view's items: the main checkout, then the plan
 * worktrees, then other worktrees, each by plan id (or folder) in natural
 * order (`plan 2` before `plan 10`). One collator for every comparison:
 * `localeCompare` with options makes a new one each time, which cost some
 * 60 ms of one synchronous stretch of the extension host per read of 200
 * items. No `vscode` import: tested on plain Node.
 */
import type { PlanWorktree } from '../model/engine/planEngine';

const natural = new Intl.Collator(undefined, { numeric: true });
const kindOrder = { main: 0, plan: 1, other: 2 } as const;

/** A sorted copy of `items`. */
export function sortItems(items: readonly PlanWorktree[]): PlanWorktree[] {
  return [...items].sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || compareIds(a, b));
}

function compareIds(a: PlanWorktree, b: PlanWorktree): number {
  const ida = a.plan?.id ?? a.worktree?.path ?? '';
  const idb = b.plan?.id ?? b.worktree?.path ?? '';
  return natural.compare(ida, idb);
}
