"""The sink engine: the ledger (exactly-once memory), the write protocol, and `steps.send`, which carries out the
write a document kind declares. docs/fortnox-sink.md describes the protocol; docs/ARCHITECTURE.md walks it."""
