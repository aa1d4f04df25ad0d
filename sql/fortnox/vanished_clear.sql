-- Vanished orders that are back in the shop (or credited) leave the list. Params: shop, order ids still vanished
DELETE FROM ledger.vanished_orders WHERE shop = ? AND NOT list_contains(?, order_id)
