// Vitest global setup for integration tests: one in-memory Azurite per run, on free ports.
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../src/dev/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return () => azurite.stop();
}
