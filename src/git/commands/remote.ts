/**
 * Remotes: which exist, fetch and push. A refspec and a remote name come
 * after `--`; a fetch has no tags and prints nothing but errors.
 */
import { GitAt, options, records } from './git';
import { ReasonRule, withReasons } from './reasons';
import { Upstream, upstreamFrom } from './refs';

/** Why a fetch of one ref failed. */
const fetchRefReasons: ReadonlyArray<ReasonRule<'refMissing'>> = [
  { pattern: /couldn't find remote ref/i, reason: 'refMissing' },
];

/**
 * `fetch --quiet --no-tags -- <remote> +<ref>:<into>`: the remote's ref
 * `ref` (a full ref name, such as `refs/pull/7/head`) into the local ref
 * `into`, forced. Reason `refMissing` when the remote has no such ref; `into`
 * is then left as it was.
 */
export async function fetchRef(at: GitAt, remote: string, ref: string, into: string): Promise<void> {
  await withReasons(fetchRefReasons, () =>
    at.git.run(['fetch', '--quiet', '--no-tags', '--', remote, `+${ref}:${into}`], options(at)),
  );
}

/** The names of the repository's remotes (`git remote`). */
export async function listRemotes(at: GitAt): Promise<string[]> {
  return records(await at.git.run(['remote'], options(at)), '\n');
}

/** `fetch --quiet -- <remote> [<refspec>]`; `noTags` leaves tags alone. */
export async function fetch(
  at: GitAt,
  remote: string,
  refspec?: string,
  flags: { noTags?: boolean } = {},
): Promise<void> {
  const args = [
    'fetch',
    '--quiet',
    ...(flags.noTags ? ['--no-tags'] : []),
    '--',
    remote,
    ...(refspec ? [refspec] : []),
  ];
  await at.git.run(args, options(at));
}

/**
 * `push --porcelain --set-upstream -- <remote> <ref>:<ref>`. Returns what
 * the remote said (its messages, such as a pull-request link, then the
 * porcelain status lines).
 */
export async function pushBranch(at: GitAt, remote: string, ref: string): Promise<string> {
  const out = await at.git.exec(['push', '--porcelain', '--set-upstream', '--', remote, `${ref}:${ref}`], options(at));
  return [out.stderr, out.stdout]
    .map((s) => s.trim())
    .filter(Boolean)
    .join('\n');
}

/**
 * The remote and the remote ref the branch `ref` tracks, and the local
 * remote-tracking ref that mirrors it (`for-each-ref %(upstream...)`), or
 * undefined when it has none.
 */
export async function upstreamOf(at: GitAt, ref: string): Promise<Upstream | undefined> {
  const out = await at.git.run(
    ['for-each-ref', '--format=%(upstream:remotename)%00%(upstream:remoteref)%00%(upstream)', '--', ref],
    options(at),
  );
  const [remote, remoteRef, trackingRef] = out.trim().split('\0');
  return upstreamFrom(remote, remoteRef, trackingRef);
}
