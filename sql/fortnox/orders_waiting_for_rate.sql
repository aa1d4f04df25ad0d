-- How many orders of the shop wait for an exchange rate (deltas.invoice_exclusions, no_rate_for_date): the
-- preflight reads Fortnox's currency register for them. Params: shop
SELECT count(*) FROM deltas.invoice_exclusions WHERE shop = $shop AND reason = 'no_rate_for_date'
