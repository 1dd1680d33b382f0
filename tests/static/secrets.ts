// Finds secret-looking literals in committed configuration. Azurite's development key is
// public and documented, so it is the one account key allowed.

import { DEV_KEY } from '../../src/dev/azurite.js';

export interface SecretFinding {
  line: number;
  reason: string;
}

const SECRET_SETTINGS = ['GITHUB_WEBHOOK_SECRET', 'GITHUB_TOKEN'];

const PATTERNS: { reason: string; pattern: RegExp }[] = [
  { reason: 'GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/ },
  { reason: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { reason: 'SAS signature', pattern: /[?&;]sig=[A-Za-z0-9%+/=]{20,}/ },
];

/** `NAME=value`, `NAME: value`, `"NAME": "value"` with a literal (not interpolated) value. */
function assignedValue(line: string, name: string): string | undefined {
  const match = new RegExp(`["']?\\b${name}\\b["']?\\s*[:=]\\s*(.*)$`).exec(line);
  if (!match) return undefined;
  const value = match[1]
    .replace(/\s+#.*$/, '')
    .replace(/,$/, '')
    .trim()
    .replace(/^(["'])(.*)\1$/, '$2');
  return value;
}

function isPlaceholder(value: string): boolean {
  return (
    value === '' ||
    /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?-)?\}$/.test(value) ||
    /^<[^>]*>$/.test(value) ||
    /^"?\$\(.*\)"?(\s|$)/.test(value) || // a shell command that makes the value, e.g. $(openssl rand -hex 32)
    /^[A-Za-z_]*\.\.\.$/.test(value) // an elided example such as github_pat_...
  );
}

export function findSecretLiterals(text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  text.split('\n').forEach((line, index) => {
    const at = index + 1;
    for (const { reason, pattern } of PATTERNS) {
      if (pattern.test(line)) findings.push({ line: at, reason });
    }
    for (const match of line.matchAll(/AccountKey=([A-Za-z0-9+/=]+)/g)) {
      if (match[1] !== DEV_KEY) findings.push({ line: at, reason: 'storage account key' });
    }
    for (const name of SECRET_SETTINGS) {
      const value = assignedValue(line, name);
      if (value !== undefined && !isPlaceholder(value)) findings.push({ line: at, reason: `${name} value` });
    }
  });
  return findings;
}
