import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A device the simulator registered, with the secret the hub showed once. */
export interface StoredDevice {
  id: string;
  profile: string;
  identity: string;
  name: string;
  password: string;
}

/** The simulator's own phone, paired with `--fund` or `--approve`. */
export interface StoredPhone {
  phoneId: string;
  token: string;
  /** base64 of the 64-byte tweetnacl secret key. */
  secretKey: string;
  fundingSourceId?: string;
}

/**
 * What the simulator remembers between runs, in the hub's data dir (`simulator.json`, mode 0600
 * because it holds device secrets): the devices it registered, so a rerun reuses them instead of
 * filling the hub with copies, each plug's energy counter, so counters keep going up, and its phone.
 */
export interface SimulatorState {
  version: 1;
  /** Seeds identities and load curves; kept so a rerun has the same appliances. */
  fleetSeed: string;
  devices: Record<string, StoredDevice>;
  counters: Record<string, number>;
  phone?: StoredPhone;
}

export const STATE_FILE_NAME = 'simulator.json';

export function loadState(file: string): SimulatorState {
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SimulatorState>;
    if (parsed.version === 1 && typeof parsed.fleetSeed === 'string') {
      return {
        version: 1,
        fleetSeed: parsed.fleetSeed,
        devices: {},
        counters: {},
        ...parsed,
      } as SimulatorState;
    }
  }
  return { version: 1, fleetSeed: randomBytes(4).toString('hex'), devices: {}, counters: {} };
}

/** Written whole to a temporary file and renamed, so a stop mid-write never leaves half a file. */
export function saveState(file: string, state: SimulatorState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
