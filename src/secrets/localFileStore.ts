// The secret store for `npm start`: one JSON file, readable by its owner only (mode 0600).
// Every change writes a temporary file next to it and renames it over the old one, so a crash
// leaves either the old or the new file, never half of one; changes in this process run one at
// a time, so two concurrent set() calls cannot lose each other's secret. Names compare
// case-insensitively, as in Key Vault, so both stores treat "Token" and "token" as one secret.

import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertSecretName, SecretStoreError, type SecretStore } from './secretStore.js';

export const DEFAULT_LOCAL_SECRETS_PATH = '.data/secrets.json';

const OWNER_ONLY = 0o600;
const FORMAT_VERSION = 1;

interface SecretsFile {
  version: typeof FORMAT_VERSION;
  secrets: Record<string, string>;
}

export class LocalFileSecretStore implements SecretStore {
  readonly kind = 'local-file';
  /** The tail of the queue of changes: each one starts when the previous one has settled. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string = DEFAULT_LOCAL_SECRETS_PATH) {}

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    const secrets = await this.read();
    return Object.hasOwn(secrets, key(name)) ? secrets[key(name)] : undefined;
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    return this.change((secrets) => {
      secrets[key(name)] = value;
      return true;
    });
  }

  async delete(name: string): Promise<void> {
    assertSecretName(name);
    return this.change((secrets) => Object.hasOwn(secrets, key(name)) && delete secrets[key(name)]);
  }

  /** Runs one read-modify-write after every earlier one; `edit` returns whether anything changed. */
  private change(edit: (secrets: Record<string, string>) => boolean): Promise<void> {
    const run = this.pending.then(async () => {
      const secrets = await this.read();
      if (edit(secrets)) await this.write(secrets);
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      await this.tightenMode();
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return Object.create(null) as Record<string, string>;
      throw failure(`read ${this.path}`, error);
    }
    return parse(text, this.path);
  }

  /** A file made wider by hand (or by an older tool) is narrowed back before it is read. */
  private async tightenMode(): Promise<void> {
    if (process.platform === 'win32') return;
    const { mode } = await stat(this.path);
    if ((mode & 0o777) !== OWNER_ONLY) await chmod(this.path, OWNER_ONLY);
  }

  private async write(secrets: Record<string, string>): Promise<void> {
    const body: SecretsFile = { version: FORMAT_VERSION, secrets };
    const temporary = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      // 'wx' creates the file with 0600 from the start: the value is never readable by others,
      // not even for the moment between creating and renaming.
      const handle = await open(temporary, 'wx', OWNER_ONLY);
      try {
        await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw failure(`write ${this.path}`, error);
    }
  }
}

const key = (name: string): string => name.toLowerCase();

function parse(text: string, path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be a secret: leave it out.
    throw new SecretStoreError('SECRET_STORE_CORRUPT', `${path} is not valid JSON.`);
  }
  const file = parsed as Partial<SecretsFile> | null;
  const secrets = file?.secrets;
  const valid =
    file?.version === FORMAT_VERSION &&
    typeof secrets === 'object' &&
    secrets !== null &&
    Object.values(secrets).every((value) => typeof value === 'string');
  if (!valid)
    throw new SecretStoreError(
      'SECRET_STORE_CORRUPT',
      `${path} is not a version ${FORMAT_VERSION} secrets file.`,
    );
  return Object.assign(Object.create(null) as Record<string, string>, secrets);
}

function failure(action: string, error: unknown): SecretStoreError {
  const code = (error as NodeJS.ErrnoException).code;
  const denied = code === 'EACCES' || code === 'EPERM';
  return new SecretStoreError(
    denied ? 'SECRET_STORE_DENIED' : 'SECRET_STORE_FAILED',
    `Could not ${action}: ${code ?? (error as Error).message}.`,
  );
}
