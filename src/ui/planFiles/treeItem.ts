/** A plan file in the Plans view, before it has a worktree (or when it cannot be started, saying why). */
import * as path from 'path';
import * as vscode from 'vscode';
import { escapeMarkdown } from '../iconSyntax';
import { PlanFileNode } from './fileIndex';

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
