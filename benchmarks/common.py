"""What the benchmark scripts share: where results go, the CIFAR-10 split, recording a result (the code that made it, a
results file that parallel processes add to), peak memory, the stage seconds of a run, the load average.

Imported by the scripts of this folder as `from common import ...` (Python puts a script's own folder first on its path).
Standard library only at import time: a script's worker subprocess pays for nothing it does not use.
"""
import json, os, re, resource, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]   # the repository
RESULTS = Path(__file__).resolve().parent/'results'

# ---------------------------------------------------------------- CIFAR-10
CIFAR_ROOT = '/work/shared/data/cifar10-test'   # the real CIFAR-10 test images, `<root>/<class>/*.png`, 1,000 per class: one split
CIFAR_HOLDOUT = 0.2                             # `uvlp.data.list_images` divides it per class 80/20 into 'train' and 'val'

def cifar_folder(root, work:Path, ds, holdout:float=CIFAR_HOLDOUT, seed:int=0) -> Path:
    "Link the seeded per-class division of the one-split `root` into `<work>/cifar/{train,val}/<class>/` and caption train/ (once)"
    from uvlp.data import caption_folder, list_images
    out = work/'cifar'
    if (out/'train'/'metadata.jsonl').exists(): return out
    for split in ('train', 'val'):
        for p in list_images(root, ds, split, holdout, seed).paths:
            dst = out/split/p.parent.name/p.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists(): dst.symlink_to(Path(p).resolve())
    caption_folder(out, ds, 'train', kind='colour', seed=seed)
    return out

# ---------------------------------------------------------------- recording a result
def git(*args, cwd=ROOT) -> str:
    "The output of a git command in the repository"
    return subprocess.run(['git', *args], capture_output=True, text=True, cwd=cwd).stdout

def head_commit() -> str: return git('rev-parse', '--short', 'HEAD').strip()

def uncommitted(*paths:str) -> list:
    "The files under `paths` (default: the library, `uvlp`) that differ from HEAD, untracked ones included"
    return [l[3:] for l in git('status', '--porcelain', '--', *(paths or ('uvlp',))).splitlines()]

def code_version(*paths:str) -> str:
    "The commit a result was measured at, and the uncommitted changes under `paths` (default `uvlp`) it ran with"
    dirty = uncommitted(*paths)
    return head_commit() + (f"+uncommitted changes to {', '.join(dirty)}" if dirty else '')

def command_line() -> str: return 'python ' + ' '.join(sys.argv)

def write_json(path:Path, rec, **kw):
    "Write `rec` as indented JSON, atomically (a reader sees the old file or the new one)"
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile('w', dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp', delete=False) as f:
        f.write(json.dumps(rec, indent=1, **kw) + '\n')
    os.replace(f.name, path)

def add_entry(out:Path, rec:dict, key:str, name:str, entry:dict, order, same) -> dict:
    """`rec` with `entry` as `rec[key][name]`, saved to `out`: the file is re-read first, so that the entries a parallel
    process recorded meanwhile are kept when `same(saved record)` says they were made with the same settings; in `order`"""
    from uvlp.utils import load_json, save_json
    saved = load_json(out) if out.exists() else {}
    if not same(saved): saved = {}
    entries = saved.get(key, {}) | {name: entry}
    rec = saved | rec | {key: {k: entries[k] for k in order if k in entries}}
    save_json(rec, out)
    return rec

# ---------------------------------------------------------------- memory, CPU and load
MiB, GiB = 2**20, 2**30

def proc_kb(pid, key:str) -> int|None:
    "A memory figure of process `pid` ('self': this one) from /proc/<pid>/status in kB (VmRSS: resident now; VmHWM: its peak); None once it has gone"
    try: return int(re.search(rf'{key}:\s+(\d+) kB', open(f'/proc/{pid}/status').read()).group(1))
    except (OSError, AttributeError): return None

def status_mb(key:str) -> float: return proc_kb('self', key) / 1024   # MiB

def reset_peak():
    "Reset this process's VmHWM to its current resident size (Linux >= 4.0)"
    with open('/proc/self/clear_refs', 'w') as f: f.write('5')

def peak_rss_mb() -> float:
    "Peak resident memory of this process so far, from `getrusage` (MiB; Linux reports KiB). A child starts with its parent's peak"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def rss_now_mb() -> float: return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / MiB

def proc_cpu(pid:int) -> float|None:
    "User + system CPU seconds of process `pid` so far (/proc/<pid>/stat); None once it has gone"
    try: f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    except OSError: return None
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')

def load_avg() -> str: return f"load {os.getloadavg()[0]:.1f}"   # the 1-minute load average

# ---------------------------------------------------------------- a run's stages
STAGE_MARK = re.compile(r'stage (\w+): (started|done)')   # the pipeline's log lines around each stage

def manifest(run) -> dict:
    from uvlp.utils import load_json
    return load_json(Path(run)/'manifest.json')

def last_stage_seconds(run) -> dict: return manifest(run)['invocations'][-1]['seconds']   # of the run's last invocation

def stage_seconds(run) -> dict:
    "Seconds of each stage of a run, summed over its invocations (a resumed stage adds its remaining part)"
    s = {}
    for inv in manifest(run)['invocations']:
        for k, v in inv['seconds'].items(): s[k] = s.get(k, 0) + v
    return s
