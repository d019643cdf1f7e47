import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { type Settings, SettingsSchema } from './schema.js';

/** Thrown with every problem found, so a user fixes a config in one go instead of one error per start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadOptions {
  /** Where relative paths (config file, data dir) start; the process's working directory by default. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given in code (tests), merged over the file and under the environment. */
  overrides?: Record<string, unknown>;
}

export interface LoadedSettings {
  settings: Settings;
  /** The file read, or `null` when the hub runs on its embedded defaults. */
  file: string | null;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile<Settings>(SettingsSchema);

/** The environment variables SPEC names, and the setting each one overrides. */
const ENV_OVERRIDES: Array<{ name: string; path: [string, string] | [string]; kind: 'port' | 'string' }> = [
  { name: 'HOMEPAY_MQTT_PORT', path: ['mqtt', 'port'], kind: 'port' },
  { name: 'HOMEPAY_HTTP_PORT', path: ['http', 'port'], kind: 'port' },
  { name: 'HOMEPAY_HTTPS_PORT', path: ['http', 'httpsPort'], kind: 'port' },
  { name: 'HOMEPAY_MQTTS_PORT', path: ['mqtt', 'tlsPort'], kind: 'port' },
  { name: 'HOMEPAY_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { name: 'HOMEPAY_MQTT_URL', path: ['mqtt', 'url'], kind: 'string' },
];

export function loadSettings(options: LoadOptions = {}): LoadedSettings {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findConfigFile(cwd, env);
  const raw = file ? readYamlObject(file) : {};
  const problems: string[] = [];

  const merged = deepMerge(raw, options.overrides ?? {});
  for (const override of ENV_OVERRIDES) {
    const value = env[override.name];
    if (value === undefined || value === '') continue;
    if (override.kind === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        problems.push(`${override.name}: expected a port number from 0 to 65535, got "${value}"`);
        continue;
      }
      setPath(merged, override.path, port);
    } else {
      setPath(merged, override.path, value);
    }
  }

  if (!validate(merged)) problems.push(...(validate.errors ?? []).map(describeSchemaError));
  if (problems.length > 0) throw new ConfigError(file ?? 'the environment', problems);

  const settings = merged as Settings;
  // Relative paths in a config file are relative to the working directory, as users of
  // Zigbee2MQTT and Home Assistant expect; resolve once here so nothing else has to.
  settings.dataDir = path.resolve(cwd, settings.dataDir);
  settings.catalog = path.resolve(cwd, settings.catalog);
  settings.wallet.offers = path.resolve(cwd, settings.wallet.offers);
  return { settings, file };
}

function findConfigFile(cwd: string, env: NodeJS.ProcessEnv): string | null {
  if (env.HOMEPAY_CONFIG) {
    const explicit = path.resolve(cwd, env.HOMEPAY_CONFIG);
    if (!existsSync(explicit))
      throw new ConfigError(explicit, [`HOMEPAY_CONFIG names a file that does not exist`]);
    return explicit;
  }
  const conventional = path.resolve(cwd, 'config/homepay.yaml');
  return existsSync(conventional) ? conventional : null;
}

function readYamlObject(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(file, ['expected a mapping of settings']);
  return withoutEmptyKeys(parsed as Record<string, unknown>);
}

/**
 * `push:` with every line below it commented out parses as `push: null`; people mean "not set",
 * so an empty key falls back to its default instead of failing validation.
 */
function withoutEmptyKeys(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === null) continue;
    out[key] = isPlainObject(value) ? withoutEmptyKeys(value) : value;
  }
  return out;
}

/** One line a person can act on: the key path and what was expected there. */
export function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return `${where === '(top level)' ? key : `${where}.${key}`}: unknown key`;
    }
    case 'required':
      return `${where}: missing required key "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
    case 'const':
      return `${where}: ${error.message}`;
    default:
      return `${where}: ${error.message}`;
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(over)) {
    const existing = out[key];
    out[key] =
      isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : structuredClone(value);
  }
  return out;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
