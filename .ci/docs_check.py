"""Render chapters to HTML without Quarto, open them in headless Chromium, and check that equations and figures show.

Steps: nbdev's `proc_nbs` (what `nbdev_docs` feeds Quarto) → nbconvert's HTML exporter on the processed notebooks
→ Chromium (`--headless --dump-dom` after MathJax has run, and `--screenshot`) → per page: equations typeset by
MathJax, TeX left raw, figures (outputs embedded as data, pictures as files; each opened as an image), screenshot path. Exits 1 if a page has raw
TeX or a figure that does not decode. Not part of `.ci/run` (CI machines need not have Chromium).

Offline, point --mathjax at a local MathJax 2 folder (e.g. `npm pack mathjax@2`, unpacked); the default is the CDN.
The Quarto front matter becomes a title, as Quarto would show it.
Usage: python .ci/docs_check.py [--pages index 03_fusion] [--mathjax DIR] [--out /tmp/uvlp_docs] [--height 2400] [--no-proc]
"""
import argparse, base64, io, re, shutil, subprocess, sys
import nbformat, yaml
from pathlib import Path
from nbconvert import HTMLExporter
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MATHJAX = 'MathJax.js?config=TeX-AMS_CHTML-full,Safe'   # nbconvert's template configures MathJax 2
MATHJAX_CDN = 'https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/' + MATHJAX

def to_html(nb:Path, out:Path, mathjax_url:str) -> Path:
    "The processed notebook `nb` as a standalone HTML page in `out` (figures embedded as data URIs)."
    book = nbformat.read(nb, as_version=4)
    front = book.cells[0].source if book.cells and book.cells[0].cell_type == 'raw' else ''
    if front.startswith('---'):
        meta = yaml.safe_load(front.split('---')[1])
        book.cells[0] = nbformat.v4.new_markdown_cell(f"# {meta.get('title', '')}\n\n> {meta.get('description', '')}")
    body, _ = HTMLExporter(mathjax_url=mathjax_url).from_notebook_node(book)
    page = out / f'{nb.stem}.html'
    page.write_text(body)
    return page

def chromium(*args) -> str:
    "Run headless Chromium with `args`; its stdout."
    exe = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if exe is None: sys.exit('no Chromium on PATH: install it (e.g. apt install chromium) to check the rendered docs')
    cmd = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--virtual-time-budget=20000', *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout

def check(page:Path, shot:Path, height:int=2400) -> dict:
    "Equations typeset, TeX left raw, figures that decode, for the page as Chromium shows it; and a screenshot."
    dom = chromium('--dump-dom', page.as_uri())
    chromium(f'--window-size=1200,{height}', f'--screenshot={shot}', page.as_uri())
    text = re.sub(r'<(script|style)\b.*?</\1>', '', dom, flags=re.S)
    text = re.sub(r'<span class="MathJax_Preview".*?</script>', '', text, flags=re.S)   # typeset maths keeps its TeX in a script
    text = re.sub(r'<(pre|code)\b.*?</\1>', '', text, flags=re.S)   # code may hold a literal '$'
    raw = re.findall(r'\$\$.+?\$\$|(?<![\w$\\])\$[^$\s][^$<]*?\$', re.sub(r'<[^>]+>', '', text))
    srcs = re.findall(r'<img[^>]+src="([^"]+)"', dom)
    sizes = [Image.open(io.BytesIO(base64.b64decode(s.split(',', 1)[1])) if s.startswith('data:') else page.parent / s).size
             for s in srcs]
    return dict(page=page.name, equations=dom.count('class="mjx-chtml MathJax_CHTML"'), raw_tex=raw, figures=len(sizes),
                smallest=min(sizes, default=None), screenshot=str(shot))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', nargs='+', default=['index', '03_fusion'])
    p.add_argument('--mathjax', default=None, help='a local MathJax 2 folder (default: the CDN)')
    p.add_argument('--out', default='/tmp/uvlp_docs')
    p.add_argument('--height', type=int, default=2400, help='screenshot height in pixels (the page from its top)')
    p.add_argument('--no-proc', action='store_true', help='reuse _proc/ from an earlier run')
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if not a.no_proc:
        from nbdev.serve import proc_nbs
        proc_nbs()
    if (ROOT / '_proc' / 'images').exists(): shutil.copytree(ROOT / '_proc' / 'images', out / 'images', dirs_exist_ok=True)
    url = Path(a.mathjax).resolve().as_uri() + '/' + MATHJAX if a.mathjax else MATHJAX_CDN
    bad = 0
    for name in a.pages:
        r = check(to_html(ROOT / '_proc' / f'{name}.ipynb', out, url), out / f'{name}.png', a.height)
        bad += bool(r['raw_tex'])
        print(f"{r['page']}: {r['equations']} equations typeset, {len(r['raw_tex'])} left raw {r['raw_tex'][:3]}, "
              f"{r['figures']} figures (smallest {r['smallest']}), screenshot {r['screenshot']}")
    sys.exit(1 if bad else 0)

if __name__ == '__main__': main()
