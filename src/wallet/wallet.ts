import { existsSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { Intent } from '../payments/intent.js';
import type { IntentHooks } from '../payments/intent-hooks.js';
import type { Db } from '../store/database.js';
import { AnomalyRules, type AnomalySettings } from './anomaly-rules.js';
import { type BudgetSettings, Budgets } from './budgets.js';
import { assertTimeZone, monthKey } from './calendar.js';
import type { FundingSources } from './funding-sources.js';
import { Goals } from './goals.js';
import { SpendingInsights } from './insights.js';
import type { Ledger, LedgerTransaction } from './ledger.js';
import { loadOffers, type Offer, Offers } from './offers.js';
import { WalletPricing } from './order-pricing.js';
import { Points, type PointsSettings } from './points.js';
import type { OrderLine, OrderPricing, PricedOrder, PricingContext } from './pricing.js';
import { Refunds } from './refunds.js';
import { Reports } from './reports.js';
import { Spending } from './spending.js';
import { type TransactionRecord, TransactionRecords } from './transaction-records.js';

export interface WalletSettings {
  timezone: string;
  offers: string;
  points: PointsSettings;
  budgets: BudgetSettings;
  anomaly: AnomalySettings;
}

/** What a phone is told about the wallet beyond intents: a budget line crossed, a report made. */
export interface WalletAlert {
  kind: 'budget' | 'transaction_reported';
  title: string;
  titleZh: string;
  at: string;
  data: Record<string, unknown>;
}

export interface WalletContext {
  db: Db;
  ledger: Ledger;
  fundingSources: FundingSources;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  settings: WalletSettings;
  /** Offers given in code (tests); otherwise read from `settings.offers`. */
  offers?: Offer[];
  /** The file at the default path may be missing (no offers); a configured one may not. */
  offersOptional?: boolean;
  /** A merchant's spending category, for intents created by the merchant API. */
  merchantCategory?(payeeId: string): string | undefined;
  /** Told inside a refund's transaction (the merchant API queues its webhook). */
  onRefunded?(payment: TransactionRecord, refund: LedgerTransaction): void;
}

/** How often claims on offers that never became an intent are given back. */
const CLAIM_SWEEP_MS = 30_000;

/**
 * The household wallet beyond one payment (issue 7), built by the composition root: points,
 * offers and the order pricing, transaction records, refunds, reports, budgets, goals and
 * insights, plus the hooks the payment core calls at each moment of an intent's life.
 */
export class Wallet {
  readonly points: Points;
  readonly offers: Offers;
  readonly pricing: OrderPricing;
  readonly records: TransactionRecords;
  readonly refunds: Refunds;
  readonly reports: Reports;
  readonly spending: Spending;
  readonly budgets: Budgets;
  readonly goals: Goals;
  readonly insights: SpendingInsights;
  readonly anomalies: AnomalyRules;
  readonly timeZone: string;
  /** Categories of the skus priced lately, for intents whose creator named none. */
  private readonly skuCategories = new Map<string, string>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: WalletContext) {
    const { db, clock, ledger, settings } = ctx;
    assertTimeZone(settings.timezone);
    this.timeZone = settings.timezone;
    this.points = new Points(db, clock, settings.points);
    if (!ctx.offers && !existsSync(settings.offers)) {
      ctx.logger.info({ file: settings.offers }, 'no offers file: no ecosystem offers');
    }
    this.offers = new Offers(
      db,
      clock,
      ctx.offers ?? loadOffers(settings.offers, ctx.offersOptional ?? false),
    );
    const pricing = new WalletPricing(db, clock, this.offers, this.points);
    this.pricing = {
      price: (lines: OrderLine[], context: PricingContext): PricedOrder => {
        for (const line of lines) this.skuCategories.set(line.sku, line.category);
        return pricing.price(lines, context);
      },
    };
    this.records = new TransactionRecords(db, ledger.currency);
    this.refunds = new Refunds({
      db,
      clock,
      ledger,
      points: this.points,
      records: this.records,
      onRefunded: ctx.onRefunded,
    });
    this.reports = new Reports(db, clock, this.records, ctx.fundingSources);
    this.spending = new Spending(db, settings.timezone);
    this.budgets = new Budgets(db, clock, this.spending, settings.budgets);
    this.goals = new Goals(db, clock, ledger, settings.timezone, ctx.logger);
    this.insights = new SpendingInsights(this.spending, clock, settings.timezone);
    this.anomalies = new AnomalyRules(db, clock, settings.anomaly, settings.timezone);
  }

  /** The payment core calls these inside its own transactions (see payments/intent-hooks.ts). */
  readonly hooks: IntentHooks = {
    review: (intent) => {
      const category = intent.category ?? this.categoryOf(intent);
      const anomaly = this.anomalies.assess({ ...intent, category });
      return anomaly ? { category, anomaly } : { category };
    },
    created: (intent) => {
      this.points.redeem(intent);
      for (const discount of intent.discounts ?? []) {
        if (discount.claimId) this.offers.link(discount.claimId, intent.id);
      }
    },
    pointsEarned: (intent) => this.points.earnedFor(intent),
    succeeded: (intent) => {
      this.points.earn(intent);
      this.offers.resolveForIntent(intent.id, 'used');
    },
    ended: (intent) => {
      this.points.restore(intent.id, `Given back: the payment was ${intent.status}`);
      this.offers.resolveForIntent(intent.id, 'released');
    },
  };

  /** After a payment succeeded (and committed): budget alerts, then the round-up rule. */
  start(): void {
    this.ctx.events.on(this, 'intent.changed', ({ intent }) => {
      if (intent.status !== 'succeeded') return;
      this.afterPayment(intent);
    });
    this.offers.releaseUnlinked();
    this.sweeper = setInterval(() => {
      try {
        this.offers.releaseUnlinked();
      } catch (err) {
        this.ctx.logger.warn({ err: (err as Error).message }, 'could not release unlinked offer claims');
      }
    }, CLAIM_SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.ctx.events.removeAllOf(this);
  }

  /** The offers with the units left of each (null: unlimited) and whether they are on now. */
  offerList(): Array<Offer & { remaining: number | null; active: boolean }> {
    const now = this.ctx.clock.now();
    return this.offers.all.map((offer) => {
      const remaining = this.offers.remaining(offer);
      const active =
        (!offer.starts || now >= Date.parse(offer.starts)) && (!offer.ends || now < Date.parse(offer.ends));
      return { ...offer, remaining: Number.isFinite(remaining) ? remaining : null, active };
    });
  }

  /** `YYYY-MM` now, in the household's zone. */
  currentMonth(): string {
    return monthKey(this.ctx.clock.now(), this.timeZone);
  }

  /** Reports a transaction as suspicious (freezing its source) and tells the phones. */
  report(transactionId: string, reason: string, reportedBy: string) {
    const report = this.reports.report(transactionId, reason, reportedBy);
    this.alert({
      kind: 'transaction_reported',
      title: `Transaction ${transactionId} reported as suspicious${report.fundingSource ? '; its funding source is frozen' : ''}`,
      titleZh: `交易 ${transactionId} 已被举报为可疑${report.fundingSource ? '，相关资金来源已冻结' : ''}`,
      at: report.reportedAt,
      data: { transactionId, fundingSourceId: report.fundingSource?.id ?? null },
    });
    return report;
  }

  /** Sends the budget alerts a category's spending has newly reached in `month`. */
  checkBudget(category: string, month: string): void {
    const at = new Date(this.ctx.clock.now()).toISOString();
    for (const alert of this.budgets.check(category, month)) {
      this.alert({ kind: 'budget', title: alert.title, titleZh: alert.titleZh, at, data: { ...alert } });
    }
  }

  private afterPayment(intent: Intent): void {
    if (intent.category)
      this.checkBudget(intent.category, monthKey(Date.parse(intent.updatedAt), this.timeZone));
    this.goals.roundUp(intent);
  }

  private alert(alert: WalletAlert): void {
    this.ctx.events.emit('wallet.alert', alert);
  }

  private categoryOf(intent: Intent): string {
    const kind = intent.source.kind;
    if (kind === 'energy') return 'energy';
    if (kind === 'topup' || kind === 'withdrawal') return 'transfer';
    for (const item of intent.items ?? []) {
      const category = this.skuCategories.get(item.sku);
      if (category) return category;
    }
    return this.ctx.merchantCategory?.(intent.payee.id) ?? 'other';
  }
}
