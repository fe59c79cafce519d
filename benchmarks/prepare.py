"""Time of `uvlp.prepare`'s file checks (PIL verify + reduced decode + SHA-256) and of linking, per image.

Builds a fake fast.ai-style tree of ImageNet-sized JPEGs (500x375, smooth content plus noise, quality 90:
about the size of an ImageNet training image), then times `check_files` and `prepare_subset` with each
link mode, and extrapolates to ImageWoof from ImageNet-1K (about 13,000 training + 500 validation images).
Usage: python benchmarks/prepare.py [--images 300]
"""
import argparse, shutil, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image
from uvlp.config import get_dataset
from uvlp.prepare import LINK_MODES, check_files, list_source, prepare_subset

def write_tree(root:Path, classes, n:int):
    "`n` JPEGs split over `classes` and train/val, plus fast.ai's marker file"
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:375, 0:500]
    for i in range(n):
        split, c = ('val' if i // len(classes) % 10 == 0 else 'train'), classes[i % len(classes)]
        a, b = rng.uniform(0.005, 0.05, 2)
        base = 127 + 100 * np.sin(a * x[..., None] + b * y[..., None] + rng.uniform(0, 6, 3))
        img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        (root/split/c).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root/split/c/f'{c}_{i}.JPEG', quality=90)
    (root/'noisy_imagewoof.csv').write_text('path\n')

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--images', type=int, default=300)
    a = ap.parse_args()
    tmp, info = Path(tempfile.mkdtemp()), get_dataset('imagewoof')
    write_tree(tmp/'src', info.class_ids, a.images)
    size = sum(p.stat().st_size for p in (tmp/'src').rglob('*.JPEG')) / a.images
    print(f"{a.images} JPEGs of 500x375, mean {size / 1e3:.0f} kB")
    files, _ = list_source(tmp/'src', info, 'fastai')
    t = time.perf_counter(); check_files(files, progress=False); check = (time.perf_counter() - t) / a.images
    print(f"check_files: {1e3 * check:.2f} ms/image -> {13_500 * check:.0f} s for 13,500 images")
    for mode in LINK_MODES:
        t = time.perf_counter(); prepare_subset('imagewoof', tmp/'src', tmp/mode, link=mode, progress=False)
        per = (time.perf_counter() - t) / a.images
        print(f"prepare_subset link={mode}: {1e3 * per:.2f} ms/image (checks included) -> {13_500 * per:.0f} s for 13,500 images")
    shutil.rmtree(tmp)

if __name__ == '__main__': main()
