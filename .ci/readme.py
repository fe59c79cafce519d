"""Write README.md from nbs/index.ipynb without Quarto.

`--check`: fail if README.md is out of date; `--command HEADING`: print the shell command under that README heading
(so `.ci/run` runs exactly what README tells a newcomer)."""
import json, sys
from pathlib import Path

def cell_md(c):
    src = ''.join(c['source'])
    if c['cell_type'] == 'markdown': return src
    if c['cell_type'] != 'code' or src.lstrip().startswith('#| hide') or not src.strip(): return None
    body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
    outs = [''.join(o.get('text') or o.get('data', {}).get('text/markdown') or o.get('data', {}).get('text/plain', ''))
            for o in c.get('outputs', [])]
    outs = [o for o in outs if o.strip()]
    return f"```python\n{body}\n```" + ''.join(f"\n\n```\n{o.rstrip()}\n```" for o in outs)

def render(root=Path('.')):
    nb = json.loads((root/'nbs/index.ipynb').read_text())
    parts = [m.replace('](images/', '](nbs/images/') for m in map(cell_md, nb['cells']) if m]   # pictures live beside the notebook
    return '<!-- WARNING: generated from nbs/index.ipynb by `python .ci/readme.py`; edit the notebook. -->\n\n' + '\n\n'.join(parts) + '\n'

def command(heading, readme=Path('README.md')):
    "The first ```sh block after `## heading` in README.md"
    after = readme.read_text().split(f'## {heading}\n', 1)[1]
    return after.split('```sh\n', 1)[1].split('```', 1)[0].strip()

if __name__ == '__main__':
    text, readme = render(), Path('README.md')
    if '--command' in sys.argv: print(command(sys.argv[sys.argv.index('--command') + 1]))
    elif '--check' in sys.argv:
        if readme.read_text() != text: sys.exit('README.md is out of date: run `python .ci/readme.py`')
    else: readme.write_text(text)
