"""`ai4code_bench`: what each optimization buys, measured side by side; one module per group (nbs/09*_bench*)."""
# Written by hand, not exported. Only the harness is imported here: it imports neither torch nor transformers
# (the preprocessing benchmark measures peak memory in processes that import this package).
from .harness import BENCHES, bench_cli, peak_rss_mb, run_benches, time_alternating
