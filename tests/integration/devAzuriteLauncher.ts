// Run by devAzuriteParentDeath.test.ts as the parent to kill: starts Azurite the way `npm start`
// does, prints its pid and ports as one JSON line, then idles until it is killed.
import { startAzurite } from '../../src/dev/azurite.js';

const azurite = await startAzurite();
process.stdout.write(JSON.stringify({ pid: azurite.pid, ports: azurite.ports }) + '\n');
setInterval(() => {}, 60_000);
