"""The main job's numbers: the papermill notebook `nbs/run_distill.ipynb` at its defaults (IPC 10) and at IPC 20.

Executes the notebook in place at its defaults — its committed outputs are that run — and with `-p ipc <n>` for
every other IPC into `runs/run_distill-ipc<n>.ipynb`; cleans the notebook (`nbdev_clean`) and copies its picture of
the distilled set to `nbs/images/distilled_digits_ipc<default>.png`; writes `benchmarks/results/main_job.json`: per
IPC the settings, the run directory, the evaluation table (`eval/table.md`), the mean ± std top-1 of every (set,
network), the command, the date, the notebook's wall time and the run's compute time (the stages of all its
invocations). The index page (and README) take their headline numbers from it; `.ci/outputs_current.py` checks it
and the notebook's outputs against the main job CI runs. From the repository root (about 2 min per IPC on 2 CPU
cores; a finished run directory resumes in seconds):

    python benchmarks/main_job.py              # IPC 10 and 20
    python benchmarks/main_job.py --ipc 20     # IPC 20 only (the recorded IPC 10 is kept)
"""
import argparse, base64, datetime, json, subprocess, sys, time
from dataclasses import asdict
from pathlib import Path
from common import ROOT, stage_seconds
from uvlp.notebook import config_from_parameters, notebook_parameters
from uvlp.utils import atomic_write, load_json, save_json

NB, OUT = Path('nbs/run_distill.ipynb'), Path('benchmarks/results/main_job.json')
BIN = Path(sys.executable).parent

def execute(ipc:int, default:int) -> dict:
    "Run the notebook at `ipc` (in place at the default IPC); the command and its wall time"
    dst = NB if ipc == default else Path(f'runs/run_distill-ipc{ipc}.ipynb')
    cmd = ['papermill', str(NB), str(dst), '--no-progress-bar'] + ([] if ipc == default else ['-p', 'ipc', str(ipc)])
    dst.parent.mkdir(parents=True, exist_ok=True)
    t = time.time(); subprocess.run([str(BIN/cmd[0]), *cmd[1:]], cwd=ROOT, check=True)
    return dict(command=' '.join(cmd), seconds=round(time.time() - t), notebook=str(dst))

def picture(nb:Path, tag:str='distilled-images') -> bytes:
    "The PNG the cell tagged `tag` of the executed notebook `nb` shows"
    cells = [c for c in json.loads((ROOT/nb).read_text())['cells'] if tag in c['metadata'].get('tags', [])]
    return base64.b64decode(next(o['data']['image/png'] for c in cells for o in c['outputs'] if 'image/png' in o.get('data', {})))

def record(ipc:int, params:dict) -> dict:
    "The settings, run directory and evaluation table of the run at `ipc`, and the mean ± std of every (set, network)"
    cfg = config_from_parameters({**params, 'ipc': ipc})
    run, m = ROOT/cfg.run_dir, load_json(ROOT/cfg.run_dir/"eval/metrics.json")
    return dict(run=str(cfg.run_dir), config=asdict(cfg) | dict(out_dir=str(cfg.run_dir)), compute_seconds=round(sum(stage_seconds(run).values())),
                table=(run/'eval/table.md').read_text(), official=m['official'],
                results={s: {n: dict(label=r['label'], mean=r['mean'], std=r['std']) for n, r in rec['results'].items()}
                         for s, rec in m['records'].items()})

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--ipc', type=int, nargs='+', default=[10, 20])
    a = p.parse_args()
    params = notebook_parameters(ROOT/NB)
    old = load_json(ROOT/OUT) if (ROOT/OUT).exists() else {}
    runs = dict(old.get('runs', {}))
    for ipc in a.ipc:
        how = execute(ipc, params['ipc'])
        if ipc == params['ipc']:
            subprocess.run([str(BIN/'nbdev_clean'), '--fname', str(NB)], cwd=ROOT, check=True)
            with atomic_write(ROOT/f"nbs/images/distilled_digits_ipc{ipc}.png", 'wb') as f: f.write(picture(NB))
        runs[str(ipc)] = dict(**how, **record(ipc, params), date=datetime.date.today().isoformat())
        save_json(dict(notebook=str(NB), default_ipc=params['ipc'], runs=runs), ROOT/OUT)
        print(f"IPC {ipc}: {how['seconds']} s\n{runs[str(ipc)]['table']}")

if __name__ == '__main__': main()
