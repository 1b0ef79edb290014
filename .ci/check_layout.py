#!/usr/bin/env python
"""The package's layout rules, checked on the exported modules and the notebooks (run by .ci/run).

- no function or method in the package is longer than 80 lines;
- no `#| export` / `#| exporti` cell of a notebook is longer than 50 lines;
- nothing outside a module imports its private (`_`-prefixed) names: not the package, not `bench/`;
- the two methods are siblings: `slots` does not import `train`, nor `train` `slots`;
- the Vietnamese write-up shares at most 30 substantive code lines with the English one.
"""
import ast, json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
pkg, nbs = root/'ai4code_nb', root/'nbs'
MAX_FN, MAX_CELL, MAX_SHARED = 80, 50, 30
problems = []

def modules():
    for p in sorted(pkg.rglob('*.py')):
        if p.name != '_modidx.py': yield p

for p in modules():
    tree = ast.parse(p.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > MAX_FN: problems.append(f"{p.relative_to(root)}:{node.lineno}: {node.name} is {n} lines (at most {MAX_FN})")

def private_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('ai4code_nb')):
            for a in node.names:
                if a.name.startswith('_') and not a.name.startswith('__'):
                    yield node.lineno, f"{'.' * node.level}{node.module or ''}", a.name

for p in [*modules(), *sorted((root/'bench').glob('*.py'))]:
    for ln, mod, name in private_imports(p):
        problems.append(f"{p.relative_to(root)}:{ln}: imports private {name} from {mod}")

def imports_of(name):
    f = pkg/f'{name}.py'
    if not f.exists(): return set()
    out = set()
    for node in ast.walk(ast.parse(f.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level: out.add((node.module or '').split('.')[0])
        if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('ai4code_nb.'): out.add(node.module.split('.')[1])
    return out

for a, b in (('slots', 'train'), ('train', 'slots')):
    if b in imports_of(a): problems.append(f"ai4code_nb/{a}.py imports {b}: the two methods must be siblings")

def cells(nb):
    return [(i, c) for i, c in enumerate(json.loads(nb.read_text())['cells']) if c['cell_type'] == 'code']

for nb in sorted(nbs.glob('*.ipynb')):
    for i, c in cells(nb):
        src = ''.join(c['source']).splitlines()
        if src and re.match(r'#\|\s*export', src[0]) and len(src) > MAX_CELL:
            problems.append(f"nbs/{nb.name}: cell {i} is an export cell of {len(src)} lines (at most {MAX_CELL})")

def substantive(nb):
    out = []
    for _, c in cells(nb):
        for line in ''.join(c['source']).splitlines():
            s = line.strip()
            if not s or s.startswith('#') or len(re.sub(r'\W', '', s)) < 3: continue
            out.append(s)
    return out

en, vi = nbs/'12_optimizations_en.ipynb', nbs/'13_optimizations_vi.ipynb'
if en.exists() and vi.exists():
    shared = set(substantive(en))
    n = sum(1 for s in substantive(vi) if s in shared)
    print(f"write-up pages: {n} substantive code lines of the Vietnamese page stand in the English one (at most {MAX_SHARED})")
    if n > MAX_SHARED: problems.append(f"nbs/{vi.name}: {n} substantive code lines copied from {en.name} (at most {MAX_SHARED})")

for p in problems: print(p)
print(f"layout: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
