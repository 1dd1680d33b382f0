// Console output of the local runtime: one line per event, function logs tagged with the
// function name and a short invocation id, like `func start` prints them.

import type { LogCategory, LogLevel } from './coreShim.js';

const RANK: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  system(level: LogLevel, category: LogCategory, message: string): void;
  functionLog(
    name: string,
    invocationId: string,
    level: LogLevel,
    category: LogCategory,
    message: string,
  ): void;
}

/** `minLevel` hides chattier lines (the library's `debug` system logs by default). */
export function createLogger(minLevel: LogLevel = 'information'): Logger {
  const write = (level: LogLevel, text: string) => {
    if (RANK[level] < RANK[minLevel]) return;
    const line = `[${new Date().toISOString()}] ${text}`;
    if (RANK[level] >= RANK.warning) process.stderr.write(line + '\n');
    else process.stdout.write(line + '\n');
  };
  return {
    info: (message) => write('information', message),
    warn: (message) => write('warning', `warning: ${message}`),
    error: (message) => write('error', `error: ${message}`),
    system: (level, _category, message) => write(level, message),
    functionLog: (name, invocationId, level, _category, message) =>
      write(
        level,
        `${name} (${invocationId.slice(0, 8)}) ${level === 'information' ? '' : level + ': '}${message}`,
      ),
  };
}
