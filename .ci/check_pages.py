#!/usr/bin/env python
"""Preview pages for the docs check, and the checks on what headless Chromium made of them.

`python .ci/check_pages.py prepare`: from nbdev's processed notebooks in _proc/ (see proc_nbs.py),
write _preview/src/<page>.ipynb for pandoc, doing the little that Quarto would do with them: the
frontmatter becomes the title block, cell options (`#| echo: false`, `output`, `include`) are
applied and removed, links between notebooks point to the preview's .html files. Also writes the
preview's stylesheet and the probe script that Chromium runs in each page (it records every
image's decoded and rendered size in the DOM, and with `#plots-gallery` shows only the images).

`python .ci/check_pages.py check`: after .ci/docs has rendered _preview/<page>.html with pandoc and
Chromium has written <page>.png, <page>-plots.png and <page>.dom.html, check that each page is not
blank, that it has the headings of each technique, and that its plots are real PNG images shown
at a nonzero size. One line per check; exit 1 if any fails.
"""
import base64, io, json, re, sys
from html.parser import HTMLParser
from pathlib import Path
import yaml
from PIL import Image, ImageStat

root = Path(__file__).resolve().parent.parent
proc, out = root/'_proc', root/'_preview'

# page -> (headings that must be there, least number of plots)
PAGES = {
    'index': (['ai4code_nb', 'Documentation'], 0),
    '12_optimizations_en': (['Training fast in little memory', 'Gradient accumulation', 'Automatic mixed precision',
                             '8-bit Adam and AdamW', 'Fast tokenizers', 'All measured figures', 'References'], 5),
    '13_optimizations_vi': (['Huấn luyện nhanh, tốn ít bộ nhớ', 'Gradient accumulation', 'cộng dồn gradient',
                             'Automatic mixed precision', 'độ chính xác hỗn hợp', 'Optimizer 8-bit', 'Fast tokenizer',
                             'Toàn bộ số liệu đo được', 'Tài liệu tham khảo'], 5),
}

STYLE = """<style>
body { max-width: 1100px; font-family: 'DejaVu Sans', sans-serif; }
pre, code { font-family: 'DejaVu Sans Mono', monospace; font-size: 0.85em; }
pre { overflow-x: auto; background: #f6f8fa; padding: 0.6em; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; }
blockquote { color: #555; border-left: 3px solid #ccc; margin-left: 0; padding-left: 1em; }
</style>
"""

PROBE = """<script>
(function () {
  function probe() {
    document.querySelectorAll('img').forEach(function (img) {
      var r = img.getBoundingClientRect(), cs = getComputedStyle(img);
      img.setAttribute('data-check', [img.naturalWidth, img.naturalHeight, Math.round(r.width), Math.round(r.height),
                                      cs.display, cs.visibility].join(' '));
    });
    if (location.hash === '#plots-gallery') {   // only the images, one under another, for the screenshot
      var gallery = document.createElement('div');
      document.querySelectorAll('img').forEach(function (img) {
        var c = img.cloneNode(); c.style.width = '620px'; c.style.display = 'block'; gallery.appendChild(c);
      });
      document.body.innerHTML = ''; document.body.appendChild(gallery);
    }
  }
  if (document.readyState === 'complete') probe(); else window.addEventListener('load', probe);
})();
</script>
"""

_opt = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def cell_options(src: str) -> tuple:
    "The `#| key: value` options at the top of a code cell, and the code without them"
    lines, opts = src.splitlines(), {}
    while lines and (m := _opt.match(lines[0])): opts[m.group(1)] = m.group(2).lower(); lines.pop(0)
    while lines and lines[0].startswith('#|'): lines.pop(0)   # flags without a value (`#| hide`)
    return opts, '\n'.join(lines)

def html_links(src: str) -> str:
    "Links to the previewed notebooks point to their .html files"
    return re.sub(r'\]\((\w+)\.ipynb(#[^)]*)?\)', lambda m: f"]({m.group(1)}.html{m.group(2) or ''})"
                  if m.group(1) in PAGES else m.group(0), src)

def prepare_page(name: str) -> Path:
    "Write `_preview/src/<name>.ipynb`: the processed notebook with Quarto's cell options applied"
    nb = json.loads((proc/f'{name}.ipynb').read_text(encoding='utf-8'))
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        if c['cell_type'] == 'raw' and src.startswith('---'):     # nbdev's frontmatter: the title block
            fm = yaml.safe_load(src.strip().strip('-')) or {}
            title = f"# {fm.get('title', name)}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')
            cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': title})
            continue
        if c['cell_type'] == 'markdown': c['source'] = html_links(src)
        if c['cell_type'] == 'code':
            opts, code = cell_options(src)
            if opts.get('include') == 'false': continue
            if opts.get('output') == 'false': c['outputs'] = []
            c['source'] = '' if opts.get('echo') == 'false' else code   # echo: false shows the outputs alone
        md_outputs = []
        for o in c.get('outputs', []):   # pandoc wants a number here, and nbdev_clean left none: show it as a display
            if o.get('output_type') == 'execute_result': o['output_type'] = 'display_data'; o.pop('execution_count', None)
            if 'text/markdown' in o.get('data', {}): md_outputs.append(''.join(o['data']['text/markdown']))
        if md_outputs:   # Markdown outputs are rendered as markdown, as Quarto does (pandoc would show their text/plain)
            c['outputs'] = [o for o in c['outputs'] if 'text/markdown' not in o.get('data', {})]
        if c['cell_type'] != 'code' or c['source'].strip() or c.get('outputs'): cells.append(c)
        cells += [{'cell_type': 'markdown', 'metadata': {}, 'source': html_links(m)} for m in md_outputs]
    nb['cells'] = cells
    dst = out/'src'/f'{name}.ipynb'
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(nb, ensure_ascii=False), encoding='utf-8')
    return dst

class Dom(HTMLParser):
    "Headings' text and images' attributes of a DOM dump"
    def __init__(self):
        super().__init__(); self.headings, self.imgs, self._h = [], [], None
    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r'h[1-3]', tag): self._h = [tag, '']
        if tag == 'img': self.imgs.append(dict(attrs))
    def handle_data(self, data):
        if self._h: self._h[1] += data
    def handle_endtag(self, tag):
        if self._h and tag == self._h[0]: self.headings.append(' '.join(self._h[1].split())); self._h = None

def not_blank(png: Path) -> tuple:
    "Share of non-white pixels and the pixel standard deviation of a screenshot"
    im = Image.open(png).convert('L')
    hist = im.histogram()
    return 1 - sum(hist[245:]) / (im.width * im.height), ImageStat.Stat(im).stddev[0], im.size

def colourful_share(png: Path) -> float:
    "Share of clearly coloured pixels (plots' bars and lines; text and page are grey)"
    hsv = Image.open(png).convert('RGB').convert('HSV')
    s, v = hsv.getchannel('S').tobytes(), hsv.getchannel('V').tobytes()
    return sum(1 for a, b in zip(s, v) if a > 80 and b > 60) / len(s)

def check() -> bool:
    results = []
    def report(ok, page, what):
        results.append(ok); print(f"{'PASS' if ok else 'FAIL'} {page}: {what}", flush=True)
    for page, (headings, min_plots) in PAGES.items():
        shot, gallery, dom_file = out/f'{page}.png', out/f'{page}-plots.png', out/f'{page}.dom.html'
        missing = [p.name for p in (out/f'{page}.html', shot, dom_file) if not p.is_file() or p.stat().st_size == 0]
        if missing: report(False, page, f"not rendered: {', '.join(missing)} missing or empty"); continue
        share, std, size = not_blank(shot)
        report(share > 0.02 and std > 10, page, f"screenshot {size[0]}x{size[1]} not blank "
               f"({share:.1%} non-white pixels, pixel std {std:.0f})")
        dom = Dom(); dom.feed(dom_file.read_text(encoding='utf-8', errors='replace'))
        for h in headings:
            found = [x for x in dom.headings if h.casefold() in x.casefold()]
            report(bool(found), page, f"heading {h!r} " + (f"present ({found[0]!r})" if found else "missing"))
        imgs = [i for i in dom.imgs if i.get('src', '').startswith('data:image/')]
        if min_plots: report(len(imgs) >= min_plots, page, f"{len(imgs)} embedded images (at least {min_plots} plots expected)")
        for k, img in enumerate(imgs, 1):
            head, _, b64 = img['src'].partition(',')
            try:
                data = base64.b64decode(b64)
                with Image.open(io.BytesIO(data)) as im: im.verify(); fmt, (w, h) = im.format, im.size
            except Exception as e: report(False, page, f"image {k}: not a readable image ({e})"); continue
            nat_w, nat_h, ren_w, ren_h, display, visibility = (img.get('data-check', '') + ' ? ? ? ? ? ?').split()[:6]
            shown = ren_w.isdigit() and ren_h.isdigit() and int(ren_w) > 0 and int(ren_h) > 0
            ok = (data[:8] == b'\x89PNG\r\n\x1a\n' and fmt == 'PNG' and w > 0 and h > 0 and nat_w not in ('0', '?')
                  and shown and display != 'none' and visibility == 'visible')
            report(ok, page, f"image {k}: {fmt} {w}x{h}, {len(data) / 1024:.0f} KiB, decoded by Chromium "
                   f"{nat_w}x{nat_h}, shown at {ren_w}x{ren_h} ({display}, {visibility})")
        if min_plots:
            if gallery.is_file():
                c = colourful_share(gallery)
                report(c > 0.01, page, f"plots visible in the gallery screenshot ({c:.1%} coloured pixels)")
            else: report(False, page, f"no gallery screenshot {gallery.name}")
        for href in sorted({m for m in re.findall(r'href="([\w.-]+\.html)', dom_file.read_text(encoding='utf-8'))}):
            if Path(href).stem in PAGES: report((out/href).is_file(), page, f"link to {href} resolves")
    n_fail = results.count(False)
    print(f"docs preview: {len(results) - n_fail} checks passed, {n_fail} failed")
    return n_fail == 0

if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'prepare':
        out.mkdir(exist_ok=True)
        (out/'head.html').write_text(STYLE); (out/'probe.html').write_text(PROBE)
        for page in PAGES:
            if (proc/f'{page}.ipynb').is_file(): print(f'prepared {prepare_page(page).relative_to(root)}')
            else: print(f'{page}: not in {proc.name}/ (its nbdev processing failed?), no preview')
    elif cmd == 'pages': print(' '.join(PAGES))
    elif cmd == 'check': sys.exit(0 if check() else 1)
    else: sys.exit(f'usage: {sys.argv[0]} prepare|pages|check')
