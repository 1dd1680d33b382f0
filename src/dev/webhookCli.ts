// `npm run webhook -- <repo-path-or-url> [--branch main] [--url http://127.0.0.1:7071] [--commit <sha>]`
// Builds a signed `push` delivery from a repository's branch head and posts it to the local
// runtime, then prints the answer and the job URL.

import { gitClient } from '../git/client.js';
import { resolveSettings } from './settings.js';
import { buildPushPayload, deliver } from './webhook.js';

const USAGE =
  'Usage: npm run webhook -- <repo-path-or-url> [--branch <name>] [--url http://127.0.0.1:7071] [--commit <sha>]';

function parse(argv: string[]) {
  const options: { repository?: string; branch?: string; url: string; commit?: string } = {
    url: 'http://127.0.0.1:7071',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--branch') options.branch = value();
    else if (arg === '--url') options.url = value();
    else if (arg === '--commit') options.commit = value();
    else if (arg.startsWith('--') || options.repository)
      throw new Error(`Unexpected argument "${arg}"\n${USAGE}`);
    else options.repository = arg;
  }
  if (!options.repository) throw new Error(USAGE);
  return options as typeof options & { repository: string };
}

async function currentBranch(repository: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository)) return 'main';
  const branch = await gitClient({}, { baseDir: repository })
    .raw(['symbolic-ref', '--short', 'HEAD'])
    .catch(() => '');
  return branch.trim() || 'main';
}

async function main() {
  const options = parse(process.argv.slice(2));
  const settings = resolveSettings(process.cwd(), process.env).values;
  const secret = process.env.GITHUB_WEBHOOK_SECRET ?? settings.GITHUB_WEBHOOK_SECRET;
  if (!secret)
    throw new Error('Setting GITHUB_WEBHOOK_SECRET is required (local.settings.json or the environment)');
  const branch = options.branch ?? (await currentBranch(options.repository));
  const payload = await buildPushPayload({
    repository: options.repository,
    branch,
    commit: options.commit,
    token: process.env.GITHUB_TOKEN || settings.GITHUB_TOKEN || undefined,
  });
  const result = await deliver({ url: options.url, secret, payload });
  process.stdout.write(
    `push ${String(payload.after).slice(0, 12)} on ${branch} of ${(payload.repository as { full_name: string }).full_name}\n` +
      `delivery ${result.deliveryId} → HTTP ${result.status}\n${result.body}\n` +
      (result.jobUrl ? `job: ${result.jobUrl}\n` : ''),
  );
  if (result.status >= 400) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`webhook failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
