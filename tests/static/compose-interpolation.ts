// The part of Compose variable interpolation the dev compose file uses:
// $$ (a literal $), ${NAME}, ${NAME:-default} (unset or empty) and ${NAME-default} (unset).

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g;

export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(REFERENCE, (whole, name: string | undefined, operator?: string, fallback = '') => {
    if (whole === '$$') return '$';
    const current = env[name!];
    if (operator === ':-') return current ? current : fallback;
    if (operator === '-') return current ?? fallback;
    return current ?? '';
  });
}

export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(REFERENCE)) if (match[1]) names.add(match[1]);
  return names;
}
