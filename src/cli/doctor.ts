import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { Settings } from '../config/schema.js';
import { ApiError, type HubClient } from './hub-client.js';

export interface Finding {
  ok: boolean;
  check: string;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

interface DeviceJson {
  id: string;
  name: string;
  online: boolean;
  lastSeen: string | null;
}

/**
 * Looks at the things that usually go wrong on a new install and says how to fix each. The config
 * itself was already validated before this runs (a bad config never gets here).
 */
export async function diagnose(
  settings: Settings,
  configFile: string | null,
  client: HubClient,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  findings.push({
    ok: true,
    check: 'config',
    detail: configFile ? `valid: ${configFile}` : 'embedded defaults',
  });

  findings.push(checkDataDir(settings.dataDir));
  findings.push(checkAdminToken(settings.dataDir));

  let health: { mqtt: { port?: number; url?: string } } | undefined;
  try {
    health = await client.request('GET', '/api/health');
    findings.push({ ok: true, check: 'http', detail: `hub answers at ${client.baseUrl}` });
  } catch (err) {
    findings.push({
      ok: false,
      check: 'http',
      detail: (err as Error).message,
      fix: `Start the hub with \`npm start\`, or check http.port (${settings.http.port}) and HOMEPAY_HTTP_PORT`,
    });
  }

  findings.push(await checkBroker(settings, health?.mqtt));

  if (health) {
    try {
      const devices = await client.request<DeviceJson[]>('GET', '/api/devices');
      const neverSeen = devices.filter((d) => d.lastSeen === null);
      findings.push(
        devices.length === 0
          ? {
              ok: false,
              check: 'devices',
              detail: 'no devices registered',
              fix: 'homepay device add --profile ...',
            }
          : neverSeen.length > 0
            ? {
                ok: false,
                check: 'devices',
                detail: `${neverSeen.length} of ${devices.length} never connected: ${neverSeen.map((d) => d.name).join(', ')}`,
                fix: 'Give each device the MQTT host, port, username (device id) and password from `device add`',
              }
            : { ok: true, check: 'devices', detail: `${devices.length} registered, all seen` },
      );
    } catch (err) {
      findings.push({
        ok: false,
        check: 'devices',
        detail: err instanceof ApiError ? err.message : String(err),
        fix: 'Check that data/admin-token is the token of the running hub (or set HOMEPAY_ADMIN_TOKEN)',
      });
    }
  }
  return findings;
}

function checkDataDir(dataDir: string): Finding {
  if (!existsSync(dataDir)) {
    return { ok: true, check: 'data dir', detail: `${dataDir} will be created on first start` };
  }
  try {
    accessSync(dataDir, constants.W_OK);
    return { ok: true, check: 'data dir', detail: `${dataDir} is writable` };
  } catch {
    return {
      ok: false,
      check: 'data dir',
      detail: `${dataDir} is not writable`,
      fix: `chown or chmod ${dataDir}`,
    };
  }
}

function checkAdminToken(dataDir: string): Finding {
  const file = path.join(dataDir, 'admin-token');
  if (!existsSync(file)) return { ok: true, check: 'admin token', detail: 'will be created on first start' };
  const mode = statSync(file).mode & 0o777;
  return mode & 0o077
    ? {
        ok: false,
        check: 'admin token',
        detail: `${file} is readable by others (mode ${mode.toString(8)})`,
        fix: `chmod 600 ${file}`,
      }
    : { ok: true, check: 'admin token', detail: `${file} (mode 600)` };
}

async function checkBroker(
  settings: Settings,
  announced: { port?: number; url?: string } | undefined,
): Promise<Finding> {
  const url = settings.mqtt.url ? new URL(settings.mqtt.url) : undefined;
  const host = url ? url.hostname : settings.mqtt.host === '0.0.0.0' ? '127.0.0.1' : settings.mqtt.host;
  const port = url ? Number(url.port || 1883) : (announced?.port ?? settings.mqtt.port);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  return reachable
    ? { ok: true, check: 'mqtt', detail: `broker reachable at ${host}:${port}` }
    : {
        ok: false,
        check: 'mqtt',
        detail: `nothing listens at ${host}:${port}`,
        fix: url
          ? 'Start the external broker or fix mqtt.url'
          : 'Start the hub; check mqtt.port and HOMEPAY_MQTT_PORT',
      };
}
