"""Global Fisher α, whole-dataset (`uvlp.alpha.fisher_alpha`) vs streamed (`uvlp.alpha.fisher_alpha_streamed`): seconds and peak memory.

Data: C synthetic classes of 50 rows, D = 512, float32: `uvlp.fusion.planted(n_classes=C,
n_clusters=5, n=50, dim=512, seed=0)` (shared image and text cones, class directions, sub-modes,
noise; its planted text prototypes are the τ's), written once by the parent process with
`save_features` as one features file per class, with small latents [50, 4, 16, 16] beside the
embeddings (a run's are larger; neither path reads them).

Paths, each in a fresh subprocess per C (so that its peak memory is its own):
  whole     every class's embeddings read (`load_embeddings`) and concatenated, then `fisher_alpha`
            (what `write_global_alpha` does today, less the latents it also loads);
  streamed  `fisher_alpha_streamed` with `load_embeddings` of a class's file as `load_class`:
            one class in memory at a time, every class read once per evaluated α (18 passes).
Time: wall seconds of the α alone, files read included (from the page cache: the files were just
written). Memory: peak resident memory of the measured call — VmHWM of /proc/self/status, reset to
the current RSS just before the call by writing 5 to /proc/self/clear_refs, printed as the growth
over the RSS before the call (imports, taus) and as the absolute peak. The kernel's high-water mark
sees torch's allocations, which tracemalloc does not; ru_maxrss is not used, because a child keeps
the maximum of the process that started it (here, the parent that wrote the data).
Threads: one by default (a 2-core machine shared with other jobs). The two results must agree
(alpha, alpha_search, J and the weights to 1e-6), or the script exits 1.

Measured here (CPU, 1 thread, 2 cores shared with other jobs, load ~3.5), growth of peak memory:
  C =  100 × 50 rows:  whole 0.25 s, +67 MB;   streamed  1.14 s, +19 MB
  C = 1000 × 50 rows:  whole 2.98 s, +602 MB;  streamed 15.19 s, +104 MB
  C =  100 × 500 rows: whole 1.51 s, +598 MB;  streamed  5.50 s, +25 MB
  (results agree in every case). The stream's memory grows with C — the class means [7, C, D] and
  inter's cosines [7, C, C] at the probes — not with the rows.

Usage: python benchmarks/fisher_stream.py [--classes 100 1000] [--rows 50] [--dim 512] [--threads 1] [--device cpu]
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path
from common import load_avg, reset_peak, status_mb

def write_classes(folder:Path, n_classes:int, rows:int, dim:int, seed:int=0):
    "One features file per class and `taus.safetensors` [C, D] in `folder`."
    import torch
    from safetensors.torch import save_file
    from uvlp.features import Features, save_features
    from uvlp.fusion import planted
    from uvlp.utils import derive_seed
    p = planted(n_classes=n_classes, n_clusters=5, n=rows, dim=dim, seed=seed, device='cpu')
    for c in range(n_classes):
        lat = torch.randn(rows, 4, 16, 16, generator=torch.Generator().manual_seed(derive_seed(seed, 'fisher-bench-latent', c)))
        f = Features(str(c), f'class {c}', [folder/str(c)/f'{i}.png' for i in range(rows)], [f'row {i}' for i in range(rows)],
                     p.img[p.labels == c], p.txt[p.labels == c], lat)
        save_features(f, folder/f'{c}.safetensors', folder)
    save_file({'taus': p.taus}, str(folder/'taus.safetensors'))

def worker(folder:Path, n_classes:int, path:str, device:str, threads:int) -> dict:
    "Run one path on the classes in `folder`; its time, memory and result."
    import torch
    from dataclasses import asdict
    from safetensors.torch import load_file
    from uvlp.alpha import fisher_alpha, fisher_alpha_streamed
    from uvlp.features import load_embeddings
    torch.set_num_threads(threads)
    taus = load_file(str(folder/'taus.safetensors'))['taus']
    load = lambda c: load_embeddings(folder/f'{c}.safetensors')
    reset_peak(); before, t = status_mb('VmRSS'), time.perf_counter()
    if path == 'whole':
        parts = [load(c) for c in range(n_classes)]
        img, txt = torch.cat([i for i, _ in parts]), torch.cat([t for _, t in parts])
        labels = torch.arange(n_classes).repeat_interleave(torch.tensor([len(i) for i, _ in parts]))
        del parts
        res = fisher_alpha(img, txt, labels, taus, device=device)
    else:
        res = fisher_alpha_streamed(load, n_classes, taus, device=device)
    secs, peak = time.perf_counter() - t, status_mb('VmHWM')
    return dict(seconds=secs, peak_mb=peak, growth_mb=peak - before, res=asdict(res))

def agree(a:dict, b:dict, eps:float=1e-6) -> bool:
    "Two `FisherAlpha` records (as dicts) agree to `eps`."
    va = [a['alpha'], a['alpha_search'], a['J'], *a['weights'].values()]
    vb = [b['alpha'], b['alpha_search'], b['J'], *b['weights'].values()]
    return list(a['weights']) == list(b['weights']) and all(abs(x - y) <= eps for x, y in zip(va, vb))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--classes', type=int, nargs='+', default=[100, 1000])
    p.add_argument('--rows', type=int, default=50)
    p.add_argument('--dim', type=int, default=512)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu')
    p.add_argument('--worker', nargs=3, metavar=('FOLDER', 'C', 'PATH'), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        print(json.dumps(worker(Path(a.worker[0]), int(a.worker[1]), a.worker[2], a.device, a.threads))); return
    ok = True
    print(f"rows per class {a.rows}, D {a.dim}, float32, device {a.device}, {a.threads} thread(s), {load_avg()}")
    for n_classes in a.classes:
        with tempfile.TemporaryDirectory() as tmp:
            write_classes(Path(tmp), n_classes, a.rows, a.dim)
            out = {}
            for path in ('whole', 'streamed'):
                cmd = [sys.executable, __file__, '--worker', tmp, str(n_classes), path, '--device', a.device, '--threads', str(a.threads)]
                out[path] = r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
                print(f"C = {n_classes:4d}  {path:8s}  {r['seconds']:7.2f} s   peak RSS +{r['growth_mb']:6.1f} MB "
                      f"(absolute {r['peak_mb']:6.0f} MB)   alpha {r['res']['alpha']:.6f}  J {r['res']['J']:.6f}")
            same = agree(out['whole']['res'], out['streamed']['res'])
            ok &= same
            print(f"C = {n_classes:4d}  results {'agree' if same else 'DIFFER'} (alpha, alpha_search, J, weights to 1e-6); "
                  f"embeddings held by the whole path: {n_classes * a.rows * a.dim * 2 * 4 / 2**20:.1f} MB")
    sys.exit(0 if ok else 1)

if __name__ == '__main__': main()
