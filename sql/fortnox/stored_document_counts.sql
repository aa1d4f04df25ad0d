-- How many Fortnox documents of each kind are stored. Params: shop
SELECT kind, count(*) FROM ledger.fortnox_documents WHERE shop = ? GROUP BY ALL
