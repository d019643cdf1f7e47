/**
 * Reading the protocol fixtures in tests/fixtures/protocols (copies of the shared protocol research,
 * plus homepay's own payloads from SPEC.md). Tests read them from here only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/protocols/', import.meta.url));

/** A fixture's bytes, exactly as a device would send them. */
export function fixture(file: string): Buffer {
  return readFileSync(`${FIXTURES_DIR}${file}`);
}

export interface TopicRow {
  system: string;
  direction: 'device->hub' | 'hub->device';
  /** With the research's placeholders, e.g. `tele/{topic}/SENSOR`. */
  pattern: string;
  file: string;
}

/** The rows of a topics table (`topics.tsv`: system, direction, topic pattern, example file). */
export function topicRows(table: string): TopicRow[] {
  const [, ...lines] = readFileSync(`${FIXTURES_DIR}${table}`, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [system, direction, pattern, file] = line.split('\t');
    if (!system || !pattern || !file || (direction !== 'device->hub' && direction !== 'hub->device')) {
      throw new Error(`Malformed row in ${table}: ${line}`);
    }
    return { system, direction, pattern, file };
  });
}
