/**
 * Writes config/settings.schema.json from the TypeBox schema in src/config/schema.ts, so editors
 * can validate homepay.yaml. A test fails when the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SettingsSchema } from '../src/config/schema.js';
import { projectRoot } from '../src/paths.js';

export function renderSettingsSchema(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(withoutDefaultedRequired(SettingsSchema) as object),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * A key with a default may be left out of homepay.yaml (the loader fills it in), so for editors
 * it is not "required" even though the loaded settings always have it.
 */
function withoutDefaultedRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDefaultedRequired);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withoutDefaultedRequired(value);
  const properties = out.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out.required) && properties) {
    const required = (out.required as string[]).filter((key) => properties[key]?.default === undefined);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = path.join(projectRoot, 'config', 'settings.schema.json');
  writeFileSync(file, renderSettingsSchema());
  process.stdout.write(`wrote ${file}\n`);
}
