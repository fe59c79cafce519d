"""Execute every notebook's tests (nbdev's `test_nb`, skipping the `tst_flags` cells) and count notebooks.

Usage: python .ci/nbtest.py [--flags "slow gpu"] [--workers N] [notebook or folder ...]
Prints one line per notebook and a closing line `N passed, N failed`; exits 1 on any failure.
"""
import argparse, os, sys, time
# Each worker process gets one BLAS/torch thread: two workers share the two cores without oversubscription
# (with 2 threads per worker, small torch ops wait on each other and run ~10x slower).
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
from fastcore.parallel import parallel
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb

def _tested(f:Path) -> bool:
    "An existing notebook without a `.notest` file beside it (nbdev_test's rule)"
    return f.exists() and not os.path.lexists(f.parent/'.notest')

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('paths', nargs='*', help='notebooks or folders (default: all of nbs/)')
    p.add_argument('--flags', default='', help='space-separated test flags to run too, e.g. "slow gpu"')
    p.add_argument('--workers', type=int, default=2)
    a = p.parse_args()
    cfg = get_config()
    found = [Path(q) if q.endswith('.ipynb') else f for q in a.paths for f in ([q] if q.endswith('.ipynb') else nbglob(q, as_path=True))]
    found = found if a.paths else nbglob(as_path=True)
    files = [f.absolute() for f in sorted(set(map(Path, found))) if _tested(f)]
    start = time.time()
    res = parallel(test_nb, files, skip_flags=cfg.tst_flags.split(), force_flags=a.flags.split(),
                   basepath=cfg.config_path, n_workers=min(a.workers, len(files)), pause=0.01)
    for f, (ok, secs) in zip(files, res): print(f"{'PASS' if ok else 'FAIL'} {secs:7.1f}s  {f.relative_to(cfg.nbs_path)}")
    n_ok = sum(ok for ok, _ in res)
    print(f"notebooks in {time.time()-start:.0f}s")
    print(f"{n_ok} passed, {len(res)-n_ok} failed")
    sys.exit(0 if n_ok == len(res) else 1)

if __name__ == '__main__': main()
