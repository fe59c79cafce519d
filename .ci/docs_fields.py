"""Check the rendered docs: every settings record (a dataclass of `uvlp`) shown with `show_doc` lists each field with its help.

Run after nbdev's processing (`proc_nbs`, which writes `_proc/`). A record defined in a notebook has no source file inside
the docs build, so `show_doc` of the notebook's class would print a bare signature; the chapters show the exported
module's class (a hidden `from uvlp.<module> import X` before `show_doc(X)`), and this check fails, naming the chapter, record and field, when one is bare.
"""
import dataclasses, importlib, json, pkgutil, re, sys
from pathlib import Path
import uvlp
from fastcore.docments import docments

records = {}
for m in pkgutil.iter_modules(uvlp.__path__):
    if m.name.startswith('_'): continue
    mod = importlib.import_module(f'uvlp.{m.name}')
    records |= {k: v for k, v in vars(mod).items() if dataclasses.is_dataclass(v) and v.__module__ == mod.__name__}
missing, shown = [], 0
for nb in sorted(Path(sys.argv[1] if len(sys.argv) > 1 else '_proc').glob('*.ipynb')):
    for cell in json.loads(nb.read_text())['cells']:
        m = re.search(r'^show_doc\((\w+)\)$', ''.join(cell['source']), re.M)
        if cell['cell_type'] != 'code' or not m or m[1] not in records: continue
        shown += 1
        out = ''.join(''.join(o.get('data', {}).get('text/markdown', '')) for o in cell.get('outputs', []))
        out = re.sub(r'\[(`[^`]*`)\]\([^)]*\)', r'\1', out)   # nbdev links the names in backticks
        missing += [f"{nb.name}: {m[1]}.{k} ({h!r})" for k, h in docments(records[m[1]]).items() if h and k != 'return' and h not in out]
print(f"{shown} settings records rendered; {len(missing)} field(s) without their help")
for x in missing: print('  ', x)
sys.exit(1 if missing or not shown else 0)
