// Vitest global setup for the unit project: makes the Bicep snapshot the infra tests read, so `npm test`
// passes on a fresh clone with nothing run before it. It rebuilds only when the snapshot is missing or
// older than infra/ (or than scripts/infra-check.mjs, which holds the snapshot's fake context).
//
// No Bicep CLI to be had (no bicep on PATH and no .NET SDK to restore it): the infra tests are skipped with
// one line saying why; under CI=true that is a failure instead. Any other failure (a lint warning, a
// template that does not evaluate) always fails the run.
//
// Global setups have no hook timeout in Vitest, so a first NuGet restore (~10 s) cannot time out a test;
// the commands run asynchronously, so other projects' workers keep being served meanwhile.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the infra tests cannot run here; empty when they can. */
    infraSkipReason: string;
    /** Path of the Bicep CLI the snapshot was made with (empty when skipped). */
    bicepPath: string;
  }
}

/** The parts of scripts/infra-check.mjs this setup uses (a plain .mjs script has no declarations). */
interface InfraCheck {
  findBicep(): Promise<{ path: string; version: string }>;
  snapshotIsCurrent(): boolean;
  buildSnapshot(bicep: string, log?: (line: string) => void): Promise<void>;
  BicepUnavailable: new (...args: never[]) => Error;
}

export default async function setup(project: TestProject): Promise<void> {
  const script = join(project.config.root, 'scripts', 'infra-check.mjs');
  const infra = (await import(pathToFileURL(script).href)) as InfraCheck;
  let bicep: { path: string; version: string };
  try {
    bicep = await infra.findBicep();
  } catch (error) {
    if (!(error instanceof infra.BicepUnavailable) || process.env.CI === 'true') throw error;
    const reason = (error as Error).message;
    console.warn(`infra tests skipped: ${reason} (under CI=true this fails)`);
    project.provide('infraSkipReason', reason);
    project.provide('bicepPath', '');
    return;
  }
  if (!infra.snapshotIsCurrent()) await infra.buildSnapshot(bicep.path);
  project.provide('infraSkipReason', '');
  project.provide('bicepPath', bicep.path);
}
