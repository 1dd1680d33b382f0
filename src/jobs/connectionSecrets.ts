// The connection's secrets, kept in the secret store (Key Vault in Azure) and only there: the
// GitHub token given at connect time and the webhook secrets (the current one, and the previous
// one for 10 minutes after a rotation). Reads are cached, so a webhook delivery costs no vault
// call; a signature that matches nothing may refetch once, at most every REFETCH_EVERY_MS, so
// forged deliveries cannot flood the vault.

import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../secrets/secretStore.js';

export const SECRET_NAMES = {
  token: 'github-token',
  webhookSecret: 'github-webhook-secret',
  previousWebhookSecret: 'github-webhook-secret-previous',
} as const;

/** After a rotation the old secret keeps verifying this long, for deliveries already in flight. */
export const PREVIOUS_SECRET_GRACE_MS = 10 * 60_000;
const CACHE_MS = 5 * 60_000;
const REFETCH_EVERY_MS = 10_000;

/** 32 random bytes as hex: what GitHub signs deliveries with. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

interface WebhookSecrets {
  current?: string;
  /** The secret before the last rotation, and until when it still counts (ISO 8601). */
  previous?: { value: string; until: number };
}

export class ConnectionSecrets {
  #cache?: { at: number; value: Promise<WebhookSecrets> };
  #lastRefetch = 0;

  constructor(
    private readonly store: SecretStore,
    private readonly now: () => number = Date.now,
  ) {}

  token(): Promise<string | undefined> {
    return this.store.get(SECRET_NAMES.token);
  }

  async setToken(token: string): Promise<void> {
    await this.store.set(SECRET_NAMES.token, token);
  }

  /** The secret the app's own hook is signed with; made (and stored) on first use. */
  async webhookSecretForHook(): Promise<string> {
    const existing = await this.store.get(SECRET_NAMES.webhookSecret);
    if (existing) return existing;
    const secret = newWebhookSecret();
    await this.store.set(SECRET_NAMES.webhookSecret, secret);
    this.#cache = undefined;
    return secret;
  }

  /**
   * A new webhook secret, and `commit()` which makes it current, keeping the old one valid for
   * PREVIOUS_SECRET_GRACE_MS (returns until when, ISO 8601). The caller puts the secret on the
   * hook between the two.
   */
  async prepareRotation(): Promise<{ secret: string; commit(): Promise<string> }> {
    const secret = newWebhookSecret();
    return {
      secret,
      commit: async () => {
        const old = await this.store.get(SECRET_NAMES.webhookSecret);
        const until = this.now() + PREVIOUS_SECRET_GRACE_MS;
        if (old) await this.store.set(SECRET_NAMES.previousWebhookSecret, `${until}:${old}`);
        await this.store.set(SECRET_NAMES.webhookSecret, secret);
        this.#cache = undefined;
        return new Date(until).toISOString();
      },
    };
  }

  /** The secrets a delivery may be signed with now (cached). */
  async verifyingSecrets(): Promise<string[]> {
    if (!this.#cache || this.now() - this.#cache.at > CACHE_MS) {
      this.#cache = { at: this.now(), value: this.#read() };
    }
    try {
      return this.#valid(await this.#cache.value);
    } catch (error) {
      this.#cache = undefined;
      throw error;
    }
  }

  /**
   * After a signature matched none of the cached secrets: read them again (another instance may
   * have rotated), unless that was done in the last REFETCH_EVERY_MS. Undefined = not refetched.
   */
  async refetchAfterMismatch(): Promise<string[] | undefined> {
    if (this.now() - this.#lastRefetch < REFETCH_EVERY_MS) return undefined;
    this.#lastRefetch = this.now();
    this.#cache = undefined;
    return this.verifyingSecrets();
  }

  /** Removes every stored secret (disconnect). */
  async deleteAll(): Promise<void> {
    for (const name of Object.values(SECRET_NAMES)) await this.store.delete(name);
    this.#cache = undefined;
  }

  async #read(): Promise<WebhookSecrets> {
    const [current, previous] = await Promise.all([
      this.store.get(SECRET_NAMES.webhookSecret),
      this.store.get(SECRET_NAMES.previousWebhookSecret),
    ]);
    const separator = previous?.indexOf(':') ?? -1;
    return {
      current,
      previous:
        previous && separator > 0
          ? { until: Number(previous.slice(0, separator)), value: previous.slice(separator + 1) }
          : undefined,
    };
  }

  #valid(secrets: WebhookSecrets): string[] {
    const valid: string[] = [];
    if (secrets.current) valid.push(secrets.current);
    if (secrets.previous && secrets.previous.until > this.now()) valid.push(secrets.previous.value);
    return valid;
  }
}
