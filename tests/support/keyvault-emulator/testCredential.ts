// What a managed identity hands the Key Vault SDK in tests: one bearer token (the one the emulator
// accepts), and a record of what was asked for.

import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

export class TestCredential implements TokenCredential {
  readonly requests: { scopes: string[]; tenantId?: string }[] = [];
  constructor(private readonly token: string) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes: [scopes].flat(), tenantId: options?.tenantId });
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}
