/**
 * The doctor: what is out of order in the repositories' plans (orphaned
 * entries, missing folders, stray plan branches, locked worktrees), each with
 * its fix when there is one.
 */
import * as vscode from 'vscode';
import { Finding } from '../../model/recovery/doctor';
import { escapeIcons } from '../iconSyntax';
import { isProgram } from './args';
import { CommandDeps, CommandRunner, confirm } from './run';

export function doctorCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.commands.registerCommand(
    'planWorktrees.doctor',
    run(vscode.l10n.t('Doctor'), (args?: unknown) => doctor(deps, args)),
  );
}

async function doctor(deps: CommandDeps, args: unknown): Promise<Finding[]> {
  const findings = (await Promise.all(deps.repositories.engines.map((e) => e.doctor()))).flat();
  if (isProgram(args)) return findings;
  if (findings.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Doctor: everything is in order — no orphaned entries, missing folders, stray plan branches or locked worktrees.',
      ),
    );
    return findings;
  }
  const picked = await vscode.window.showQuickPick(
    findings.map((f) => ({
      label: escapeIcons(f.message),
      detail: f.fix
        ? vscode.l10n.t('Fix: {0} — {1}', escapeIcons(f.fix.label), escapeIcons(f.fix.description))
        : vscode.l10n.t('No automatic fix; see the message.'),
      finding: f,
    })),
    {
      title:
        findings.length === 1
          ? vscode.l10n.t('Doctor: 1 finding')
          : vscode.l10n.t('Doctor: {0} findings', findings.length),
      placeHolder: vscode.l10n.t('Pick a finding to fix it'),
    },
  );
  const fix = picked?.finding.fix;
  if (!fix) return findings;
  if (await confirm(fix.label, fix.description, fix.label)) {
    const outcome = await fix.run();
    if (outcome && !outcome.applied) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Doctor: {0} — not needed any more; nothing was changed. {1}', fix.label, picked.finding.message),
      );
    } else void vscode.window.showInformationMessage(vscode.l10n.t('Doctor: {0} — done.', fix.label));
  }
  return findings;
}
