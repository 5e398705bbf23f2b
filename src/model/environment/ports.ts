/**
 * Every plan gets a block of ports of its own (`PLAN_WORKTREES_PORT` and the
 * ports after it, `ports.blockSize` in all), so two plans' dev servers never
 * fight for the same port. The block is derived from the repository's name
 * and the plan's id, so a plan gets the same port every time; when another
 * active plan has it, or something on this machine listens on one of its
 * ports at creation (checked by binding 127.0.0.1), the next block is taken.
 * It is recorded in the plan's registry entry.
 */
import { createHash } from 'crypto';
import * as net from 'net';
import { ErrorCode, PlanError } from '../engine/errors';
import { RegistryData } from '../engine/types';

export interface PortSettings {
  /** The first port of the range plans get blocks from. */
  from: number;
  /** The last port of the range. */
  to: number;
  /** Ports per plan: `PLAN_WORKTREES_PORT` and the ones after it. */
  blockSize: number;
}

export const defaultPorts: PortSettings = { from: 20000, to: 29999, blockSize: 10 };

/** Why port settings are not usable, or undefined when they are. */
export function portSettingsProblem(ports: PortSettings): string | undefined {
  const whole = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n);
  if (!whole(ports.from) || !whole(ports.to) || !whole(ports.blockSize)) {
    return 'The port settings "from", "to" and "blockSize" must be whole numbers.';
  }
  if (ports.from < 1024 || ports.to > 65535 || ports.from > ports.to) {
    return `The port range ${ports.from}-${ports.to} must lie within 1024-65535, its first port not after its last.`;
  }
  if (ports.blockSize < 1 || ports.blockSize > ports.to - ports.from + 1) {
    return `The port block size ${ports.blockSize} must be at least 1 and fit in the range ${ports.from}-${ports.to}.`;
  }
  return undefined;
}

/** The number of blocks in the range. */
function blockCount(ports: PortSettings): number {
  return Math.floor((ports.to - ports.from + 1) / ports.blockSize);
}

/** The first port of the block this plan prefers: the same for the same repository name and id, every time. */
export function preferredPort(repoName: string, id: string, ports: PortSettings): number {
  const hash = createHash('sha256').update(`${repoName}\0${id}`).digest();
  return ports.from + (hash.readUInt32BE(0) % blockCount(ports)) * ports.blockSize;
}

/** Whether nothing listens on `port` of 127.0.0.1: it can be bound. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The port block of a new plan: the preferred one, else the next block that
 * no active plan of `data` has and whose every port is free on this machine.
 * Throws `NoFreePort` when there is none.
 */
export async function choosePort(
  data: RegistryData,
  repoName: string,
  id: string,
  ports: PortSettings,
  isFree: (port: number) => Promise<boolean> = portIsFree,
): Promise<number> {
  const problem = portSettingsProblem(ports);
  if (problem) throw new PlanError(ErrorCode.InvalidName, { reason: 'name', problem });
  const taken = data.plans.filter((p) => p.status === 'active' && typeof p.port === 'number').map((p) => p.port!);
  const overlaps = (start: number): boolean =>
    taken.some((port) => port < start + ports.blockSize && start < port + ports.blockSize);
  const count = blockCount(ports);
  const first = (preferredPort(repoName, id, ports) - ports.from) / ports.blockSize;
  for (let i = 0; i < count; i++) {
    const start = ports.from + ((first + i) % count) * ports.blockSize;
    if (overlaps(start)) continue;
    const block = Array.from({ length: ports.blockSize }, (_, k) => start + k);
    if ((await Promise.all(block.map(isFree))).every(Boolean)) return start;
  }
  throw new PlanError(ErrorCode.NoFreePort, { from: ports.from, to: ports.to, blockSize: ports.blockSize });
}
