/** Percentiles, ratios and the table every benchmark prints. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** One figure beside its baseline from the same run. */
export interface Row {
  section: string;
  metric: string;
  hub: number;
  baseline: number;
  unit: string;
  /** The goal, as text, and whether the hub met it. */
  goal: string;
  met: boolean;
  /** Optional digits for the figures. */
  digits?: number;
}

export function ratio(row: Row): string {
  if (!(row.baseline > 0)) return 'n/a';
  const value = row.hub / row.baseline;
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x`;
}

function figure(value: number, unit: string, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  const text =
    Math.abs(value) >= 1000
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(digits).replace(/\.0+$/, '');
  return `${text} ${unit}`.trim();
}

/** A Markdown table: it reads in a terminal and pastes into docs/performance.md. */
export function table(rows: Row[]): string {
  const header = ['benchmark', 'metric', 'hub', 'baseline (same run)', 'hub / baseline', 'goal', 'met'];
  const lines = rows.map((row) => [
    row.section,
    row.metric,
    figure(row.hub, row.unit, row.digits),
    figure(row.baseline, row.unit, row.digits),
    ratio(row),
    row.goal,
    row.met ? 'yes' : '**no**',
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((line) => (line[i] as string).length)));
  const render = (line: string[]) =>
    `| ${line.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [render(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(render)].join(
    '\n',
  );
}

export const MB = 1024 * 1024;
