import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newSecret } from './ids.js';

export interface AdminToken {
  token: string;
  file: string;
  created: boolean;
}

/**
 * The admin token lives in `<dataDir>/admin-token`, readable by the hub's user only. It is made on
 * first start; scripts and the CLI read it from there.
 */
export function ensureAdminToken(dataDir: string): AdminToken {
  const file = path.join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) {
      chmodSync(file, 0o600);
      return { token, file, created: false };
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const token = `hpa_${newSecret(32)}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, created: true };
}
