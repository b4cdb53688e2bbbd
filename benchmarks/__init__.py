"""Mailseal's benchmarks: each number against a baseline measured in the same run (`./scripts/bench`).

The machines these run on are shared and noisy, so every line carries a ratio to something this
machine did a moment ago, not only an absolute number. The benchmarks live apart from the tests: the
test suite makes no timed assertions.
"""
