// How git commands get the token and stay quiet: the token travels as an HTTP header set
// through GIT_CONFIG_* environment variables — never in the URL, never on the argv that
// errors and process lists show.

export interface GitAuth {
  token?: string;
}

/** The token as GitHub takes it over HTTP Basic (any user name; the token is the password). */
function basicCredential(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString('base64');
}

/** Environment for a git child process: no prompts, no system/global config, the token as a header. */
export function gitEnv(auth: GitAuth, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: base.PATH,
    HOME: base.HOME,
    TMPDIR: base.TMPDIR,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: '0',
  };
  const config: [string, string][] = [
    // Hooks never run, whatever the repository ships.
    ['core.hooksPath', '/dev/null'],
    // A clone never writes through symlinks or follows submodules on its own.
    ['core.symlinks', 'true'],
    ['protocol.file.allow', 'always'],
  ];
  if (auth.token) {
    config.push(['http.extraHeader', `Authorization: Basic ${basicCredential(auth.token)}`]);
  }
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  env.GIT_CONFIG_COUNT = String(config.length);
  return env;
}

/** Removes the token (raw and as the Basic header) from text that may reach a client or a log. */
export function redact(text: string, auth: GitAuth): string {
  if (!auth.token) return text;
  return text.split(auth.token).join('***').split(basicCredential(auth.token)).join('***');
}
