"""Write README.md from nbs/index.ipynb without Quarto.

Markdown cells are copied; a code cell becomes its code (unless `#| hide`, or `#| echo: false`: outputs only) and its
outputs: text in a fenced block, Markdown as it is, a picture as a PNG written to nbs/images/readme-<k>.png.
`--check`: fail if README.md (or one of those pictures) is out of date; `--command HEADING`: print the shell command
under that README heading (so `.ci/run` runs exactly what README tells a newcomer)."""
import base64, json, sys
from pathlib import Path

def out_md(o, pictures:dict) -> str:
    "One output as README text; a picture is added to `pictures` (README path → PNG bytes)"
    d = o.get('data', {})
    if 'image/png' in d:
        path = f'nbs/images/readme-{len(pictures) + 1}.png'
        pictures[path] = base64.b64decode(''.join(d['image/png']))
        return f'![output {len(pictures)}]({path})'
    if 'text/markdown' in d: return ''.join(d['text/markdown']).strip()
    text = ''.join(o.get('text') or d.get('text/plain', '')).rstrip()
    return f"```\n{text}\n```" if text.strip() else ''

def cell_md(c, pictures:dict):
    src = ''.join(c['source'])
    if c['cell_type'] == 'markdown': return src
    if c['cell_type'] != 'code' or src.lstrip().startswith('#| hide') or not src.strip(): return None
    body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
    parts = ([] if '#| echo: false' in src.splitlines() else [f"```python\n{body}\n```"]) + [out_md(o, pictures) for o in c.get('outputs', [])]
    return '\n\n'.join(p for p in parts if p)

def render(root=Path('.')) -> tuple:
    "README's text and its pictures {path: PNG bytes}"
    nb, pictures = json.loads((root/'nbs/index.ipynb').read_text()), {}
    parts = [m.replace('](images/', '](nbs/images/') for m in (cell_md(c, pictures) for c in nb['cells']) if m]   # pictures live beside the notebook
    return '<!-- WARNING: generated from nbs/index.ipynb by `python .ci/readme.py`; edit the notebook. -->\n\n' + '\n\n'.join(parts) + '\n', pictures

def command(heading, readme=Path('README.md')):
    "The first ```sh block after `## heading` in README.md"
    after = readme.read_text().split(f'## {heading}\n', 1)[1]
    return after.split('```sh\n', 1)[1].split('```', 1)[0].strip()

if __name__ == '__main__':
    (text, pictures), readme = render(), Path('README.md')
    if '--command' in sys.argv: print(command(sys.argv[sys.argv.index('--command') + 1]))
    elif '--check' in sys.argv:
        stale = [str(p) for p, b in [(readme, text.encode()), *pictures.items()] if not Path(p).exists() or Path(p).read_bytes() != b]
        if stale: sys.exit(f"{', '.join(stale)} out of date: run `python .ci/readme.py`")
    else:
        readme.write_text(text)
        for p, b in pictures.items(): Path(p).write_bytes(b)
