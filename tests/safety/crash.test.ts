import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../src/paths.js';
import type { Intent } from '../../src/payments/intent.js';
import { type CheckReport, checkDatabase } from './crash-harness/checker.js';
import { bundleStandby, HubProcess } from './crash-harness/hub-process.js';
import {
  type Acknowledged,
  call,
  connect,
  type Household,
  newAcknowledged,
  pick,
  runWorkload,
  seededRandom,
  sign,
  sleep,
  type Workload,
} from './crash-harness/workload.js';

/**
 * Power cuts, for real: a child hub process runs a household's workload (voice orders over MQTT,
 * phone approvals and top-ups over HTTP, meter readings crossing energy rules) and is killed with
 * SIGKILL at a random moment, again and again on the same data directory. After every kill the
 * checker reads the SQLite file as the kill left it, and again once the next process is ready;
 * at the end a last process settles everything and the strongest checks run.
 *
 * HOMEPAY_CRASH_POINTS sets the number of kills (200 by default; 1000 for a long run);
 * HOMEPAY_CRASH_SEED replays a run; HOMEPAY_CRASH_TLS=1 also runs the HTTPS and MQTT-over-TLS
 * listeners (off by default: they write nothing to the database, and their second fastify app is a
 * third of every start); HOMEPAY_CRASH_COLD=1 starts every process from cold
 * (`src/main.ts`, slower) instead of from a warm standby (crash-harness/child.ts).
 */

const POINTS = Number(process.env.HOMEPAY_CRASH_POINTS ?? 200);
const SEED = Number(process.env.HOMEPAY_CRASH_SEED ?? Date.now() % 1_000_000);
const COLD = process.env.HOMEPAY_CRASH_COLD === '1';
/** Share of kills while the hub is still starting (recovering what the previous kill left). */
const EARLY_KILL_SHARE = 0.3;
/** The longest a process works before it is killed, after it is ready. */
const MAX_WORK_MS = 500;

const RULES = (meterId: string) => [
  {
    name: 'Home over 15 kWh a day',
    scope: 'home',
    period: 'day',
    metric: 'energy',
    threshold: 15_000,
    action: { kind: 'alert' },
  },
  {
    name: 'Meter over 6 yuan a day: prepay the grid',
    scope: { deviceId: meterId },
    period: 'day',
    metric: 'spend',
    threshold: 600,
    action: { kind: 'intent', payeeId: 'sgcc', payeeName: '国家电网', amount: 1000 },
  },
  {
    name: 'Home over 200 yuan a month',
    scope: 'home',
    period: 'month',
    metric: 'spend',
    threshold: 20_000,
    action: { kind: 'alert' },
  },
];

let bundled: string | undefined;
afterAll(async () => {
  await HubProcess.killAll();
  if (bundled) rmSync(bundled, { force: true });
});

describe('crash safety: SIGKILL at random points', () => {
  it(
    `${POINTS} kills of a busy hub process lose no approved payment, pay nothing twice and fire each alert once`,
    async () => {
      const random = seededRandom(SEED);
      const dir = mkdtempSync(path.join(tmpdir(), 'homepay-crash-'));
      const dataDir = path.join(dir, 'data');
      const dbFile = path.join(dataDir, 'homepay.db');
      const logFile = path.join(dir, 'hub.log');
      const config = path.join(dir, 'homepay.yaml');
      writeFileSync(config, crashConfig(SEED, process.env.HOMEPAY_CRASH_TLS === '1'));
      const env = {
        HOMEPAY_CONFIG: config,
        HOMEPAY_DATA_DIR: dataDir,
        HOMEPAY_HTTP_PORT: '0',
        HOMEPAY_MQTT_PORT: '0',
        HOMEPAY_HTTPS_PORT: '0',
        HOMEPAY_MQTTS_PORT: '0',
      };
      const standby = COLD ? undefined : await bundleStandby();
      bundled = standby;
      const spawnHub = (tag: string, cold = COLD) =>
        HubProcess.spawn({ env, logFile, tag, mode: cold || !standby ? 'cold' : { standby } });
      const offerLimits = limitedOffers();
      const acked = newAcknowledged();
      const findings: string[] = [];
      const stats = {
        kills: 0,
        earlyKills: 0,
        killedWhileWorking: 0,
        processingAtKill: 0,
        startMs: [] as number[],
      };
      const fail = (where: string, report: CheckReport | string[]) => {
        const list = Array.isArray(report) ? report : report.violations;
        for (const violation of list) findings.push(`${where}: ${violation}`);
      };

      // The household moves in: devices, a phone, a card, rules and a first top-up, on a process
      // that is then killed like every other.
      const first = spawnHub('boot', true);
      const household = await moveIn(await first.ready(), dataDir);
      await first.kill();
      // Two warm processes ahead, so one has a whole cycle to load its modules.
      let spawned = 0;
      const ahead = [spawnHub(`hub-${++spawned}`), spawnHub(`hub-${++spawned}`)];
      fail('after boot', checkDatabase(dbFile, { offerLimits, rulesPrecedeReadings: true }));

      const started = Date.now();
      // Milliseconds per phase of the cycles, for the summary.
      const phases: Record<string, number> = {};
      for (let point = 1; point <= POINTS && findings.length === 0; point++) {
        const current = ahead.shift() as HubProcess;
        let t = Date.now();
        const lap = (name: string) => {
          phases[name] = (phases[name] ?? 0) + Date.now() - t;
          t = Date.now();
        };
        if (!COLD) await current.standby();
        lap('standby');
        current.go();
        let workload: Workload | undefined;
        if (random() < EARLY_KILL_SHARE) {
          // Killed while starting: the hub expires, settles and re-asks what the previous kill
          // interrupted before it opens its HTTP port, in the first few hundred milliseconds.
          await Promise.race([sleep(50 + random() * 400), current.ready().catch(() => {})]);
          stats.earlyKills++;
          ahead.push(spawnHub(`hub-${++spawned}`));
        } else {
          const ready = await current.ready();
          lap('start');
          // The next process loads its modules while this one works, not while it starts.
          ahead.push(spawnHub(`hub-${++spawned}`));
          stats.startMs.push(ready.startMs);
          fail(
            `restart ${point}`,
            checkDatabase(dbFile, { offerLimits, recovered: true, rulesPrecedeReadings: true }),
          );
          lap('restartCheck');
          workload = runWorkload(ready, household, acked, random);
          // The kill comes at a random moment of the work itself, however long logging in took.
          await Promise.race([workload.connected, sleep(5000)]);
          await sleep(random() * MAX_WORK_MS);
          lap('work');
          stats.killedWhileWorking++;
        }
        lap('early');
        await current.kill();
        workload?.stop();
        await workload?.done;
        stats.kills++;
        lap('kill');

        const report = checkDatabase(dbFile, { offerLimits, rulesPrecedeReadings: true });
        stats.processingAtKill += report.processing.length;
        fail(`kill ${point}`, report);
        fail(`kill ${point}`, promisesKept(dbFile, household, acked));
        fail(`kill ${point}`, acked.problems.splice(0));
        lap('killCheck');
      }
      const killSeconds = (Date.now() - started) / 1000;

      // A last process, left alone: everything approved settles, and the promises still hold.
      const last = ahead.shift() as HubProcess;
      for (const spare of ahead) await spare.kill();
      if (!COLD) await last.standby();
      last.go();
      const ready = await last.ready();
      let final = checkDatabase(dbFile, { offerLimits, recovered: true });
      for (let waited = 0; final.processing.length > 0 && waited < 60_000; waited += 250) {
        await sleep(250);
        final = checkDatabase(dbFile, { offerLimits, recovered: true });
      }
      final = checkDatabase(dbFile, {
        offerLimits,
        recovered: true,
        settled: true,
        rulesPrecedeReadings: true,
      });
      fail('settled', final);
      fail('settled', promisesKept(dbFile, household, acked));
      const wallet = await call(ready.httpUrl, 'GET', '/api/wallet', household.adminToken);
      const api = wallet.json as { balance: number; held: number };
      if (api.balance !== final.stats.walletBalance || api.held !== final.stats.walletHeld)
        findings.push(
          `GET /api/wallet says ${api.balance}/${api.held}, the postings ${final.stats.walletBalance}/${final.stats.walletHeld}`,
        );
      fail('replays', await replays(ready, household, acked, dbFile, random));
      const exit = await last.stop();
      if (exit !== 0) findings.push(`a graceful stop after the run exited with ${exit}`);
      fail('after stop', checkDatabase(dbFile, { offerLimits, recovered: true, settled: true }));

      const summary = {
        seed: SEED,
        kills: stats.kills,
        earlyKills: stats.earlyKills,
        killedWhileWorking: stats.killedWhileWorking,
        seconds: Math.round(killSeconds),
        medianStartMs: median(stats.startMs),
        // Where the time went, in seconds: waiting for a warm process, starting, working, dying, checking.
        phases: Object.fromEntries(Object.entries(phases).map(([name, ms]) => [name, Math.round(ms / 1000)])),
        intentsProcessingAtAKill: stats.processingAtKill,
        intents: final.stats.byStatus,
        transactions: final.stats.transactions,
        alerts: final.stats.alerts,
        orders: final.stats.orders,
        work: acked.counts,
        walletBalance: final.stats.walletBalance,
      };
      writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
      console.log(`crash test: ${JSON.stringify(summary)}`);
      expect(findings, `seed ${SEED}; logs in ${logFile}`).toEqual([]);
      expect(stats.kills).toBe(POINTS);
      // The kills landed where money moves: approvals were in flight, alerts crossed (bounds loose
      // enough for a machine busy with other work).
      expect(acked.counts.approvals).toBeGreaterThan(POINTS / 5);
      expect(final.stats.byStatus.succeeded ?? 0).toBeGreaterThan(POINTS / 5);
      expect(final.stats.alerts).toBeGreaterThan(POINTS / 20);
      rmSync(dir, { recursive: true, force: true });
    },
    POINTS * 4000 + 180_000,
  );
});

function crashConfig(seed: number, tls: boolean): string {
  return `
logLevel: info
tls: {enabled: ${tls}}
payments:
  intentTtlSeconds: 10
  provider: {latencyMs: 15, declineRate: 0.1, timeoutRate: 0.1, seed: ${seed}}
voice:
  policy: {dailyCap: 1000000000, maxPerOrder: 500000}
wallet:
  anomaly:
    amountSpike: {enabled: false}
    burst: {enabled: false}
    newPayeeAtNight: {enabled: false}
energy:
  tariff: beijing-residential
`;
}

function limitedOffers(): Record<string, number> {
  const file = parseYaml(readFileSync(path.join(projectRoot, 'config/offers.yaml'), 'utf8')) as {
    offers: Array<{ id: string; quantity?: number }>;
  };
  return Object.fromEntries(
    file.offers
      .filter((offer) => offer.quantity !== undefined)
      .map((offer) => [offer.id, offer.quantity as number]),
  );
}

/** Registers the devices, pairs the phone, adds a card and the rules, and puts money in. */
async function moveIn(hub: { httpUrl: string; mqttPort: number }, dataDir: string): Promise<Household> {
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const base = hub.httpUrl;
  const must = async (method: string, url: string, body?: unknown, token: string | null = admin) => {
    const answer = await call(base, method, url, token, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.json)}`);
    return answer.json as Record<string, unknown>;
  };
  const device = async (profile: string, name: string) => {
    const created = (await must('POST', '/api/devices', { profile, name })) as {
      id: string;
      mqtt: { username: string; password: string };
    };
    return { id: created.id, ...created.mqtt };
  };
  const speaker = await device('homepay-speaker', 'Kitchen speaker');
  const meter = await device('homepay-meter', 'Main meter');
  const watcher = await device('homepay-integration', 'Home Assistant');
  const { code } = (await must('POST', '/api/pairing')) as { code: string };
  const keys = nacl.sign.keyPair();
  const phone = (await must(
    'POST',
    '/api/phones',
    { code, name: 'Crash phone', publicKey: Buffer.from(keys.publicKey).toString('base64') },
    null,
  )) as { phoneId: string; token: string };
  const card = (await must('POST', '/api/funding-sources', {
    kind: 'debit_card',
    number: '6222 0212 3456 7890 128',
    holder: 'Crash',
  })) as { id: string };
  for (const rule of RULES(meter.id)) await must('POST', '/api/rules', rule);
  const household: Household = {
    adminToken: admin,
    phone: { id: phone.phoneId, token: phone.token, secretKey: keys.secretKey },
    speaker,
    meter,
    watcher,
    cardId: card.id,
    meterAt: Date.now() - (2 * POINTS + 2) * 86_400_000,
    meterWh: 1000,
    seq: 0,
  };
  const topup = (
    await call(
      base,
      'POST',
      '/api/wallet/topups',
      phone.token,
      { amount: 500_000, fundingSourceId: card.id },
      { 'idempotency-key': 'move-in' },
    )
  ).json as Intent;
  await must(
    'POST',
    `/api/intents/${topup.id}/approve`,
    { phoneId: phone.phoneId, signature: sign(household, topup, 'approve') },
    phone.token,
  );
  return household;
}

/** What the hub answered before a kill is still true after it. */
function promisesKept(dbFile: string, household: Household, acked: Acknowledged): string[] {
  const broken: string[] = [];
  const db = new Database(dbFile, { readonly: true });
  try {
    const statusOf = db.prepare('SELECT status FROM intents WHERE id = ?');
    for (const [intentId, answered] of acked.decisions) {
      const row = statusOf.get(intentId) as { status: string } | undefined;
      const now = row?.status;
      const kept =
        answered === 'denied'
          ? now === 'denied'
          : answered === 'processing'
            ? now === 'processing' || now === 'succeeded' || now === 'failed'
            : now === answered;
      if (!kept) broken.push(`intent ${intentId} was answered ${answered}, the database says ${now}`);
    }
    for (const [key, intentId] of acked.topups) {
      if (!statusOf.get(intentId)) broken.push(`top-up ${key} was answered with ${intentId}, which is gone`);
    }
    const orders = db.prepare('SELECT COUNT(*) AS n FROM orders WHERE device_id = ? AND session_id = ?');
    for (const sessionId of acked.readBacks.keys()) {
      const { n } = orders.get(household.speaker.id, sessionId) as { n: number };
      if (n === 0) broken.push(`session ${sessionId} heard its read-back but has no order`);
    }
    const alert = db.prepare('SELECT 1 FROM energy_alerts WHERE id = ?');
    for (const alertId of acked.alerts.keys()) {
      if (!alert.get(alertId)) broken.push(`alert ${alertId} was published but is not stored`);
    }
  } finally {
    db.close();
  }
  return broken;
}

/**
 * After everything settled: the same top-up keys and the same words in the same sessions, sent
 * again to a hub that has been killed hundreds of times since, make nothing new.
 */
async function replays(
  hub: { httpUrl: string; mqttPort: number },
  household: Household,
  acked: Acknowledged,
  dbFile: string,
  random: () => number,
): Promise<string[]> {
  const problems: string[] = [];
  const keys = [...acked.topups.entries()];
  for (let i = 0; i < Math.min(30, keys.length); i++) {
    const [key, intentId] = pick(random, keys);
    const answer = await call(
      hub.httpUrl,
      'POST',
      '/api/wallet/topups',
      household.phone.token,
      { amount: 30_000, fundingSourceId: household.cardId },
      { 'idempotency-key': key },
    );
    if (answer.status !== 200 || (answer.json as Intent).id !== intentId)
      problems.push(
        `top-up key ${key} again: ${answer.status} ${(answer.json as Intent).id}, first ${intentId}`,
      );
  }
  const before = checkDatabase(dbFile).stats.orders;
  const speaker = await connect(hub.mqttPort, household.speaker);
  const heard: string[] = [];
  speaker.on('message', (_topic, payload) => heard.push(payload.toString('utf8')));
  await speaker.subscribeAsync(`homepay/speaker/${household.speaker.id}/say`, { qos: 1 });
  const sessions = [...acked.readBacks.keys()].slice(0, 10);
  for (const sessionId of sessions) {
    const text = sessionText(dbFile, household.speaker.id, sessionId);
    await speaker.publishAsync(
      `homepay/speaker/${household.speaker.id}/utterance`,
      JSON.stringify({ text, sessionId }),
      { qos: 1 },
    );
  }
  for (let waited = 0; heard.length < sessions.length && waited < 5000; waited += 50) await sleep(50);
  await speaker.endAsync();
  const after = checkDatabase(dbFile).stats.orders;
  if (after !== before) problems.push(`redelivered utterances made ${after - before} new orders`);
  if (heard.length < sessions.length)
    problems.push(`${sessions.length - heard.length} redeliveries got no answer`);
  return problems;
}

/** The words of a session's order as the hub stored them (the raw text is in the intent's reason). */
function sessionText(dbFile: string, deviceId: string, sessionId: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT json_extract(i.details, '$.reason') AS said FROM orders o JOIN intents i ON i.id = o.intent_id
         WHERE o.device_id = ? AND o.session_id = ? LIMIT 1`,
      )
      .get(deviceId, sessionId) as { said: string } | undefined;
    return row?.said ?? '';
  } finally {
    db.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
