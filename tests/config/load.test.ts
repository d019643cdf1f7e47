import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderSettingsSchema } from '../../scripts/write-settings-schema.js';
import { ConfigError, loadSettings } from '../../src/config/load.js';
import { projectRoot } from '../../src/paths.js';

function tempDirWithConfig(yaml?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'homepay-config-'));
  if (yaml !== undefined) {
    writeFileSync(path.join(dir, 'homepay.yaml'), yaml);
  }
  return dir;
}

function loadError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('settings', () => {
  it('runs on embedded defaults when there is no config file', () => {
    const cwd = tempDirWithConfig();
    const { settings, file } = loadSettings({ cwd, env: {} });
    expect(file).toBeNull();
    expect(settings.mqtt).toMatchObject({ host: '127.0.0.1', port: 1883, maxPacketBytes: 65536 });
    expect(settings.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(settings.dataDir).toBe(path.join(cwd, 'data'));
  });

  it('reports every mistake of a config at once, each with its key path', () => {
    const cwd = tempDirWithConfig(
      ['mqtt:', '  port: "eighteen"', '  prot: 1', 'http:', '  port: 70000'].join('\n'),
    );
    const error = loadError(() => loadSettings({ cwd, env: { HOMEPAY_CONFIG: 'homepay.yaml' } }));
    expect(error.problems).toHaveLength(3);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'mqtt.port: must be integer',
        'mqtt.prot: unknown key',
        'http.port: must be <= 65535',
      ]),
    );
    expect(error.message).toContain(path.join(cwd, 'homepay.yaml'));
  });

  it('lets the environment override the file, and port 0 through', () => {
    const cwd = tempDirWithConfig('mqtt:\n  port: 1999\nhttp:\n  port: 8081\n');
    const { settings } = loadSettings({
      cwd,
      env: {
        HOMEPAY_CONFIG: 'homepay.yaml',
        HOMEPAY_MQTT_PORT: '0',
        HOMEPAY_HTTP_PORT: '9090',
        HOMEPAY_DATA_DIR: '/var/lib/homepay',
        HOMEPAY_MQTT_URL: 'mqtt://broker:1883',
      },
    });
    expect(settings.mqtt.port).toBe(0);
    expect(settings.http.port).toBe(9090);
    expect(settings.dataDir).toBe('/var/lib/homepay');
    expect(settings.mqtt.url).toBe('mqtt://broker:1883');
  });

  it('refuses a port in the environment that is not a number, with the variable named', () => {
    const cwd = tempDirWithConfig();
    const error = loadError(() => loadSettings({ cwd, env: { HOMEPAY_HTTP_PORT: 'http' } }));
    expect(error.problems).toEqual(['HOMEPAY_HTTP_PORT: expected a port number from 0 to 65535, got "http"']);
  });

  it('refuses a file that is not YAML, and a HOMEPAY_CONFIG that does not exist', () => {
    const cwd = tempDirWithConfig('mqtt: [port: 1\n');
    expect(
      loadError(() => loadSettings({ cwd, env: { HOMEPAY_CONFIG: 'homepay.yaml' } })).problems[0],
    ).toMatch(/not valid YAML/);
    expect(loadError(() => loadSettings({ cwd, env: { HOMEPAY_CONFIG: 'nope.yaml' } })).problems[0]).toMatch(
      /does not exist/,
    );
  });

  it('reads config/homepay.yaml from the working directory when HOMEPAY_CONFIG is not set', () => {
    const cwd = tempDirWithConfig();
    const configDir = path.join(cwd, 'config');
    mkdirSync(configDir);
    writeFileSync(path.join(configDir, 'homepay.yaml'), 'logLevel: warn\n');
    const { settings, file } = loadSettings({ cwd, env: {} });
    expect(file).toBe(path.join(configDir, 'homepay.yaml'));
    expect(settings.logLevel).toBe('warn');
  });

  it('ships an example config that is valid and names every top-level key of the schema', () => {
    const example = readFileSync(path.join(projectRoot, 'config/homepay.example.yaml'), 'utf8');
    const cwd = tempDirWithConfig(example);
    expect(() => loadSettings({ cwd, env: { HOMEPAY_CONFIG: 'homepay.yaml' } })).not.toThrow();
    const schema = JSON.parse(renderSettingsSchema()) as { properties: Record<string, unknown> };
    const documented = Object.keys(parseYaml(example) as object);
    expect(documented.sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it('keeps config/settings.schema.json in step with the schema in code (run npm run schema)', () => {
    const onDisk = readFileSync(path.join(projectRoot, 'config/settings.schema.json'), 'utf8');
    expect(onDisk).toBe(renderSettingsSchema());
    // And it is a schema an editor can use: partial files validate.
    const validate = new Ajv({ strict: false }).compile(JSON.parse(onDisk) as object);
    expect(validate({ mqtt: { port: 1884 } })).toBe(true);
    expect(validate({ mqtt: { port: 'x' } })).toBe(false);
  });
});
