import { ApiError, type HubClient } from '../cli/hub-client.js';
import type { FleetPlan, PlannedClient } from './fleet-plan.js';
import type { SimulatorState, StoredDevice } from './state-file.js';

interface ListedDevice {
  id: string;
  profile: string;
  identity: string;
  parentId: string | null;
}

interface CreatedDevice extends ListedDevice {
  name: string;
  mqtt: { username: string; password: string };
}

export interface RegistrationResult {
  devices: Map<string, StoredDevice>;
  registered: number;
  reused: number;
}

/** Registrations in flight at once: each costs the hub one scrypt hash. */
const CONCURRENCY = 4;
/** Identities tried per device before giving up (another device may hold the first ones). */
const ATTEMPTS = 5;

/**
 * Registers the plan's clients over the HTTP API with the admin token, or reuses the ones the state
 * file remembers when the hub still has them with the same profile and identity. The state is
 * updated in place; the caller saves it.
 */
export async function registerFleet(
  api: HubClient,
  plan: FleetPlan,
  state: SimulatorState,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<RegistrationResult> {
  const listed = await api.request<ListedDevice[]>('GET', '/api/devices');
  const onHub = new Map(listed.map((device) => [device.id, device]));
  const devices = new Map<string, StoredDevice>();
  let registered = 0;
  let reused = 0;
  let done = 0;

  const queue = [...plan.clients];
  const worker = async () => {
    for (let client = queue.shift(); client; client = queue.shift()) {
      const stored = state.devices[client.key];
      const current = stored && onHub.get(stored.id);
      if (stored && current && current.profile === stored.profile && current.identity === stored.identity) {
        devices.set(client.key, stored);
        reused++;
      } else {
        const device = await register(api, client);
        state.devices[client.key] = device;
        devices.set(client.key, device);
        registered++;
      }
      onProgress(++done, plan.clients.length);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { devices, registered, reused };
}

async function register(api: HubClient, client: PlannedClient): Promise<StoredDevice> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const identity = client.identity(attempt);
    try {
      const created = await api.request<CreatedDevice>('POST', '/api/devices', {
        profile: client.profile,
        name: client.name,
        ...(identity === undefined ? {} : { identity }),
      });
      return {
        id: created.id,
        profile: created.profile,
        identity: created.identity,
        name: created.name,
        password: created.mqtt.password,
      };
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'identity_taken')) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/** A new secret for a device whose stored one the hub refused (rotated by someone else). */
export async function rotateSecret(api: HubClient, device: StoredDevice): Promise<StoredDevice> {
  const credentials = await api.request<{ username: string; password: string }>(
    'POST',
    `/api/devices/${encodeURIComponent(device.id)}/rotate`,
  );
  return { ...device, password: credentials.password };
}
