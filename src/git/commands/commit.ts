/** `git commit`: a normal commit, so the user's hooks and identity apply. */
import { GitAt, options } from './git';

/** Commits what is staged with `message` (`commit --quiet --message`) and returns the new HEAD. */
export async function commit(at: GitAt, message: string): Promise<string> {
  await at.git.run(['commit', '--quiet', '--message', message], options(at));
  return (await at.git.run(['rev-parse', 'HEAD'], options(at))).trim();
}
