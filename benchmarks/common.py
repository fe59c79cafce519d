"""What the benchmark scripts share: where results go, the CIFAR-10 split, recording a result (the code that made it, a
results file that parallel processes add to), stamping each result cell with the code that made it and marking a report's
cells made by other code, peak memory, the stage seconds of a run, the load average.

Imported by the scripts of this folder as `from common import ...` (Python puts a script's own folder first on its path).
Standard library only at import time: a script's worker subprocess pays for nothing it does not use.
"""
import hashlib, json, os, re, resource, subprocess, sys, tempfile
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

# ---------------------------------------------------------------- which code made a result cell
CELL_DEPENDS = ('uvlp', 'benchmarks/common.py')   # what every benchmark cell depends on, besides its own script
CODE_SIGNS = {'current': '', 'other code': '†', 'uncommitted': '§', 'unstamped': '‡'}

class StaleCells(ValueError): "A report refused: some of its cells were not made by today's code"

def repo_path(p) -> str:
    "`p` (absolute, or relative to the repository) relative to the repository"
    return Path(p).resolve().relative_to(ROOT).as_posix() if Path(p).is_absolute() else Path(p).as_posix()

def code_digest(*paths:str) -> str|None:
    "One short hex digest of the git trees / blobs of `paths` (relative to the repository) at HEAD; None outside a repository"
    listing = git('ls-tree', 'HEAD', '--', *paths)   # 'mode type hash\tpath' per path that HEAD has, sorted by path
    return hashlib.sha1(listing.encode()).hexdigest()[:12] if listing else None

def cell_stamp(*paths, since:dict|None=None) -> dict:
    """Which code made a cell: dict(commit=short HEAD, code=`code_digest` of `CELL_DEPENDS` and `paths` (the benchmark script:
    pass `__file__`), dirty=their files that differ from HEAD). A cell with `dirty` matches no commit. With `since` (the stamp
    taken when the process started, i.e. imported its code): that stamp, noting in `dirty` if the code has changed since"""
    deps = CELL_DEPENDS + tuple(map(repo_path, paths))
    now = dict(commit=head_commit() or None, code=code_digest(*deps), dirty=uncommitted(*deps))
    if since is None or (since['code'], since['dirty']) == (now['code'], now['dirty']): return since or now
    return since | dict(dirty=since['dirty'] + [f"(code changed while it ran: now commit {now['commit']}, code {now['code']})"])

def stale_marks(stamps:dict, current:dict) -> dict:
    """name -> 'current' (its stamp's code is `current`'s), 'other code' (made at another commit whose code differs),
    'uncommitted' (made with uncommitted changes: no commit's code) or 'unstamped' (recorded before cells had stamps)"""
    def mark(s):
        if not s or not s.get('code'): return 'unstamped'
        if s['dirty']: return 'uncommitted'
        return 'current' if s['code'] == current['code'] else 'other code'
    return {k: mark(s) for k, s in stamps.items()}

def made_by(stamp:dict|None, mark:str) -> str:
    "What made a cell that is not current, for the note under a table (`mark` from `stale_marks`)"
    if mark == 'unstamped': return "unstamped: recorded before cells recorded the code that made them (rerun to stamp)"
    if mark == 'uncommitted': return f"made by code that matches no commit: commit {stamp['commit']} with uncommitted changes to {', '.join(stamp['dirty'])}"
    return f"made by other code, at commit {stamp['commit']} (code {stamp['code']})"

def code_marks(stamps:dict, current:dict, refuse:bool=False) -> tuple:
    """How a report shows which code made its cells, `stamps` being name -> the cell's stamp (None: unstamped) and `current`
    today's `cell_stamp`: (name -> footnote sign, '' when current; the header line; the footnotes for under the table: their
    paragraphs, '' when every cell is current).
    `refuse`: raise `StaleCells` instead when any cell is not current, so that no table mixes code"""
    marks, today = stale_marks(stamps, current), f"code {current['code']} at HEAD {current['commit']}"
    stale = {k: m for k, m in marks.items() if m != 'current'}
    if current['dirty']: print(f"warning: the working tree has uncommitted changes to {', '.join(current['dirty'])}: "
                               f"cells are compared with HEAD's code", file=sys.stderr)
    if refuse and stale:
        raise StaleCells(f"{len(stale)} of {len(marks)} cells were not made by today's code ({today}): "
                         + '; '.join(f"{k}: {m}" + (f" (commit {stamps[k]['commit']})" if m != 'unstamped' else '') for k, m in stale.items())
                         + " — rerun them, or report without --refuse-stale to mark them")
    groups = {}   # (sign, what made them) -> names
    for k, m in stale.items(): groups.setdefault((CODE_SIGNS[m], made_by(stamps[k], m)), []).append(k)
    commits = sorted({stamps[k]['commit'] for k, m in marks.items() if m == 'current'})
    if not stale: head = f"every cell was made by today's code ({today}), at commit(s) {', '.join(commits)}."
    elif commits: head = f"{len(marks) - len(stale)} of {len(marks)} cells were made by today's code ({today}), at commit(s) {', '.join(commits)}; the others are marked (notes under the table)."
    else: head = f"no cell was made by today's code ({today}); every cell is marked (notes under the table)."
    head = f"**Code:** {head} The code is the library `uvlp/`, `benchmarks/common.py` and the benchmark script."
    notes = '\n\n'.join(f"{sign} {made}: " + (f"all {len(ks)} cells" if len(ks) == len(marks) > 1 else '; '.join(ks)) + '.'
                          for (sign, made), ks in groups.items())
    return {k: CODE_SIGNS[m] for k, m in marks.items()}, head, notes

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
