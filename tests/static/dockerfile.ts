// A small Dockerfile reader for static checks: enough of the syntax this repository's
// Dockerfile uses (line continuations, comments, exec-form JSON, key=value ENV, COPY flags).

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  args: string;
  /** Index of the stage this instruction belongs to (FROM starts a new one). */
  stage: number;
}

export interface Stage {
  image: string;
  alias?: string;
  /** `FROM --platform=…`, as written (may name a build argument such as `$BUILDPLATFORM`). */
  platform?: string;
  instructions: Instruction[];
}

export interface CopyInstruction {
  from?: string;
  sources: string[];
  destination: string;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (line.trim() === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const joined = (pending + line).trim();
    pending = '';
    if (joined === '') continue;
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(joined)!;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const words = args.split(/\s+/);
      const platform = words.find((word) => word.startsWith('--platform='))?.slice('--platform='.length);
      const [image, as, alias] = words.filter((word) => !word.startsWith('--'));
      stages.push({
        image,
        alias: as?.toUpperCase() === 'AS' ? alias : undefined,
        platform,
        instructions: [],
      });
    } else if (stages.length === 0) {
      continue; // ARG before the first FROM
    }
    const stage = stages.length - 1;
    stages[stage].instructions.push({ keyword: upper, args, stage });
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** Exec form (`["a", "b"]`) as an array; shell form is rejected so signals reach the process. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`not exec form: ${args}`);
  }
  return parsed;
}

export function parseCopy(args: string): CopyInstruction {
  const words = args.trim().startsWith('[') ? execForm(args) : args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1] };
}

/** `ENV a=b c=d` → {a: 'b', c: 'd'} (the legacy `ENV a b` form is not used here). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) {
    env[match[1]] = match[3] ?? match[2];
  }
  return env;
}
