-- Fortnox's documents as the sink or the mirror last saw them. Params: shop
SELECT kind, number, document FROM ledger.fortnox_documents WHERE shop = ?
