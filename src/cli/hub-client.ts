import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/schema.js';

/** The error body every API error has (SPEC Conventions). */
interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

export class HubUnreachableError extends Error {
  override name = 'HubUnreachableError';
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The CLI talks to the running hub over its HTTP API with the admin token from the data dir, so
 * the hub stays the only writer of its database and can act at once (disconnect a removed device).
 */
export class HubClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  static fromSettings(settings: Settings, env: NodeJS.ProcessEnv = process.env): HubClient {
    const host = settings.http.host === '0.0.0.0' ? '127.0.0.1' : settings.http.host;
    const baseUrl = env.HOMEPAY_URL ?? `http://${host}:${settings.http.port}`;
    return new HubClient(baseUrl, env.HOMEPAY_ADMIN_TOKEN ?? readAdminToken(settings.dataDir));
  }

  async request<T>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(route, this.baseUrl), {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new HubUnreachableError(
        `Cannot reach the hub at ${this.baseUrl} (${(err as Error).message}). Is it running? Start it with: npm start`,
      );
    }
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = (parsed as ApiErrorBody | undefined)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? 'http_error',
        error?.message ?? `HTTP ${response.status}`,
      );
    }
    return parsed as T;
  }
}

function readAdminToken(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    return undefined;
  }
}
