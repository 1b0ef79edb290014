#!/usr/bin/env python
"""How much faster the default method's CPU embedding could get without changing its numbers (issue 14's 1.3x).

    python bench/embed_ceiling.py [DATA_DIR] [--n_cells 1024] [--rounds 3] [--results_json bench/research-results.json]

On the cells `bench_embed` times (the same sample), this measures where `CellEmbedder.encode` spends its time
(the profiler's share of the encoder's matrix products, `aten::addmm`), how many of the tokens it computes are
padding, and the rate at which this machine's BLAS runs the encoder's own matrix shapes and a large square one.
From these, two ceilings on any float32 change of the pipeline (same weights, same math):
- `ceiling_linear_at_blas_rate`: each of the encoder's matrix products on the real tokens only, at the rate the BLAS
  reaches for its shape, and everything else as measured;
- `ceiling_linear_only_at_peak`: the matrix products on the real tokens alone, at the best rate measured (any of
  those shapes or the large square one), and nothing else at all (attention, GELU, layer norms free): no float32 pipeline can beat it.
Both are speedups over today's `encode`, the median of rounds that time the encoder and the BLAS in turn; the row-wise path it replaced is within a few percent of it on this CPU.
"""
import argparse, json, os, platform, shutil, statistics, sys, time
from pathlib import Path
import numpy as np, torch

def addmm_rate(m, k, n, reps=20) -> float:
    "GFLOP/s of `torch.addmm` at (m, k) x (k, n), float32, the median of `reps` calls after a warm-up"
    a, b, bias = torch.randn(m, k), torch.randn(k, n), torch.randn(n)
    for _ in range(3): torch.addmm(bias, a, b)
    t = []
    for _ in range(reps):
        s = time.perf_counter(); torch.addmm(bias, a, b); t.append(time.perf_counter() - s)
    return 2 * m * k * n / statistics.median(t) / 1e9

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_dir', nargs='?', default=None)
    p.add_argument('--n_cells', type=int, default=1024); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--results_json', default=None)
    a = p.parse_args(argv)
    from torch.profiler import profile, ProfilerActivity
    from ai4code_nb.bench.data import bench_split
    from ai4code_nb.bench.harness import cpu_model, package_commit
    from ai4code_nb.bench.infer import sample_texts
    from ai4code_nb.data import read_cells_csv, merge_results
    from ai4code_nb.embed import CellEmbedder, DEFAULT_ENCODER, token_batches
    from ai4code_nb.slots import SlotConfig
    work = bench_split(a.data_dir)
    try: cells = read_cells_csv(work/'train.csv')
    finally: shutil.rmtree(work, ignore_errors=True)
    texts = sample_texts(cells, a.n_cells)                              # `bench_embed`'s sample
    emb = CellEmbedder(DEFAULT_ENCODER, SlotConfig().max_length)
    flat, offsets = emb.tokens(texts)
    lengths = np.diff(offsets) + 2                                      # with [CLS] and [SEP], as the encoder reads them
    batches = token_batches(lengths, emb.batch_size, emb.token_budget)
    padded, real = int(sum(len(i) * lengths[i].max() for i in batches)), int(lengths.sum())
    linear = [(n, m) for n, m in emb.encoder.named_modules() if isinstance(m, torch.nn.Linear)]
    flops_per_token = 2 * sum(m.in_features * m.out_features for _, m in linear)
    emb.encode(texts[:128])                                             # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof: emb.encode(texts)
    ev = {e.key: e.self_cpu_time_total for e in prof.key_averages()}
    share = ev.get('aten::addmm', 0) / sum(ev.values())                 # the matrix products' share of the encoder's time
    rows = int(round(padded / len(batches)))                            # tokens of a typical batch
    shapes = sorted({(m.in_features, m.out_features) for _, m in linear})
    seconds, rates, bound_blas, bound_peak = [], [], [], []
    for _ in range(a.rounds):   # the encoder and the BLAS timed in turn, round by round: this machine's load moves both
        s = time.perf_counter(); emb.encode(texts); t = time.perf_counter() - s
        r = {(k, n): addmm_rate(rows, k, n, reps=10) for k, n in shapes} | {'square': addmm_rate(2048, 2048, 2048, reps=5)}
        ideal = sum(2 * m.in_features * m.out_features * real / (r[(m.in_features, m.out_features)] * 1e9) for _, m in linear)
        seconds.append(t); rates.append(r)
        bound_blas.append(t / (t * (1 - share) + ideal))
        bound_peak.append(t / (flops_per_token * real / (max(r.values()) * 1e9)))
    t = statistics.median(seconds)
    med = lambda key: round(statistics.median(x[key] for x in rates), 1)
    rec = {'command': ' '.join(['python', 'bench/embed_ceiling.py'] + (sys.argv[1:] if argv is None else list(argv))),
           'machine': f'{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}', 'commit': package_commit(),
           'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cells': len(texts),
           'real_tokens': real, 'computed_tokens': padded, 'padding_share': round(1 - real / padded, 4),
           'encode_seconds': [round(x, 3) for x in seconds], 'encode_cells_per_s': round(len(texts) / t, 1),
           'addmm_share_of_encoder_time': round(share, 3),
           'encoder_linear_gflops': round(flops_per_token * padded / (t * share) / 1e9, 1),   # on the tokens it computes
           'blas_gflops_at_encoder_shapes': {f'{rows}x{k}x{n}': med((k, n)) for k, n in shapes}, 'blas_gflops_2048_square': med('square'),
           'ceiling_linear_at_blas_rate': round(statistics.median(bound_blas), 3), 'ceiling_linear_only_at_peak': round(statistics.median(bound_peak), 3),
           'ceilings_by_round': {'linear_at_blas_rate': [round(x, 3) for x in bound_blas], 'linear_only_at_peak': [round(x, 3) for x in bound_peak]}}
    print(json.dumps(rec, indent=1))
    if a.results_json: merge_results(a.results_json, f"embed_ceiling: {rec['machine']}", rec)

if __name__ == '__main__': main()
