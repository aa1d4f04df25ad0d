"""woofort benchmarks (`python -m bench [b1|b2|b3] [--quick]`, or `make bench`).

Not part of the test suite (pytest's testpaths is tests/). Each benchmark runs its measured sides in child
processes so that peak resident memory (ru_maxrss) belongs to the work measured, not to the harness.
Results go to bench/results.json (merged per benchmark) and bench/results.md (rendered from the JSON)."""
