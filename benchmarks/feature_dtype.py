"""What saving a run's features in float16 (`feature_dtype`, issue 20) does to its prototypes.

Half precision halves the features on disk (SD 1.5: a latent is 64 KiB in float32, 32 KiB in
float16; ImageNet-1K's 1.28 M latents 84 → 42 GB) and is the default of full-size runs. Every
number stored is within a relative 2^-11 of the float32 one; this script measures what that
rounding changes downstream, in two settings:

1. digits, end to end: two pipeline runs (tiny stack, IPC 10, no evaluation) that differ only in
   `feature_dtype` ('float32' vs 'float16'); prototypes read back from the run directories, the
   synthesised PNGs compared pixel by pixel, the bytes of `features/` counted;
2. the ImageWoof shape at full size: 10 classes × 900 rows of 768-d CLIP-like planted embeddings
   (benchmarks/prototypes.py's generator, `uvlp.fusion.planted`) with standard-normal 4×64×64
   latents, `uvlp.jvlc.discover` at IPC 10 and 50 on the float32 features and on the same features
   rounded through float16 (what `save_features(dtype=torch.float16)` stores); as a yardstick, the float32
   features again with JVL-C's seed 1 instead of 0 (k-means starts, the only randomness of the rule).

Per class, each cluster of the float32 run is matched to the float16 cluster sharing most of its
members; the script prints the share of clusters with the same members, the same chosen members,
the same text prototype, the largest α difference, and the relative L2 difference of the matched
image prototypes (latents). Results: benchmarks/results/feature_dtype.{json,md}.

    OMP_NUM_THREADS=1 python benchmarks/feature_dtype.py          # ~3 min on one core
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
from common import RESULTS, code_version, write_json
from uvlp.fusion import planted
from uvlp.jvlc import JVLCConfig, discover, load_prototypes
from uvlp.pipeline import distill
from uvlp.rundir import RunDir
from uvlp.settings import DistillConfig
from uvlp.utils import derive_seed


def rounded(x: torch.Tensor) -> torch.Tensor: return x.half().float()


def match(a, b) -> list:
    "Pairs (prototype of `a`, prototype of `b` sharing most of its members) of one class"
    return [(p, max(b, key=lambda q: len(set(p.members) & set(q.members)))) for p in a]


def compare(classes_a: dict, classes_b: dict) -> dict:
    "How the prototypes of `classes_b` (float16 features) differ from those of `classes_a` (float32), over every class"
    pairs = [pq for c in classes_a for pq in match(classes_a[c].prototypes, classes_b[c].prototypes)]
    rel = [float((p.latent - q.latent).norm() / p.latent.norm()) for p, q in pairs]
    return dict(clusters=len(pairs), same_members=np.mean([p.members == q.members for p, q in pairs]),
                same_chosen=np.mean([p.chosen == q.chosen for p, q in pairs]),
                same_text=np.mean([p.text_index == q.text_index for p, q in pairs]),
                max_alpha_diff=max(abs(p.alpha - q.alpha) for p, q in pairs),
                max_class_alpha_diff=max(abs(classes_a[c].alpha_c - classes_b[c].alpha_c) for c in classes_a),
                latent_rel_diff_median=float(np.median(rel)), latent_rel_diff_max=max(rel))


def digits(work: Path) -> dict:
    "Two pipeline runs on the digits differing only in feature_dtype: prototypes, images and bytes compared"
    runs = {}
    for dt in ('float32', 'float16'):
        cfg = DistillConfig(ipc=10, evaluate=False, feature_dtype=dt, out_dir=str(work / dt), device='cpu')
        t = time.time(); distill(cfg, progress=False); print(f"digits run, features in {dt}: {time.time() - t:.1f} s", flush=True)
        runs[dt] = RunDir(cfg.out_dir)
    ids = sorted(p.stem for p in runs['float32'].root.glob('features/*.safetensors'))
    protos = {dt: {c: load_prototypes(r.prototypes(c)) for c in ids} for dt, r in runs.items()}
    pngs = sorted((runs['float32'].root / 'distilled').rglob('*.png'))
    diffs = [np.abs(np.asarray(Image.open(p), dtype=np.int16) - np.asarray(Image.open(runs['float16'].root / p.relative_to(runs['float32'].root)), dtype=np.int16))
             for p in pngs]
    size = {dt: sum(f.stat().st_size for f in r.root.glob('features/*.safetensors')) for dt, r in runs.items()}
    return compare(protos['float32'], protos['float16']) | dict(
        images=len(pngs), same_images=float(np.mean([d.max() == 0 for d in diffs])), pixel_mean_abs_diff=float(np.mean([d.mean() for d in diffs])),
        pixel_max_abs_diff=int(max(d.max() for d in diffs)), features_bytes=size, bytes_ratio=size['float16'] / size['float32'])


def imagewoof_shape(ipcs, seed: int = 0) -> dict:
    "discover on planted full-size features, float32 vs rounded through float16, at each IPC"
    classes, taus = [], planted(n_classes=10, n=1, dim=768, seed=seed, device='cpu').taus
    for c in range(10):
        p = planted(n_classes=1, n_clusters=20, n=900, dim=768, seed=derive_seed(seed, 'bench', c), device='cpu')
        lat = torch.randn(900, 4, 64, 64, generator=torch.Generator().manual_seed(derive_seed(seed, 'bench-latent', c)))
        classes.append(dict(image_emb=p.img, text_emb=p.txt, latents=lat, texts=[f'class {c} row {i}' for i in range(900)]))
    half = [{k: rounded(v) if torch.is_tensor(v) else v for k, v in f.items()} for f in classes]
    out = {}
    for ipc in ipcs:
        t, cfg = time.time(), JVLCConfig(ipc=ipc, seed=seed)
        ref = discover(classes, taus, cfg=cfg, device='cpu', progress=False)
        out[ipc] = compare(ref, discover(half, taus, cfg=cfg, device='cpu', progress=False))
        out[f'{ipc}, seed {seed + 1}'] = compare(ref, discover(classes, taus, cfg=JVLCConfig(ipc=ipc, seed=seed + 1), device='cpu', progress=False))
        print(f"ImageWoof shape, IPC {ipc}: {time.time() - t:.1f} s", flush=True)
    return out


def row(name: str, r: dict) -> str:
    return (f"| {name} | {r['clusters']} | {100 * r['same_members']:.1f} % | {100 * r['same_chosen']:.1f} % | {100 * r['same_text']:.1f} % | "
            f"{r['max_class_alpha_diff']:.2g} | {r['max_alpha_diff']:.2g} | {r['latent_rel_diff_median']:.2g} | {r['latent_rel_diff_max']:.2g} |")


def write_md(rec: dict, path: Path):
    d = rec['digits']
    lines = [f"# Features saved in float16 vs float32: effect on prototypes (benchmarks/feature_dtype.py)", '',
             f"Code: {rec['commit']}; {rec['date']}; command: `{rec['command']}`", '',
             "Each float32 cluster is matched to the float16 cluster sharing most of its members.", '',
             '| features | clusters | same members | same chosen | same text | max Δα class | max Δα cluster | latent rel. diff (median) | (max) |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
             row('digits, pipeline (tiny stack, IPC 10)', d)]
    lines += [row(f"ImageWoof shape, 768-d, 4×64×64, IPC {k}" if 'seed' not in str(k) else
                  f"reference: float32 both, k-means seed {str(k).split('seed ')[1]} instead of 0, IPC {str(k).split(',')[0]}", r)
              for k, r in rec['imagewoof_shape'].items()]
    lines += ['', f"Digits images: {100 * d['same_images']:.1f} % of {d['images']} PNGs identical; mean |Δ| {d['pixel_mean_abs_diff']:.3f}, "
              f"max |Δ| {d['pixel_max_abs_diff']} (of 255). Features on disk: {d['features_bytes']['float32']} B in float32, "
              f"{d['features_bytes']['float16']} B in float16 ({d['bytes_ratio']:.3f}×; the JSON header of paths and descriptions is not halved)."]
    path.write_text('\n'.join(lines) + '\n')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--ipcs', type=int, nargs='+', default=[10, 50])
    a = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix='uvlp-fdtype-') as work:
        rec = dict(commit=code_version(), date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
                   command='OMP_NUM_THREADS=1 python benchmarks/feature_dtype.py', digits=digits(Path(work)), imagewoof_shape=imagewoof_shape(a.ipcs))
    write_json(RESULTS / 'feature_dtype.json', rec, default=float)
    write_md(rec, RESULTS / 'feature_dtype.md')
    print((RESULTS / 'feature_dtype.md').read_text())


if __name__ == '__main__': main()
