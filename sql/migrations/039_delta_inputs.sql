-- What the order deltas were last built from (issue #16 item 2, woofort_assets/defs/deltas/scope.py): a digest of
-- each order's inputs (its staged rows, refunds and ledger documents) with its customer number, a digest per
-- customer (its ledger row and staged profile), and per shop the digest of everything shared (mapping, articles,
-- tax and currency rates, VIES answers, the delta code) with which the tables were complete. A build prices only
-- the orders whose digest changed, and the orders a touched customer's card is made from (invoiceable,
-- has_vat_number, date_created: as the order was last priced); a changed shared digest, or a build that did not
-- finish (no row in delta_builds), prices every order.
CREATE TABLE deltas.order_inputs (shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, customer_number VARCHAR,
                                  digest UBIGINT NOT NULL, invoiceable BOOLEAN NOT NULL,
                                  has_vat_number BOOLEAN NOT NULL, date_created TIMESTAMP NOT NULL);
CREATE TABLE deltas.customer_inputs (shop VARCHAR NOT NULL, customer_number VARCHAR NOT NULL, digest UBIGINT NOT NULL);
CREATE TABLE deltas.delta_builds (shop VARCHAR NOT NULL, shared_digest VARCHAR NOT NULL, built_at TIMESTAMPTZ NOT NULL,
                                  orders_priced BIGINT NOT NULL, full_build BOOLEAN NOT NULL);
