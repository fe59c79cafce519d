"""Cache speed-up of `uvlp.features`: seconds for a first run (compute + write) and a second, cached run.

Runs on the embedded digits (1,438 training images at 32 px, written as an ImageFolder with grounded
captions) with the tiny stack's untrained, seeded CLIP and VAE, on the CPU unless told otherwise.
Usage: python benchmarks/features_cache.py [--device cpu] [--threads 1]
"""
import argparse, tempfile, time
from pathlib import Path
import torch
from uvlp.config import get_dataset
from uvlp.data import list_images, load_descriptions, write_digits_folder
from uvlp.features import extract_features, load_clip
from uvlp.tiny import tiny_clip, tiny_vae

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: torch default)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    tmp, info = Path(tempfile.mkdtemp()), get_dataset('digits')
    root = write_digits_folder(tmp/'digits')
    lst = list_images(root, info)
    texts = load_descriptions(root/'train', lst.paths, info)
    clip, vae = load_clip(model=tiny_clip(0), device=a.device, name='tiny-untrained'), tiny_vae(0).to(a.device).eval()
    secs = []
    for _ in range(2):
        t = time.perf_counter()
        extract_features(clip, lst, texts, info, vae, tmp/'cache', size=32, feature_batch=64, progress=False)
        secs.append(time.perf_counter() - t)
    size = sum(f.stat().st_size for f in (tmp/'cache').iterdir()) / 2**20
    print(f"features of {len(lst.paths)} digits (10 classes, CLIP image+text, VAE latents) on {a.device}, {torch.get_num_threads()} threads")
    print(f"first run  {secs[0]:7.2f} s  (compute + write {size:.1f} MiB of cache)")
    print(f"cached run {secs[1]:7.2f} s")
    print(f"speed-up   {secs[0] / secs[1]:7.1f}x")

if __name__ == '__main__': main()
