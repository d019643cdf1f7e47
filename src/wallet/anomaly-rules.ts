import type { Clock } from '../clock.js';
import { yuan } from '../money.js';
import type { Intent, IntentAnomaly } from '../payments/intent.js';
import { type Db, prepared } from '../store/database.js';
import { localTime } from '../time/zoned-time.js';
import { categoryName } from './categories.js';

export interface AnomalySettings {
  amountSpike: { enabled: boolean; multiple: number; minHistory: number; lookbackDays: number };
  burst: { enabled: boolean; maxIntents: number; windowMinutes: number };
  newPayeeAtNight: { enabled: boolean; from: string; to: string };
}

interface Finding {
  rule: string;
  en: string;
  zh: string;
}

/** Top-ups move the household's own money in; they are never unusual. */
const ASSESSED = (intent: Intent) => intent.source.kind !== 'topup';

/**
 * What makes an intent unusual for this household (SPEC "Anomaly holds"), each rule from config:
 * an amount far above the category's history, many intents in a short time, a first payment to a
 * payee at night. A marked intent carries the explanation to the phone and needs the biometric
 * step whatever its amount. Read-only: runs inside the creating transaction before the row exists.
 */
export class AnomalyRules {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: AnomalySettings,
    private readonly timeZone: string,
  ) {}

  assess(intent: Intent): IntentAnomaly | undefined {
    if (!ASSESSED(intent)) return undefined;
    const findings = [this.amountSpike(intent), this.burst(), this.newPayeeAtNight(intent)].filter(
      (finding): finding is Finding => finding !== undefined,
    );
    if (findings.length === 0) return undefined;
    return {
      rules: findings.map((f) => f.rule),
      explanation: findings.map((f) => f.en).join('; '),
      explanationZh: findings.map((f) => f.zh).join('；'),
    };
  }

  private amountSpike(intent: Intent): Finding | undefined {
    const rule = this.settings.amountSpike;
    if (!rule.enabled || !intent.category) return undefined;
    const since = new Date(this.clock.now() - rule.lookbackDays * 86_400_000).toISOString();
    const history = prepared(
      this.db,
      `SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM intents
         WHERE status = 'succeeded' AND created_at >= ? AND json_extract(details, '$.category') = ?
           AND source_kind NOT IN ('topup', 'withdrawal')`,
    ).get(since, intent.category) as { n: number; total: number };
    if (history.n < rule.minHistory) return undefined;
    // amount > multiple * (total / n), in integers: amount * n * 100 > multiple% * total.
    const multiplePercent = Math.round(rule.multiple * 100);
    if (intent.amount * history.n * 100 <= multiplePercent * history.total) return undefined;
    const average = Math.floor(history.total / history.n);
    const name = categoryName(intent.category);
    return {
      rule: 'amount_spike',
      en: `¥${yuan(intent.amount)} is more than ${rule.multiple}× this household's average ${name.en} payment (¥${yuan(average)})`,
      zh: `¥${yuan(intent.amount)} 超过本家庭${name.zh}类平均支付（¥${yuan(average)}）的${rule.multiple}倍`,
    };
  }

  private burst(): Finding | undefined {
    const rule = this.settings.burst;
    if (!rule.enabled) return undefined;
    const since = new Date(this.clock.now() - rule.windowMinutes * 60_000).toISOString();
    const row = prepared(
      this.db,
      "SELECT COUNT(*) AS n FROM intents WHERE created_at >= ? AND source_kind != 'topup'",
    ).get(since) as { n: number };
    if (row.n < rule.maxIntents) return undefined;
    return {
      rule: 'burst',
      en: `${row.n} other payment requests in the last ${rule.windowMinutes} minutes`,
      zh: `过去${rule.windowMinutes}分钟内已有${row.n}笔其他支付请求`,
    };
  }

  private newPayeeAtNight(intent: Intent): Finding | undefined {
    const rule = this.settings.newPayeeAtNight;
    if (!rule.enabled || intent.source.kind === 'withdrawal') return undefined;
    const local = localTime(this.clock.now(), this.timeZone);
    const minute = local.hour * 60 + local.minute;
    if (!inWindow(minute, toMinutes(rule.from), toMinutes(rule.to))) return undefined;
    const paidBefore = prepared(
      this.db,
      "SELECT 1 FROM intents WHERE payee_id = ? AND status = 'succeeded' LIMIT 1",
    ).get(intent.payee.id);
    if (paidBefore) return undefined;
    const time = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
    return {
      rule: 'new_payee_at_night',
      en: `first payment to ${intent.payee.name}, at ${time} at night`,
      zh: `深夜${time}首次向${intent.payee.name}付款`,
    };
  }
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** `[from, to)` on a 24-hour clock; a window past midnight (23:00-06:00) wraps. */
function inWindow(minute: number, from: number, to: number): boolean {
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}
