/**
 * Path checks the model and the UI share.
 */
import * as path from 'path';

/** Whether `file` is `root` itself or lies under it (compared as paths, without touching the disk). */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (relative !== '..' && !relative.startsWith('..' + path.sep) && !path.isAbsolute(relative));
}
