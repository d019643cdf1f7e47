import type { FundingSources } from '../wallet/funding-sources.js';

/**
 * What payments need to know of a funding source, handed in by the composition root so that
 * payments does not reach into the wallet's tables.
 */
export interface FundingSourceView {
  id: string;
  kind: 'debit_card' | 'credit_card' | 'alipay' | 'wechat_pay';
  status: 'active' | 'frozen' | 'removed';
  /** For payees and ledger account names: "招商银行 ****1234", "Alipay 138****5678". */
  label: string;
}

export interface FundingSourceLookup {
  find(id: string): FundingSourceView | undefined;
  /** The provider's token for the source; it never leaves payments. */
  providerToken(id: string): string;
}

/** The payment core's view of the wallet's funding sources. */
export function fundingSourceLookup(sources: FundingSources): FundingSourceLookup {
  return {
    find(id) {
      const source = sources.get(id);
      if (!source) return undefined;
      const label = source.last4
        ? `${source.bank?.name ?? source.kind} ****${source.last4}`
        : `${source.kind === 'alipay' ? 'Alipay' : 'WeChat Pay'} ${source.account ?? ''}`.trim();
      return { id: source.id, kind: source.kind, status: source.status, label };
    },
    providerToken: (id) => sources.tokenFor(id),
  };
}
