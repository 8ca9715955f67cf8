/**
 * A billing payout against the ERP deposit that should book it. The payout is the net of its
 * balance transactions (charges and adjustments in, refunds out, fees out); the deposit books
 * each transaction's gross amount on a line and all fees on one fee line. Anything that does
 * not tie is shown as a labelled residual, never hidden.
 */

/** One balance transaction paid out (amounts in minor units). */
export interface PayoutTransaction {
  id: string;
  /** `charge | refund | adjustment | fee` (a `fee` transaction is a standalone fee, negative). */
  type: 'charge' | 'refund' | 'adjustment' | 'fee';
  /** Gross amount, signed: charges positive, refunds negative. */
  amount: number;
  /** Processing fee withheld on it (positive), 0 when none. */
  fee: number;
  /** The charge or refund it settles, which the ERP line may name instead of the transaction id. */
  sourceId?: string;
}

/** A payout to the bank with the balance transactions it settles. */
export interface BillingPayout {
  id: string;
  currency: string;
  /** Net amount paid to the bank. */
  amount: number;
  transactions: readonly PayoutTransaction[];
}

/** A line of the ERP deposit: one settled transaction's gross amount. */
export interface ErpDepositLine {
  /** The balance transaction's id or its source id (charge, refund). */
  reference: string;
  amount: number;
}

/** An ERP bank deposit. */
export interface ErpDeposit {
  id: string;
  currency: string;
  /** The deposit total as the ERP holds it. */
  total: number;
  lines: readonly ErpDepositLine[];
  /** The fee line booked to the fee account, signed as booked (negative: it reduces the deposit). */
  fee: number;
}

export type PayoutCheck =
  | { status: 'matched'; payoutId: string; depositId: string; currency: string; amount: number }
  | {
      status: 'residual';
      class: 'payout_residual';
      payoutId: string;
      depositId: string;
      currency: string;
      payoutAmount: number;
      depositAmount: number;
      /** Payout minus deposit: the amount nothing explains (minor units). */
      residual: number;
      /** Balance transactions with no deposit line (or a line of another amount). */
      missingTransactions: { id: string; type: PayoutTransaction['type']; amount: number }[];
      /** Deposit lines no transaction of the payout explains. */
      unexpectedLines: ErpDepositLine[];
      /** Fees withheld minus fees booked (as a positive amount). */
      feeDifference: number;
      message: string;
    };

/**
 * Checks a payout against its deposit: every charge, refund and adjustment on a line of equal
 * amount, the fees on the fee line, the deposit total equal to the payout (within `tolerance`
 * minor units of residual, default 0).
 */
export function checkPayout(
  payout: BillingPayout,
  deposit: ErpDeposit,
  options: { tolerance?: number } = {},
): PayoutCheck {
  const tolerance = options.tolerance ?? 0;
  const currency = payout.currency.toUpperCase();
  const lines = new Map<string, ErpDepositLine[]>();
  for (const line of deposit.lines) {
    const list = lines.get(line.reference);
    if (list) list.push(line);
    else lines.set(line.reference, [line]);
  }
  const take = (reference: string | undefined, amount: number): boolean => {
    if (reference === undefined) return false;
    const list = lines.get(reference);
    const at = list?.findIndex((l) => l.amount === amount) ?? -1;
    if (at < 0) return false;
    list!.splice(at, 1);
    return true;
  };

  const missingTransactions: {
    id: string;
    type: PayoutTransaction['type'];
    amount: number;
  }[] = [];
  let feesWithheld = 0;
  for (const t of payout.transactions) {
    feesWithheld += t.fee;
    if (t.type === 'fee') {
      feesWithheld -= t.amount; // a standalone fee is a negative transaction
      continue;
    }
    if (t.amount === 0) continue;
    if (!take(t.id, t.amount) && !take(t.sourceId, t.amount))
      missingTransactions.push({ id: t.id, type: t.type, amount: t.amount });
  }
  const unexpectedLines = [...lines.values()].flat();
  const feeDifference = feesWithheld + deposit.fee;
  const residual = payout.amount - deposit.total;
  const sameCurrency = deposit.currency.toUpperCase() === currency;

  if (
    sameCurrency &&
    Math.abs(residual) <= tolerance &&
    missingTransactions.length === 0 &&
    unexpectedLines.length === 0 &&
    feeDifference === 0
  )
    return {
      status: 'matched',
      payoutId: payout.id,
      depositId: deposit.id,
      currency,
      amount: payout.amount,
    };
  const parts = [
    !sameCurrency && `deposit in ${deposit.currency.toUpperCase()}, payout in ${currency}`,
    residual !== 0 && `${residual} unexplained (payout ${payout.amount}, deposit ${deposit.total})`,
    missingTransactions.length > 0 &&
      `not in the deposit: ${missingTransactions.map((t) => `${t.type} ${t.id}`).join(', ')}`,
    unexpectedLines.length > 0 &&
      `deposit lines no transaction explains: ${unexpectedLines.map((l) => l.reference).join(', ')}`,
    feeDifference !== 0 && `fees withheld ${feesWithheld}, booked ${-deposit.fee}`,
  ].filter((p): p is string => typeof p === 'string');
  return {
    status: 'residual',
    class: 'payout_residual',
    payoutId: payout.id,
    depositId: deposit.id,
    currency,
    payoutAmount: payout.amount,
    depositAmount: deposit.total,
    residual,
    missingTransactions,
    unexpectedLines,
    feeDifference,
    message: parts.join('; '),
  };
}
