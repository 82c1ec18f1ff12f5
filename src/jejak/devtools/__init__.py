"""Tools for developers, not the product: the benchmarks (`jejak bench-checkins`,
`bench-trace`, `bench-posters`, run by `make bench*`) and the data they generate.

Nothing in the product imports this package; production leaves it out of
INSTALLED_APPS with JEJAK_DEVTOOLS=false (docs/configuration.md).
"""
