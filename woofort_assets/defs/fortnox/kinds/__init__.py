"""Document kinds: what each Fortnox document is made of and how it is found again; the engine does the rest."""
