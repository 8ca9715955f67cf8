import { z } from 'zod';
import { secret, setting, url } from '../settings.ts';

/** `connections.erp` for `system: 'netsuite'`. */
export const netsuiteConfigSchema = z.strictObject({
  /** The account id, e.g. `1234567` or `1234567_SB1` for a sandbox. */
  accountId: setting,
  /** Default: `https://<account>.suitetalk.api.netsuite.com`. */
  baseUrl: url.optional(),
  consumerKey: secret,
  consumerSecret: secret,
  tokenId: secret,
  tokenSecret: secret,
  /** External id of the item for lines without a product code. Default `revsync-service`. */
  defaultItem: z.string().min(1).optional(),
  /** Internal id of the income account for items revsync creates. */
  itemIncomeAccount: z.string().min(1).optional(),
  /** Internal id of the bank account payouts are deposited to. Default `1` (seeded Checking). */
  depositAccount: z.string().min(1).optional(),
  /** Internal id of the account processing fees are booked to. Default `9`. */
  feeAccount: z.string().min(1).optional(),
  /** Internal id of the account refunds and adjustments in a deposit are booked to. Default `3` (Undeposited Funds). */
  clearingAccount: z.string().min(1).optional(),
  /** Which change feeds to poll (default both). */
  feeds: z
    .array(z.enum(['customers', 'transactions']))
    .min(1)
    .optional(),
});
