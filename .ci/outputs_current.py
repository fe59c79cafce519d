"""Fail when the committed outputs of nbs/run_distill.ipynb, or the main job's numbers in benchmarks/results/main_job.json,
are not those of the main job CI has just run (README: Run the main job, into runs/run_distill.ipynb).

Compared: the text outputs of the cells tagged `settings` (every setting of the run) and `evaluation` (the evaluation
table) — deterministic for the same code, settings and weights, unlike timings and pictures' bytes — and the table
recorded for the default IPC in main_job.json. The fix: `python benchmarks/main_job.py`, then commit what it changed.

Usage: python .ci/outputs_current.py [executed notebook (default: runs/run_distill.ipynb)]"""
import json, sys
from pathlib import Path

COMMITTED, RESULTS = Path('nbs/run_distill.ipynb'), Path('benchmarks/results/main_job.json')

def text_outputs(nb:Path, tag:str) -> list:
    "The markdown, plain-text and stream outputs of the cells of `nb` tagged `tag`"
    cells = [c for c in json.loads(nb.read_text())['cells'] if tag in c['metadata'].get('tags', [])]
    if not cells: sys.exit(f"{nb}: no cell is tagged {tag!r}")
    d = lambda o: o.get('data', {})
    return [''.join(o.get('text') or d(o).get('text/markdown') or d(o).get('text/plain', '')) for c in cells for o in c['outputs']]

def main():
    executed = Path(sys.argv[1] if len(sys.argv) > 1 else 'runs/run_distill.ipynb')
    stale = [tag for tag in ('settings', 'evaluation') if text_outputs(COMMITTED, tag) != text_outputs(executed, tag)]
    rec = json.loads(RESULTS.read_text())
    if rec['runs'][str(rec['default_ipc'])]['table'].strip() not in text_outputs(executed, 'evaluation')[0]: stale.append(str(RESULTS))
    if stale: sys.exit(f"outputs not those of the main job ({executed}): {', '.join(stale)}; "
                       "run `python benchmarks/main_job.py` and commit nbs/run_distill.ipynb, nbs/images and benchmarks/results")
    print(f"{COMMITTED} and {RESULTS} hold the main job's settings and evaluation")

if __name__ == '__main__': main()
