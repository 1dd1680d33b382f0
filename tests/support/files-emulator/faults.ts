// Request counting and fault injection. A fault rule picks requests by operation name and
// position ("the 3rd putRange", "the next 2 requests") and makes them fail the way the real
// service or network does.

import type { Operation } from './router.js';

export type { Operation };

/** ServerBusy = 503, InternalError = 500 (both with the service's XML body); reset = the socket is destroyed. */
export type FaultKind = 'ServerBusy' | 'InternalError' | 'reset';

export interface FaultRule {
  kind: FaultKind;
  /** Only requests of this operation count towards `nth`; any operation when omitted. */
  operation?: Operation;
  /** The first matching request (1-based, counted from setFaults) that fails; default 1. */
  nth?: number;
  /** How many consecutive matching requests fail from `nth` on; default 1. */
  times?: number;
}

export class FaultPlan {
  readonly counts: Partial<Record<Operation, number>> & { total: number } = { total: 0 };
  #rules: { rule: FaultRule; seen: number }[] = [];

  constructor(rules: FaultRule[] = []) {
    this.set(rules);
  }

  set(rules: FaultRule[]): void {
    this.#rules = rules.map((rule) => ({ rule, seen: 0 }));
  }

  resetCounts(): void {
    for (const name of Object.keys(this.counts) as (keyof typeof this.counts)[]) delete this.counts[name];
    this.counts.total = 0;
  }

  /** Counts the request and returns the fault it must suffer, if any. */
  next(operation: Operation): FaultKind | undefined {
    this.counts.total++;
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    let fault: FaultKind | undefined;
    for (const entry of this.#rules) {
      if (entry.rule.operation && entry.rule.operation !== operation) continue;
      entry.seen++;
      const first = entry.rule.nth ?? 1;
      if (!fault && entry.seen >= first && entry.seen < first + (entry.rule.times ?? 1))
        fault = entry.rule.kind;
    }
    return fault;
  }
}
