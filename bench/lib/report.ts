// What every benchmark shares: order statistics and one way to report (a table on stdout,
// the same rows as JSON under bench/results/).

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

export type Row = Record<string, string | number | boolean>;

function cell(value: string | number | boolean): string {
  return typeof value === 'number'
    ? Number.isInteger(value)
      ? String(value)
      : value.toFixed(2)
    : String(value);
}

export function printTable(rows: Row[]): void {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c] ?? ''))));
}

/** Prints the rows and writes them, with the run's parameters, to bench/results/<name>.json. */
export async function report(name: string, rows: Row[], meta: Record<string, unknown> = {}): Promise<string> {
  printTable(rows);
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', `${name}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ name, date: new Date().toISOString(), meta, rows }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
  return file;
}
