/**
 * The floor of the activation measure (bench/host/activation.ts): the least an
 * extension can do to show what Plan Worktrees' Plans view shows at start.
 * Its activate registers a tree view (in an activity bar container of its
 * own, as the Plans view) of 201 static items with descriptions and icons,
 * and returns; its getChildren answers at once. What the measure times for
 * it is VS Code's own: the extension's context, the host's loading of a
 * small module, the tree view's registration. bench/build.js writes it, with
 * its manifest, beside the extension's copy.
 */
import * as vscode from 'vscode';

/** As many items as the measure's Plans view shows at N = 200 (the main checkout and 200 plans). */
const ITEMS = 201;

interface FloorNode {
  type: 'worktree';
  label: string;
  item: { worktree: { path: string } };
  details: { lastKnown: false };
}

export function activate(context: vscode.ExtensionContext) {
  const nodes: FloorNode[] = Array.from({ length: ITEMS }, (_, i) => ({
    type: 'worktree',
    label: i === 0 ? 'main' : `plan-${i}`,
    item: { worktree: { path: `/floor/${i}` } },
    details: { lastKnown: false },
  }));
  const tree: vscode.TreeDataProvider<FloorNode> = {
    getChildren: (node?: FloorNode) => (node ? [] : nodes),
    getTreeItem: (node: FloorNode) => {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = '2 modified · 1 ahead, 3 behind';
      item.iconPath = new vscode.ThemeIcon('git-branch');
      item.id = node.item.worktree.path;
      return item;
    },
  };
  context.subscriptions.push(vscode.window.createTreeView('planWorktreesFloor.items', { treeDataProvider: tree }));
  // The shape the measure reads (bench/host/activation.ts): the tree, and no engine to flush.
  return {
    testing: {
      tree: { getChildren: async (node?: FloorNode) => tree.getChildren(node) ?? [] },
      repositories: { engines: [] },
    },
  };
}

export function deactivate(): void {}
