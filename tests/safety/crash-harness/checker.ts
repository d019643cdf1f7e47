/**
 * The safety checker: opens a hub's SQLite file read-only (as an auditor would, while the hub runs
 * or after it was killed) and lists every broken money or alert invariant it finds. Used after
 * every SIGKILL of the crash test, after every injected fault, after the fuzzers and the soak.
 *
 * It reads the tables directly rather than going through src/, so a bug in the code that writes
 * them cannot also hide itself in the code that checks them.
 */
import Database from 'better-sqlite3';

export interface CheckOptions {
  /**
   * Every intent a phone approved must have ended `succeeded` or `failed` (the hub was given time to
   * settle). Without it, `processing` is allowed: a kill may leave one, the restart settles it.
   */
  settled?: boolean;
  /**
   * The hub has started since the last kill: work a restart must finish before it says it is ready
   * (intent actions of alerts recorded before the kill) is done.
   */
  recovered?: boolean;
  /** Every rule existed before its scope's first reading, so a crossing without an alert is a bug. */
  rulesPrecedeReadings?: boolean;
  /** Units each limited offer may ever have taken (config/offers.yaml `quantity`). */
  offerLimits?: Record<string, number>;
}

export interface CheckReport {
  violations: string[];
  stats: {
    intents: number;
    byStatus: Record<string, number>;
    transactions: number;
    walletBalance: number;
    walletHeld: number;
    alerts: number;
    providerRecords: number;
    orders: number;
  };
  /** Intents approved but not settled yet (allowed unless `settled`). */
  processing: string[];
}

interface IntentRow {
  id: string;
  status: string;
  amount: number;
  source_kind: string;
  funding_source_id: string | null;
  challenge_used_at: string | null;
  decided_by: string | null;
  payee_id: string;
}

const PENDING = new Set(['requires_approval', 'processing']);
const ALLOWED: Record<string, string[]> = {
  requires_approval: ['processing', 'denied', 'expired', 'canceled'],
  processing: ['succeeded', 'failed'],
};
const PAYMENT_KINDS = "('payment', 'topup', 'withdrawal')";

/** What an intent takes out of the household wallet, and so holds (src/payments/intents.ts walletDebit). */
function walletDebit(intent: IntentRow): number {
  if (intent.source_kind === 'topup') return 0;
  if (intent.source_kind === 'withdrawal') return intent.amount;
  return intent.funding_source_id ? 0 : intent.amount;
}

export function checkDatabase(file: string, options: CheckOptions = {}): CheckReport {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    // One read transaction: a consistent snapshot even while a live hub keeps writing.
    return db.transaction(() => check(db, options))();
  } finally {
    db.close();
  }
}

function check(db: Database.Database, options: CheckOptions): CheckReport {
  const violations: string[] = [];
  const fail = (message: string) => {
    if (violations.length < 50) violations.push(message);
  };
  const all = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[];

  const integrity = db.pragma('quick_check', { simple: true });
  if (integrity !== 'ok') fail(`sqlite quick_check: ${String(integrity)}`);

  // --- The ledger: every transaction has two postings or more and sums to zero, exactly.
  const unbalanced = db
    .prepare(
      `SELECT t.id, COUNT(p.id) AS n, COALESCE(SUM(p.amount), 0) AS total FROM ledger_transactions t
       LEFT JOIN ledger_postings p ON p.transaction_id = t.id GROUP BY t.id HAVING n < 2 OR total != 0`,
    )
    .safeIntegers(true)
    .all() as Array<{ id: string; n: bigint; total: bigint }>;
  for (const row of unbalanced) fail(`transaction ${row.id}: ${row.n} postings summing to ${row.total}`);
  const grand = db
    .prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_postings')
    .safeIntegers(true)
    .get() as { total: bigint };
  if (grand.total !== 0n) fail(`all postings together sum to ${grand.total}, not 0`);

  // --- Every account's running balance (kept by a trigger, migration 9) equals its postings.
  const hasBalanceColumn = all<{ name: string }>('PRAGMA table_info(ledger_accounts)').some(
    (column) => column.name === 'balance',
  );
  if (hasBalanceColumn) {
    const drifted = all<{ id: string; stored: number; summed: number }>(
      `SELECT a.id, a.balance AS stored,
         (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE account_id = a.id) AS summed
       FROM ledger_accounts a`,
    ).filter((account) => account.stored !== account.summed);
    for (const account of drifted)
      fail(
        `account ${account.id} says its balance is ${account.stored}, its postings sum to ${account.summed}`,
      );
  }

  // --- Accounts that may not go negative (the wallet, savings goals): never below zero, also
  // counting pending holds.
  const accounts = all<{ id: string; balance: number; held: number }>(
    `SELECT a.id,
       (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE account_id = a.id) AS balance,
       (SELECT COALESCE(SUM(amount), 0) FROM ledger_holds WHERE account_id = a.id AND status = 'pending') AS held
     FROM ledger_accounts a WHERE a.may_go_negative = 0`,
  );
  for (const account of accounts) {
    if (account.balance < 0) fail(`account ${account.id} is below zero: ${account.balance}`);
    if (account.balance - account.held < 0)
      fail(`account ${account.id} holds ${account.held} of a balance of ${account.balance}`);
  }
  const wallet = accounts.find((account) => account.id === 'wallet') ?? { balance: 0, held: 0 };

  // --- Intents, their payments, holds and the provider's books.
  const intents = all<IntentRow>(
    `SELECT id, status, amount, source_kind, funding_source_id, challenge_used_at, decided_by, payee_id
     FROM intents`,
  );
  const payments = new Map<string, Array<{ id: string; kind: string; credited: number }>>();
  for (const row of all<{ id: string; intent_id: string; kind: string; credited: number }>(
    `SELECT t.id, t.intent_id, t.kind,
       (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE transaction_id = t.id AND amount > 0) AS credited
     FROM ledger_transactions t WHERE t.intent_id IS NOT NULL AND t.kind IN ${PAYMENT_KINDS}`,
  )) {
    const list = payments.get(row.intent_id) ?? [];
    list.push(row);
    payments.set(row.intent_id, list);
  }
  const holds = new Map<string, Array<{ account_id: string; amount: number; status: string }>>();
  for (const row of all<{ intent_id: string; account_id: string; amount: number; status: string }>(
    'SELECT intent_id, account_id, amount, status FROM ledger_holds',
  )) {
    const list = holds.get(row.intent_id) ?? [];
    list.push(row);
    holds.set(row.intent_id, list);
  }
  const provider = new Map<string, { operation: string; amount: number; outcome: string }>();
  for (const row of all<{ idempotency_key: string; operation: string; amount: number; outcome: string }>(
    'SELECT idempotency_key, operation, amount, outcome FROM sandbox_provider_requests',
  )) {
    provider.set(row.idempotency_key, row);
  }
  const events = new Map<string, Array<{ from_status: string | null; to_status: string }>>();
  for (const row of all<{ intent_id: string; from_status: string | null; to_status: string }>(
    'SELECT intent_id, from_status, to_status FROM intent_events ORDER BY id',
  )) {
    const list = events.get(row.intent_id) ?? [];
    list.push(row);
    events.set(row.intent_id, list);
  }

  const byStatus: Record<string, number> = {};
  const processing: string[] = [];
  let pendingDebits = 0;
  const intentIds = new Set<string>();
  for (const intent of intents) {
    intentIds.add(intent.id);
    byStatus[intent.status] = (byStatus[intent.status] ?? 0) + 1;
    const name = `intent ${intent.id} (${intent.source_kind}, ${intent.status})`;

    // Its history: created in requires_approval, every step allowed, ending where the row is.
    const history = events.get(intent.id) ?? [];
    const first = history[0];
    if (!first || first.from_status !== null || first.to_status !== 'requires_approval') {
      fail(`${name}: history does not start with its creation`);
    }
    for (let i = 1; i < history.length; i++) {
      const step = history[i] as { from_status: string | null; to_status: string };
      const before = history[i - 1] as { to_status: string };
      if (step.from_status !== before.to_status || !ALLOWED[before.to_status]?.includes(step.to_status)) {
        fail(`${name}: step ${step.from_status} -> ${step.to_status} after ${before.to_status}`);
      }
    }
    if (history.at(-1)?.to_status !== intent.status) {
      fail(`${name}: history ends in ${history.at(-1)?.to_status}`);
    }
    const approved = history.some((step) => step.to_status === 'processing');

    // Approved means decided by a phone, once; approved is never lost.
    if (approved) {
      if (!['processing', 'succeeded', 'failed'].includes(intent.status))
        fail(`${name}: approved, then lost`);
      if (!intent.challenge_used_at || !intent.decided_by) fail(`${name}: approved without a used challenge`);
    }
    if (intent.status === 'processing') {
      processing.push(intent.id);
      if (options.settled) fail(`${name}: approved but never settled`);
    }

    // Paid at most once, and only when it succeeded, for exactly its amount.
    const paid = payments.get(intent.id) ?? [];
    if (paid.length > 1) fail(`${name}: ${paid.length} payment transactions`);
    if (intent.status === 'succeeded') {
      if (paid.length !== 1) fail(`${name}: succeeded with ${paid.length} payment transactions`);
      else if (paid[0]?.credited !== intent.amount)
        fail(`${name}: amount ${intent.amount} but its transaction moved ${paid[0]?.credited}`);
    } else if (paid.length > 0) {
      fail(`${name}: has a payment transaction`);
    }

    // The bank's side agrees: no request without an approval, never money moved for an intent the
    // hub calls failed, never a succeeded intent the bank does not know.
    const record = provider.get(intent.id);
    if (record) {
      if (!approved) fail(`${name}: sent to the provider without an approval`);
      if (record.amount !== intent.amount)
        fail(`${name}: the provider moved ${record.amount}, the intent says ${intent.amount}`);
      if (record.outcome === 'succeeded' && intent.status === 'failed')
        fail(`${name}: the provider paid it, the hub says failed`);
      if (record.outcome === 'declined' && intent.status === 'succeeded')
        fail(`${name}: the provider declined it, the hub says succeeded`);
    }
    if (intent.status === 'succeeded' && record?.outcome !== 'succeeded')
      fail(`${name}: succeeded but the provider has ${record ? record.outcome : 'no record'}`);
    if (intent.status === 'failed' && record?.outcome !== 'declined')
      fail(`${name}: failed but the provider has ${record ? record.outcome : 'no record'}`);

    // Holds: exactly the wallet-funded intents hold their amount, pending while the intent is.
    const debit = walletDebit(intent);
    const held = holds.get(intent.id) ?? [];
    if (debit === 0) {
      if (held.length > 0) fail(`${name}: holds money it does not take from the wallet`);
    } else if (held.length !== 1) {
      fail(`${name}: ${held.length} holds`);
    } else {
      const hold = held[0] as { account_id: string; amount: number; status: string };
      const expected = PENDING.has(intent.status)
        ? 'pending'
        : intent.status === 'succeeded'
          ? 'posted'
          : 'voided';
      if (hold.status !== expected) fail(`${name}: hold is ${hold.status}, expected ${expected}`);
      if (hold.amount !== debit || hold.account_id !== 'wallet')
        fail(`${name}: hold of ${hold.amount} on ${hold.account_id} for a debit of ${debit}`);
      if (PENDING.has(intent.status)) pendingDebits += debit;
    }
  }
  if (pendingDebits !== wallet.held)
    fail(`the wallet holds ${wallet.held} but pending intents reserve ${pendingDebits}`);
  for (const [key, record] of provider) {
    if (!intentIds.has(key)) fail(`provider record ${key} (${record.operation}) names no intent`);
  }
  for (const intentId of payments.keys()) {
    if (!intentIds.has(intentId)) fail(`payment for unknown intent ${intentId}`);
  }

  // --- Voice orders: one intent per merchant for the same words in the same session.
  const orders = all<{
    device_id: string;
    session_id: string;
    utterance: string;
    payee_id: string;
    n: number;
  }>(
    `SELECT o.device_id, o.session_id, o.utterance, i.payee_id, COUNT(*) AS n FROM orders o
     JOIN intents i ON i.id = o.intent_id GROUP BY o.device_id, o.session_id, o.utterance, i.payee_id`,
  );
  for (const order of orders) {
    if (order.n > 1)
      fail(`session ${order.session_id} on ${order.device_id}: ${order.n} intents for the same words`);
  }
  const orderCount = (db.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n;
  for (const row of all<{ id: string; amount: number; intent_amount: number | null }>(
    'SELECT o.id, o.amount, i.amount AS intent_amount FROM orders o LEFT JOIN intents i ON i.id = o.intent_id',
  )) {
    if (row.intent_amount !== row.amount) fail(`order ${row.id}: ${row.amount}, intent ${row.intent_amount}`);
  }

  // --- Points: never below zero; earned only for what succeeded.
  const points = (
    db.prepare('SELECT COALESCE(SUM(points), 0) AS total FROM points_entries').get() as {
      total: number;
    }
  ).total;
  if (points < 0) fail(`points balance ${points} is below zero`);
  for (const row of all<{ intent_id: string; status: string | null }>(
    `SELECT p.intent_id, i.status FROM points_entries p LEFT JOIN intents i ON i.id = p.intent_id
     WHERE p.kind = 'earned'`,
  )) {
    if (row.status !== 'succeeded') fail(`points earned for intent ${row.intent_id}, which is ${row.status}`);
  }

  // --- Limited offers: never oversold; a claim follows its intent.
  for (const [offerId, limit] of Object.entries(options.offerLimits ?? {})) {
    const taken = (
      db
        .prepare(
          "SELECT COALESCE(SUM(quantity), 0) AS n FROM offer_claims WHERE offer_id = ? AND status != 'released'",
        )
        .get(offerId) as { n: number }
    ).n;
    if (taken > limit) fail(`offer ${offerId}: ${taken} units taken of ${limit}`);
  }
  for (const row of all<{ id: string; status: string; intent_status: string | null }>(
    `SELECT c.id, c.status, i.status AS intent_status FROM offer_claims c JOIN intents i ON i.id = c.intent_id`,
  )) {
    const ok =
      row.status === 'used'
        ? row.intent_status === 'succeeded'
        : row.status === 'held'
          ? PENDING.has(row.intent_status ?? '')
          : row.status === 'released'
            ? row.intent_status !== 'succeeded'
            : false;
    if (!ok) fail(`offer claim ${row.id} is ${row.status} for an intent that is ${row.intent_status}`);
  }

  // --- Energy: the home is the sum of its devices, and a rule fires once per crossing.
  for (const row of all<{ period: string; start: string; home: number; devices: number }>(
    `SELECT h.period, h.start, h.energy_mwh AS home,
       (SELECT COALESCE(SUM(d.energy_mwh), 0) FROM energy_totals d
        WHERE d.period = h.period AND d.start = h.start AND d.scope != 'home') AS devices
     FROM energy_totals h WHERE h.scope = 'home'`,
  )) {
    if (row.home !== row.devices)
      fail(`energy ${row.period} ${row.start}: home ${row.home} mWh, devices ${row.devices} mWh`);
  }
  const alertCount = checkAlerts(db, options, fail);

  return {
    violations,
    processing,
    stats: {
      intents: intents.length,
      byStatus,
      transactions: (db.prepare('SELECT COUNT(*) AS n FROM ledger_transactions').get() as { n: number }).n,
      walletBalance: wallet.balance,
      walletHeld: wallet.held,
      alerts: alertCount,
      providerRecords: provider.size,
      orders: orderCount,
    },
  };
}

/** Each energy or spend rule has exactly one alert for each period its scope crossed it in. */
function checkAlerts(db: Database.Database, options: CheckOptions, fail: (message: string) => void): number {
  const alerts = db
    .prepare('SELECT id, rule_id, period_start, crossing, action, intent_id, intent_error FROM energy_alerts')
    .all() as Array<{
    id: string;
    rule_id: string;
    period_start: string;
    crossing: string;
    action: string;
    intent_id: string | null;
    intent_error: string | null;
  }>;
  const seen = new Set<string>();
  for (const alert of alerts) {
    const key = `${alert.rule_id}|${alert.period_start}|${alert.crossing}`;
    if (seen.has(key)) fail(`rule ${alert.rule_id} fired twice for ${alert.period_start} ${alert.crossing}`);
    seen.add(key);
    const action = JSON.parse(alert.action) as { kind: string };
    if (action.kind !== 'intent') continue;
    if (alert.intent_id) {
      const keyed = db
        .prepare("SELECT intent_id FROM idempotency_keys WHERE scope = 'energy-rule' AND key = ?")
        .get(alert.id) as { intent_id: string } | undefined;
      if (keyed?.intent_id !== alert.intent_id)
        fail(`alert ${alert.id}: intent ${alert.intent_id}, idempotency key says ${keyed?.intent_id}`);
    } else if (options.recovered && !alert.intent_error) {
      fail(`alert ${alert.id}: its rule's intent was never asked for`);
    }
  }
  const rules = db
    .prepare(
      "SELECT id, device_id, period, metric, threshold FROM energy_rules WHERE metric IN ('energy', 'spend')",
    )
    .all() as Array<{
    id: string;
    device_id: string | null;
    period: string;
    metric: string;
    threshold: number;
  }>;
  for (const rule of rules) {
    const totals = db
      .prepare('SELECT start, energy_mwh, cost FROM energy_totals WHERE scope = ? AND period = ?')
      .safeIntegers(true)
      .all(rule.device_id ?? 'home', rule.period) as Array<{
      start: string;
      energy_mwh: bigint;
      cost: bigint;
    }>;
    for (const total of totals) {
      const crossed =
        rule.metric === 'energy'
          ? total.energy_mwh >= BigInt(rule.threshold) * 1000n
          : total.cost >= BigInt(rule.threshold) * 10n ** 10n;
      const fired = seen.has(`${rule.id}|${total.start}|`);
      if (fired && !crossed) fail(`rule ${rule.id} fired for ${total.start} without crossing`);
      if (crossed && !fired && options.rulesPrecedeReadings)
        fail(`rule ${rule.id} crossed for ${rule.period} ${total.start} without an alert`);
    }
  }
  return alerts.length;
}
