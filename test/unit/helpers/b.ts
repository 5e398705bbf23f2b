/**
 * Helpers for the lifecycle tests (create, cleanup, doctor, engine): sample
 * registry records. Everything runs real git; nothing is mocked.
 */
import { PlanRecord } from '../../../src/model/types';

/** A registry record with plausible values, for tests that only need the registry. */
export function samplePlan(id: string, overrides: Partial<PlanRecord> = {}): PlanRecord {
  return {
    id,
    title: `Plan ${id}`,
    slug: `plan-${id}`,
    branch: `plan/${id}-plan-${id}`,
    path: `/tmp/repo.plans/${id}-plan-${id}`,
    base: 'main',
    baseCommit: 'a'.repeat(40),
    created: '2024-01-01T00:00:00.000Z',
    status: 'active',
    run: 1,
    ...overrides,
  };
}
