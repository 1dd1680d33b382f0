// The evaluated deployment the infra tests assert on: .cache/infra/, made by scripts/infra-check.mjs (the unit
// project's global setup, tests/support/infra-snapshot-setup.ts, makes or refreshes it before the tests run).
// Loaded on first use, so a file whose infra tests are skipped (no Bicep CLI here) never reads it.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export type Json = any;
export interface Resource {
  id: string;
  type: string;
  name: string;
  location?: string;
  kind?: string;
  sku?: Json;
  identity?: Json;
  condition?: string;
  properties: Json;
}

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cacheDir = join(root, '.cache', 'infra');

/** Why the infra tests cannot run here ('' when they can); the global setup printed it once. */
export const infraSkipReason = inject('infraSkipReason');

const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8'));

export interface Infra {
  snapshot: Json;
  /** The compiled main.json. */
  template: Json;
  context: {
    location: string;
    tenantId: string;
    environment: Record<string, string>;
    secrets: Record<string, string>;
  };
  /** `bicep snapshot`'s outcome for each name prefix the template must refuse, by rule. */
  rejectedPrefixes: Record<string, { namePrefix: string; status: number; output: string }>;
  resources: Resource[];
  ofType(type: string): Resource[];
  single(type: string): Resource;
}

let loaded: Infra | undefined;

export function infra(): Infra {
  if (loaded) return loaded;
  const snapshot = readJson(join(cacheDir, 'main.snapshot.json'));
  const resources = snapshot.predictedResources as Resource[];
  const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
  loaded = {
    snapshot,
    template: readJson(join(cacheDir, 'main.json')),
    context: readJson(join(cacheDir, 'snapshot-context.json')),
    rejectedPrefixes: readJson(join(cacheDir, 'rejected-prefixes.json')),
    resources,
    ofType,
    single(type) {
      const found = ofType(type);
      if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
      return found[0];
    },
  };
  return loaded;
}

export const lastSegment = (r: Resource) => r.name.split('/').at(-1)!;
export const isExpression = (value: unknown) => typeof value === 'string' && /^\[.*\]$/s.test(value);
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The expression ARM uses for a property of a resource known only after it is deployed. */
export const runtimeProperty = (r: Resource, property: string, full = false) =>
  new RegExp(
    `reference\\('${escapeRegExp(r.id)}', '[\\d-]+'${full ? ", 'full'" : ''}\\)\\.${escapeRegExp(property)}`,
  );

/** Every template in the compiled main.json: the root and each module's nested template. */
export function templates(template: Json): Json[] {
  const resources = Object.values(template.resources ?? {}) as Json[];
  const nested = resources
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .flatMap((r) => templates(r.properties.template));
  return [template, ...nested];
}
