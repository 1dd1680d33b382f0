// src/dev/azurite.ts freePorts: Azurite's three ports are asked for at once, so they differ. One at
// a time, a port closed after the check is free again at once and could come back for the next
// service: a CI run saw Azurite's blob and queue services both given 43855 (EADDRINUSE).

import { expect, it } from 'vitest';
import { freePorts } from '../../src/dev/azurite.js';

it('hands out distinct ports, each free again once it is returned', async () => {
  const ports = await freePorts(64);
  expect(new Set(ports).size).toBe(64);
  for (const port of ports) expect(port).toBeGreaterThan(0);
  const again = await freePorts(1);
  expect(again).toHaveLength(1);
});
