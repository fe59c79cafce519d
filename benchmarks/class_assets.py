"""Write the class-list assets of `uvlp.config` (uvlp/assets/*.txt, *.tsv) from their public sources.

    python benchmarks/class_assets.py [--vlcp DIR] [--minimax DIR]

* imagenet1k.tsv — `wnid<TAB>short name<TAB>full synonym line`, 1000 rows in torchvision's label order
  (sorted WNIDs): the WNIDs of timm's `timm/data/_info/imagenet_synsets.txt`, the full lines of
  `timm/data/_info/imagenet_synset_to_lemma.txt` (timm 1.0.31), the short names of torchvision's
  `ResNet18_Weights.IMAGENET1K_V1.meta['categories']` (torchvision 0.29.1; no download needed).
* with --minimax (a checkout of vimar-gu/MinimaxDiffusion): imagenet100.txt, `misc/class100.txt` in file order.
* with --vlcp (a checkout of zou-yawen/Dataset-Distillation-via-Vision-Language-Category-Prototype):
  cifar100.txt and tinyimagenet.txt, the `mv <class> <index>` lines of `04_evaluation/RDED/cifar100_rename.sh`
  and `04_evaluation/RDED/tiny_rename.sh` in index order.
The Tiny-ImageNet `wnids.txt` copy (tinyimagenet_wnids.txt) was transcribed from
rangeetpan/IMagenet@6125d8a1069df02232eb57678fd46c700411dd45:tiny-imagenet-200/wnids.txt.
"""
import argparse, subprocess
from importlib.metadata import version
from pathlib import Path
import timm
from torchvision.models import ResNet18_Weights

ASSETS = Path(__file__).resolve().parents[1]/'uvlp'/'assets'

def git_show(repo, path):
    "`(text of path at HEAD, commit)` of the git checkout (or bare mirror) `repo`"
    run = lambda *a: subprocess.run(['git', '-C', str(repo), *a], capture_output=True, text=True, check=True).stdout
    return run('show', f'HEAD:{path}'), run('rev-parse', 'HEAD').strip()

def imagenet1k():
    info = Path(timm.__file__).parent/'data'/'_info'
    wnids = (info/'imagenet_synsets.txt').read_text().split()
    lemma = dict(l.split('\t', 1) for l in (info/'imagenet_synset_to_lemma.txt').read_text().splitlines() if l.strip())
    short = ResNet18_Weights.IMAGENET1K_V1.meta['categories']
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000 and len(short) == 1000
    head = (f"# ImageNet-1K in torchvision's label order (sorted WNIDs): wnid<TAB>short name<TAB>full synonym line\n"
            f"# WNIDs: timm {version('timm')} timm/data/_info/imagenet_synsets.txt; lines: timm/data/_info/imagenet_synset_to_lemma.txt; "
            f"short names: torchvision {version('torchvision')} ResNet18_Weights.IMAGENET1K_V1.meta['categories']\n")
    (ASSETS/'imagenet1k.tsv').write_text(head + ''.join(f'{w}\t{s}\t{lemma[w]}\n' for w, s in zip(wnids, short)))

def listed(name, lines, source):
    (ASSETS/name).write_text(f"# {source}\n" + ''.join(f'{l}\n' for l in lines))

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--vlcp'); p.add_argument('--minimax'); a = p.parse_args()
    imagenet1k()
    if a.minimax:
        text, commit = git_show(a.minimax, 'misc/class100.txt')
        listed('imagenet100.txt', text.split(), f"ImageNet-100 of Minimax Diffusion: vimar-gu/MinimaxDiffusion@{commit} misc/class100.txt, file order")
    if a.vlcp:
        repo = 'zou-yawen/Dataset-Distillation-via-Vision-Language-Category-Prototype'
        for name, script in (('cifar100.txt', 'cifar100_rename.sh'), ('tinyimagenet.txt', 'tiny_rename.sh')):
            text, commit = git_show(a.vlcp, f'04_evaluation/RDED/{script}')
            rows = [l.split() for l in text.splitlines() if l.strip()]
            assert [int(r[2]) for r in rows] == list(range(len(rows))), script
            listed(name, [r[1] for r in rows], f"label order of VLCP's RDED evaluation: {repo}@{commit} 04_evaluation/RDED/{script} (`mv <class> <label>`)")
