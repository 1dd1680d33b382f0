// Telemetry never carries a secret. Dimensions are plain strings and numbers; a dimension whose
// name says it holds a secret is dropped, and anything inside a string that is shaped like a
// credential is replaced, so an error message that quotes a URL or a header still reads well.
// Commit SHAs (40 hex digits) and job ids are not secrets and pass unchanged.

export type DimensionValue = string | number;
export type Dimensions = Record<string, DimensionValue | undefined>;

/** Dimension names that hold a secret (githubToken, webhookSecret, password, apiKey, sig, …). */
const SECRET_NAME =
  /(secret|token|password|passwd|credential|authorization|signature|sig|key|connectionString|cookie)$/i;

/** Application Insights keeps 8,192 characters of a property; a dimension this long is a mistake. */
const MAX_VALUE_LENGTH = 2048;

const REDACTED = '[redacted]';

/** Shapes of credentials, each with what replaces it (the prefix that names it is kept). */
const SECRET_SHAPES: [RegExp, string][] = [
  // GitHub tokens: classic, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  // JSON Web Tokens (Entra ID access tokens, GitHub App JWTs).
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // HTTP authorization values: "Bearer x", "token x", "Basic x" (with a digit, so "token expired" stays).
  [/\b(Bearer|token|Basic)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // Credentials in a URL: https://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`],
  // Secrets in a query string: SAS signatures, function keys, OAuth tokens.
  [/([?&](?:sig|code|token|access_token|client_secret)=)[^&#\s]+/gi, `$1${REDACTED}`],
  // Secrets in a connection string (storage account keys, SAS, Service Bus keys, passwords).
  [/\b((?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)=)[^;\s]+/gi, `$1${REDACTED}`],
  // Long base64 with padding: storage account keys and other raw key material quoted bare.
  [/[A-Za-z0-9+/]{40,}={1,2}/g, REDACTED],
];

export function scrubText(text: string): string {
  const scrubbed = SECRET_SHAPES.reduce(
    (value, [shape, replacement]) => value.replace(shape, replacement),
    text,
  );
  return scrubbed.length > MAX_VALUE_LENGTH ? `${scrubbed.slice(0, MAX_VALUE_LENGTH)}…` : scrubbed;
}

/** The dimensions fit to send: no secret-named ones, no undefined, no non-finite numbers. */
export function scrubDimensions(dimensions: Dimensions): Record<string, DimensionValue> {
  const clean: Record<string, DimensionValue> = {};
  for (const [name, value] of Object.entries(dimensions)) {
    if (value === undefined || SECRET_NAME.test(name)) continue;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) clean[name] = value;
    } else if (typeof value === 'string') {
      clean[name] = scrubText(value);
    }
  }
  return clean;
}
