/**
 * The built-in git extension's view of the repositories a command changed:
 * asked to re-read them, so it is never stale.
 */
import * as vscode from 'vscode';

/** Asks the built-in git extension to re-read the repositories at these folders, so its view is never stale. */
export async function refreshBuiltInGit(folders: Array<string | undefined>): Promise<void> {
  try {
    const extension = vscode.extensions.getExtension<{
      getAPI(version: 1): { repositories: Array<{ rootUri: vscode.Uri; status(): Promise<void> }> };
    }>('vscode.git');
    if (!extension) return;
    const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
    const wanted = new Set(folders.filter((f): f is string => !!f));
    await Promise.all(api.repositories.filter((r) => wanted.has(r.rootUri.fsPath)).map((r) => r.status()));
  } catch {
    // The built-in git extension is optional; its view refreshes on its own watchers too.
  }
}
