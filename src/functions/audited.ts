// Every change is audited: who, what, when, result (DESIGN.md HTTP contract). A handler runs its
// change through `audited`, which writes one AuditLog row whether the change succeeded or failed
// (with its error code) and rethrows failures for the normal error response. Reads are never
// audited, and neither are refused requests (authorize.ts logs those).

import type { InvocationContext } from '@azure/functions';
import type { Actor } from '../auth/actor.js';
import type { AuditAction, AuditDetails, AuditLog } from '../auth/audit.js';

export async function audited<T>(
  audit: AuditLog,
  context: InvocationContext,
  change: {
    actor: Actor;
    action: AuditAction;
    /** What is changed; a function when it is known only once the change has read its request. */
    target: string | (() => string);
    details?: (result: T) => AuditDetails;
  },
  run: () => Promise<T>,
): Promise<T> {
  const base = () => ({
    actor: change.actor,
    action: change.action,
    target: typeof change.target === 'function' ? change.target() : change.target,
    invocationId: context.invocationId,
  });
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const errorCode = typeof code === 'string' && /^[A-Za-z_]+$/.test(code) ? code : 'INTERNAL_ERROR';
    await audit.record({ ...base(), result: 'failed', errorCode }).catch((auditError: unknown) => {
      context.error('Audit row could not be written', { error: (auditError as Error).message });
    });
    throw error;
  }
  // A change that happened must be on record: a failure to write the row fails the request.
  await audit.record({ ...base(), result: 'succeeded', details: change.details?.(result) });
  return result;
}
