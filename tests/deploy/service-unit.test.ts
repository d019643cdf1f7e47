import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { projectRoot } from '../../src/paths.js';

/**
 * deploy/homepay.service (docs/running-as-a-service.md) is only useful while it matches the code:
 * the program it starts, the variables it sets and the signal it stops with. The hub's clean stop
 * on SIGTERM itself is proved by tests/hub/process.test.ts.
 */

const unitFile = path.join(projectRoot, 'deploy/homepay.service');

/** `Key=value` lines of the [Service] section; a key may repeat (Environment). */
function serviceSection(): Array<[string, string]> {
  const lines = readFileSync(unitFile, 'utf8').split('\n');
  const start = lines.indexOf('[Service]');
  const end = lines.findIndex((line, i) => i > start && line.startsWith('['));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .filter((line) => line.includes('=') && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

const values = (key: string) =>
  serviceSection()
    .filter(([k]) => k === key)
    .map(([, value]) => value);

describe('the systemd unit', () => {
  it('starts what `npm run build` writes, from the checkout it names', () => {
    const [workingDirectory] = values('WorkingDirectory');
    const [execStart] = values('ExecStart');
    const [node, script] = (execStart as string).split(' ');
    expect(node).toMatch(/\/node$/);
    expect(script?.startsWith(`${workingDirectory}/`)).toBe(true);
    const relative = path.relative(workingDirectory as string, script as string);
    // tsconfig.json compiles src/ to dist/src/ (outDir dist, rootDir .), so dist/src/main.js is main.ts.
    const tsconfig = JSON.parse(readFileSync(path.join(projectRoot, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(relative).toBe(path.join(tsconfig.compilerOptions.outDir, 'src/main.js'));
    expect(existsSync(path.join(projectRoot, 'src/main.ts'))).toBe(true);
    const scripts = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toContain(relative);
  });

  it('sets only variables the hub reads, and the hub takes its data dir and settings file from them', () => {
    const environment = Object.fromEntries(
      values('Environment').map((line) => line.split('=') as [string, string]),
    );
    expect(Object.keys(environment).sort()).toEqual([
      'HOMEPAY_CONFIG',
      'HOMEPAY_DATA_DIR',
      'MALLOC_ARENA_MAX',
    ]);
    // The same variables, pointed at a temporary file and directory, decide the settings.
    const dir = mkdtempSync(path.join(tmpdir(), 'homepay-unit-'));
    const config = path.join(dir, 'homepay.yaml');
    writeFileSync(config, 'http: {port: 18080}\n');
    const { settings } = loadSettings({
      cwd: dir,
      env: { HOMEPAY_CONFIG: config, HOMEPAY_DATA_DIR: path.join(dir, 'data') },
    });
    expect(settings.http.port).toBe(18080);
    expect(settings.dataDir).toBe(path.join(dir, 'data'));
    expect(values('StateDirectory')).toEqual([path.basename(environment.HOMEPAY_DATA_DIR as string)]);
  });

  it('stops with a signal the hub handles, and gives the payments under way time to finish', () => {
    expect(values('KillSignal')).toEqual(['SIGTERM']);
    const main = readFileSync(path.join(projectRoot, 'src/main.ts'), 'utf8');
    expect(main).toContain("process.on('SIGTERM'");
    expect(Number(values('TimeoutStopSec')[0])).toBeGreaterThanOrEqual(10);
  });
});
