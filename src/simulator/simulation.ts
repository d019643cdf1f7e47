/**
 * One simulator run against a hub on this machine, through its public contract only: register (or
 * reuse) devices over the HTTP API with the admin token, connect each over MQTT with its own
 * credentials, publish real payloads for `durationMs`, then say goodbye and remember the devices
 * and their counters for the next run.
 */
import { type ApiError, HubClient } from '../cli/hub-client.js';
import type { Intent } from '../payments/intent.js';
import { planFleet, SATELLITE_KEY, SPEAKER_KEY } from './fleet-plan.js';
import { FleetRuntime, type RuntimeStats } from './fleet-runtime.js';
import { LocalClock } from './local-clock.js';
import { checkOptions, type SimulationOptions } from './options.js';
import { SimulatedPhone } from './phone.js';
import { formatMoney, type HubView, progressLine, type Reporter, silentReporter } from './progress.js';
import { registerFleet, rotateSecret } from './registration.js';
import { loadState, type SimulatorState, saveState } from './state-file.js';

export interface SimulationSummary {
  stats: RuntimeStats;
  registered: number;
  reused: number;
  /** Device ids by plan key (plugs' clients, the speaker, the satellite). */
  deviceIds: Record<string, string>;
  approved: number;
  hub?: HubView;
}

interface EnergyJson {
  currency: string;
  day: { energyWh: number; cost: number };
}

const HUB_POLL_MS = 5_000;
const APPROVE_POLL_MS = 2_000;
/** A person takes a few seconds to look at the phone. */
const APPROVE_AFTER_MS = 3_000;

export async function runSimulation(
  options: SimulationOptions,
  reporter: Reporter = silentReporter,
  signal?: AbortSignal,
): Promise<SimulationSummary> {
  checkOptions(options);
  const api = new HubClient(options.hubUrl, options.token);
  const health = await api.request<{ mqtt: { port: number } | { url: string } }>('GET', '/api/health');
  const mqttUrl =
    options.mqttUrl ?? ('port' in health.mqtt ? `mqtt://127.0.0.1:${health.mqtt.port}` : health.mqtt.url);
  checkOptions({ ...options, mqttUrl });

  const state = loadState(options.stateFile);
  const plan = planFleet(options.devices, state.fleetSeed, options.voice);
  const registration = await registerFleet(api, plan, state, (done, total) =>
    reporter.status(`registering devices ${done}/${total}`),
  );
  saveState(options.stateFile, state);
  if (registration.registered > 0 || registration.reused > 0) {
    reporter.line(
      `${registration.registered} devices registered, ${registration.reused} reused (${options.stateFile})`,
    );
  }

  const phone =
    options.fundTo !== undefined || options.approve
      ? await preparePhone(api, state, options, reporter)
      : undefined;

  const runtime = new FleetRuntime(
    plan,
    registration.devices,
    state.counters,
    state.fleetSeed,
    { ...options, mqttUrl, renewCredentials: (key) => renew(api, state, options.stateFile, key) },
    {
      said: (who, text) => reporter.line(`[${who}] said: ${text}`),
      heard: (who, text) => reporter.line(`[${who}] heard: ${text}`),
    },
  );
  const deviceIds = Object.fromEntries([...registration.devices].map(([key, device]) => [key, device.id]));
  const voiceDevices = new Set(
    [registration.devices.get(SPEAKER_KEY)?.id, registration.devices.get(SATELLITE_KEY)?.id].filter(
      (id): id is string => !!id,
    ),
  );

  const clock = new LocalClock(options.timeZone);
  let hub: HubView | undefined;
  let approved = 0;
  const timers: NodeJS.Timeout[] = [];
  try {
    await runtime.connect((done, total) => reporter.status(`connecting ${done}/${total}`));
    for (const refused of runtime.snapshot().refused) reporter.line(`could not connect ${refused}`);
    runtime.start();
    const startedAt = Date.now();
    const endsAt = startedAt + options.durationMs;
    let lastCount = 0;
    let lastAt = startedAt;
    let perSecond = 0;

    const render = () => {
      const stats = runtime.snapshot();
      const now = Date.now();
      if (now - lastAt >= 1000) {
        perSecond = ((stats.published - lastCount) * 1000) / (now - lastAt);
        lastCount = stats.published;
        lastAt = now;
      }
      reporter.status(
        progressLine(stats, {
          clock,
          speed: options.speed,
          perSecond,
          remainingMs: endsAt - now,
          ...(hub ? { hub } : {}),
        }),
      );
    };
    timers.push(setInterval(render, 1000));
    if (options.pollHub) {
      const poll = async () => {
        hub = await hubView(api).catch(() => hub);
      };
      void poll();
      timers.push(setInterval(() => void poll(), HUB_POLL_MS));
    }
    if (phone && options.approve) {
      const skipped = new Set<string>();
      const approveDue = async () => {
        for (const intent of await phone.waiting(voiceDevices)) {
          if (skipped.has(intent.id) || Date.now() - Date.parse(intent.createdAt) < APPROVE_AFTER_MS)
            continue;
          const outcome = await phone.approve(intent).catch((err: ApiError) => err);
          if ('status' in outcome && typeof outcome.status === 'string') {
            approved++;
            reporter.line(
              `[phone] approved ${intent.description} ${formatMoney(intent.amount, intent.currency)}: ${outcome.status}`,
            );
          } else {
            skipped.add(intent.id);
            reporter.line(`[phone] left ${intent.id} for your phone: ${(outcome as Error).message}`);
          }
        }
      };
      timers.push(setInterval(() => void approveDue().catch(() => {}), APPROVE_POLL_MS));
    }

    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.durationMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
      if (signal?.aborted) resolve();
    });
    render();
  } finally {
    for (const timer of timers) clearInterval(timer);
    await runtime.stop();
    state.counters = { ...state.counters, ...runtime.counters() };
    if (phone) state.phone = phone.state;
    saveState(options.stateFile, state);
    reporter.done();
  }
  if (options.pollHub) hub = await hubView(api).catch(() => hub);
  return {
    stats: runtime.snapshot(),
    registered: registration.registered,
    reused: registration.reused,
    deviceIds,
    approved,
    ...(hub ? { hub } : {}),
  };
}

async function preparePhone(
  api: HubClient,
  state: SimulatorState,
  options: SimulationOptions,
  reporter: Reporter,
): Promise<SimulatedPhone> {
  const phone = await SimulatedPhone.connect(api, state.phone);
  state.phone = phone.state;
  saveState(options.stateFile, state);
  if (options.fundTo !== undefined) {
    const { added, currency } = await phone.fundTo(options.fundTo);
    if (added > 0)
      reporter.line(`[phone] topped the wallet up by ${formatMoney(added, currency)} from a sandbox card`);
  }
  return phone;
}

async function renew(api: HubClient, state: SimulatorState, file: string, key: string) {
  const stored = state.devices[key];
  if (!stored) return undefined;
  const renewed = await rotateSecret(api, stored).catch(() => undefined);
  if (renewed) {
    state.devices[key] = renewed;
    saveState(file, state);
  }
  return renewed;
}

async function hubView(api: HubClient): Promise<HubView> {
  const [energy, waiting] = await Promise.all([
    api.request<EnergyJson>('GET', '/api/energy'),
    api.request<Intent[]>('GET', '/api/intents?status=requires_approval&limit=500'),
  ]);
  return {
    todayWh: energy.day.energyWh,
    todayCost: energy.day.cost,
    currency: energy.currency,
    waiting: waiting.length,
  };
}
