/** The text of the exported `augment.py` (see augment.ts). Python source; keep it free of backticks. */
export const AUGMENT_PY = String.raw`"""The studio's augmentation pipeline (shared/augment) in PyTorch: sample, then apply.

sample_pipeline(seed, pipeline, ctx, batch_index) draws every random parameter of one batch with the studio's own
generator and streams (studio_random.py; shared/augment/sample.ts), so the same seed and batch index give the same
record as the studio. apply_pipeline(images, labels, pipeline, record) applies a record to a batch: images
[N, C, H, W] float32 in [0, 1] (NCHW, PyTorch's layout; the studio works in NHWC), labels [N, K] one-hot or soft.
Every kind has the studio's parameter ranges and semantics; the table of tolerances is in README.md.
"""
import math

import numpy as np
import torch

from studio_random import Rng, create_rng, js_round

KINDS = (
    "horizontalFlip", "verticalFlip", "randomResizedCrop", "randomCrop", "rotation", "translation",
    "colorJitter", "grayscale", "cutout", "mixup", "cutmix", "normalize", "randAugment",
)
GRAY_WEIGHTS = (0.299, 0.587, 0.114)


class AugmentError(ValueError):
    pass


# ------------------------------------------------------------------ sampling (shared/augment/kinds/*.ts sample)

def _draw_range(rng, r):
    return r[0] if r[0] == r[1] else rng.uniform(r[0], r[1])


def _draw_partner(rng, ctx, index):
    n = ctx["batchSize"]
    if n <= 1:
        return index
    j = rng.int(0, n - 2)
    return j + 1 if j >= index else j


def _clamp(v, lo, hi):
    return min(hi, max(lo, v))


def _sample_rrc(rng, p, ctx, index):
    H, W = ctx["height"], ctx["width"]
    area = H * W
    log_ratio = (math.log(p["ratio"][0]), math.log(p["ratio"][1]))
    for _ in range(10):
        target = area * _draw_range(rng, p["scale"])
        aspect = math.exp(_draw_range(rng, log_ratio))
        width = js_round(math.sqrt(target * aspect))
        height = js_round(math.sqrt(target / aspect))
        if 0 < width <= W and 0 < height <= H:
            return {"top": rng.int(0, H - height), "left": rng.int(0, W - width), "height": height, "width": width}
    in_ratio = W / H
    width, height = W, H
    if in_ratio < p["ratio"][0]:
        height = max(1, min(H, js_round(width / p["ratio"][0])))
    elif in_ratio > p["ratio"][1]:
        width = max(1, min(W, js_round(height * p["ratio"][1])))
    return {"top": (H - height) // 2, "left": (W - width) // 2, "height": height, "width": width}


def _sample_random_crop(rng, p, ctx, index):
    pad = p["padding"]
    return {"top": rng.int(0, 2 * pad), "left": rng.int(0, 2 * pad)}


def _sample_translation(rng, p, ctx, index):
    return {"dx": js_round(_draw_range(rng, p["x"]) * ctx["width"]) or 0,
            "dy": js_round(_draw_range(rng, p["y"]) * ctx["height"]) or 0}


def _sample_cutout(rng, p, ctx, index):
    H, W = ctx["height"], ctx["width"]
    boxes = []
    for _ in range(p["count"]):
        s = _draw_range(rng, p["size"])
        h = max(1, min(H, js_round(s * H)))
        w = max(1, min(W, js_round(s * W)))
        if p["placement"] == "inside":
            boxes.append({"top": rng.int(0, H - h), "left": rng.int(0, W - w), "height": h, "width": w})
        else:
            cy = rng.int(0, H - 1)
            cx = rng.int(0, W - 1)
            y0 = cy - h // 2
            x0 = cx - w // 2
            top = _clamp(y0, 0, H)
            left = _clamp(x0, 0, W)
            boxes.append({"top": top, "left": left, "height": _clamp(y0 + h, 0, H) - top, "width": _clamp(x0 + w, 0, W) - left})
    return {"boxes": boxes}


def _sample_mixup(rng, p, ctx, index):
    partner = _draw_partner(rng.fork("partner"), ctx, index)
    return {"partner": partner, "lambda": rng.fork("lambda").beta(p["alpha"], p["alpha"])}


def _sample_cutmix(rng, p, ctx, index):
    H, W = ctx["height"], ctx["width"]
    partner = _draw_partner(rng.fork("partner"), ctx, index)
    box_rng = rng.fork("box")
    lambda0 = box_rng.beta(p["alpha"], p["alpha"])
    cut = math.sqrt(1 - lambda0)
    h = js_round(H * cut)
    w = js_round(W * cut)
    cy = box_rng.int(0, H - 1)
    cx = box_rng.int(0, W - 1)
    y0 = cy - h // 2
    x0 = cx - w // 2
    top = _clamp(y0, 0, H)
    left = _clamp(x0, 0, W)
    box = {"top": top, "left": left, "height": _clamp(y0 + h, 0, H) - top, "width": _clamp(x0 + w, 0, W) - left}
    return {"partner": partner, "lambda": 1 - (box["height"] * box["width"]) / (H * W), "box": box}


def _no_params(rng, p, ctx, index):
    return {}


# RandAugment (shared/augment/kinds/randAugment.ts): each op's params at strength m = M / MAX_MAGNITUDE, the kinds'
# atMagnitude (shared/augment/kinds/*.ts), in the same floating-point operations.
MAX_MAGNITUDE = 10
AT_MAGNITUDE = {
    "rotation": lambda m: {"degrees": [-30 * m, 30 * m], "fill": 0, "interpolation": "bilinear"},
    "translation": lambda m: {"x": [-0.3 * m, 0.3 * m], "y": [-0.3 * m, 0.3 * m], "fill": 0},
    "colorJitter": lambda m: {"brightness": [1 - 0.9 * m, 1 + 0.9 * m], "contrast": [1 - 0.9 * m, 1 + 0.9 * m],
                              "saturation": [1 - 0.9 * m, 1 + 0.9 * m], "hue": [0, 0]},
    "grayscale": lambda m: {},
    "cutout": lambda m: {"size": [max(0.01, 0.4 * m), max(0.01, 0.4 * m)], "count": 1, "fill": 0, "placement": "anywhere"},
}


def op_params(kind, magnitude):
    """The params of RandAugment op kind at magnitude M (0..MAX_MAGNITUDE)."""
    if kind not in AT_MAGNITUDE:
        raise AugmentError("RandAugment: %s has no magnitude scale and cannot be drawn (choose from %s)" % (kind, ", ".join(AT_MAGNITUDE)))
    return AT_MAGNITUDE[kind](magnitude / MAX_MAGNITUDE)


def _sample_rand_augment(rng, p, ctx, index):
    ops = []
    for j in range(p["n"]):
        slot = rng.fork("op:%d" % j)
        kind = p["ops"][slot.int(0, len(p["ops"]) - 1)]
        ops.append({"kind": kind, "sample": SAMPLERS[kind](slot.fork("params"), op_params(kind, p["magnitude"]), ctx, index)})
    return {"ops": ops}


SAMPLERS = {
    "horizontalFlip": _no_params,
    "verticalFlip": _no_params,
    "randomResizedCrop": _sample_rrc,
    "randomCrop": _sample_random_crop,
    "rotation": lambda rng, p, ctx, index: {"angle": _draw_range(rng, p["degrees"])},
    "translation": _sample_translation,
    "colorJitter": lambda rng, p, ctx, index: {
        "brightness": _draw_range(rng, p["brightness"]),
        "contrast": _draw_range(rng, p["contrast"]),
        "saturation": _draw_range(rng, p["saturation"]),
        "hue": _draw_range(rng, p["hue"]),
    },
    "grayscale": _no_params,
    "cutout": _sample_cutout,
    "mixup": _sample_mixup,
    "cutmix": _sample_cutmix,
    "normalize": _no_params,
    "randAugment": _sample_rand_augment,
}


def check_pipeline(pipeline, channels):
    """The checks that matter here (the studio validated the document when the run was made)."""
    for step in pipeline.get("steps", []):
        kind = step.get("kind")
        if kind not in KINDS:
            raise AugmentError("Augmentation step %s has kind %r, which this export does not know (known: %s)" % (step.get("id"), kind, ", ".join(KINDS)))
        if kind == "normalize" and step.get("enabled", True):
            for key in ("mean", "std"):
                n = len(step["params"][key])
                if n not in (1, channels):
                    raise AugmentError("Normalize: %s must have 1 or %d values (one per channel), received %r" % (key, channels, step["params"][key]))
        if kind == "randAugment" and step.get("enabled", True):
            for op in step["params"]["ops"]:
                if op not in AT_MAGNITUDE:
                    raise AugmentError("RandAugment: ops lists %r, which cannot be drawn (choose from %s)" % (op, ", ".join(AT_MAGNITUDE)))


def sample_step(rng, step, ctx):
    """One step's record for the batch; rng is the step's stream (shared/augment/sample.ts sampleStep)."""
    sampler = SAMPLERS[step["kind"]]
    p = step["p"]
    if sampler is _no_params and (p >= 1 or p <= 0):
        # No coin and no parameters: the record needs no random stream (forking draws nothing).
        return {"id": step["id"], "kind": step["kind"], "samples": [{"applied": p >= 1} for _ in range(ctx["batchSize"])]}
    samples = []
    for index in range(ctx["batchSize"]):
        sample_rng = rng.fork("sample:%d" % index)
        applied = p >= 1 or (p > 0 and sample_rng.fork("p").float() < p)
        if applied:
            record = dict(sampler(sample_rng.fork("params"), step["params"], ctx, index))
            record["applied"] = True
            samples.append(record)
        else:
            samples.append({"applied": False})
    return {"id": step["id"], "kind": step["kind"], "samples": samples}


def sample_pipeline(seed, pipeline, ctx, batch_index=0):
    """The replay record of one batch (shared/augment/sample.ts samplePipeline): same seed, same draws."""
    root = create_rng(seed).fork("batch:%d" % batch_index)
    steps = [sample_step(root.fork("step:%s" % s["id"]), s, ctx) for s in pipeline.get("steps", []) if s.get("enabled", True)]
    return {"format": 1, "seed": seed, "batchIndex": batch_index, "ctx": dict(ctx), "steps": steps}


# ------------------------------------------------------------------ applying (shared/augment/apply/*.ts), NCHW

def _applied(samples, device):
    return torch.tensor([bool(s["applied"]) for s in samples], device=device)


def _select(samples, transformed, original):
    if all(s["applied"] for s in samples):
        return transformed
    mask = _applied(samples, original.device).view(-1, 1, 1, 1)
    return torch.where(mask, transformed, original)


def _per_sample(values, like):
    return torch.tensor(values, dtype=torch.float32, device=like.device).view(-1, 1, 1, 1)


def _crop_and_resize(images, boxes, out_h, out_w, method):
    """tf.image.cropAndResize (CPU kernel) for pixel boxes mapped as shared/augment/ops.ts pixelBoxToCropBox:
    box coordinates rounded to float32, sampling positions and bilinear weights in float64, result float32."""
    n, c, H, W = images.shape
    sy = H - 1 if H > 1 else 1
    sx = W - 1 if W > 1 else 1
    dev = images.device
    out = torch.empty((n, c, out_h, out_w), dtype=torch.float32, device=dev)
    src = images.to(torch.float64)
    for b, box in enumerate(boxes):
        y1, x1, y2, x2 = np.array([box["top"] / sy, box["left"] / sx, (box["top"] + box["height"] - 1) / sy,
                                   (box["left"] + box["width"] - 1) / sx], dtype=np.float32).astype(np.float64)
        hs = (y2 - y1) * (H - 1) / (out_h - 1) if out_h > 1 else 0.0
        ws = (x2 - x1) * (W - 1) / (out_w - 1) if out_w > 1 else 0.0
        ys = np.array([y1 * (H - 1) + y * hs if out_h > 1 else 0.5 * (y1 + y2) * (H - 1) for y in range(out_h)])
        xs = np.array([x1 * (W - 1) + x * ws if out_w > 1 else 0.5 * (x1 + x2) * (W - 1) for x in range(out_w)])
        if method == "nearest":
            yi = torch.as_tensor(np.floor(ys + 0.5).astype(np.int64), device=dev)
            xi = torch.as_tensor(np.floor(xs + 0.5).astype(np.int64), device=dev)
            out[b] = images[b][:, yi][:, :, xi]
        else:
            top, bottom = np.floor(ys).astype(np.int64), np.ceil(ys).astype(np.int64)
            left, right = np.floor(xs).astype(np.int64), np.ceil(xs).astype(np.int64)
            yl = torch.as_tensor(ys - top, device=dev).view(1, -1, 1)
            xl = torch.as_tensor(xs - left, device=dev).view(1, 1, -1)
            t, bo = torch.as_tensor(top, device=dev), torch.as_tensor(bottom, device=dev)
            l, r = torch.as_tensor(left, device=dev), torch.as_tensor(right, device=dev)
            img = src[b]
            tl, tr = img[:, t][:, :, l], img[:, t][:, :, r]
            bl, br = img[:, bo][:, :, l], img[:, bo][:, :, r]
            upper = tl + (tr - tl) * xl
            lower = bl + (br - bl) * xl
            out[b] = (upper + (lower - upper) * yl).to(torch.float32)
    return out


def rotation_matrix(angle_deg, height, width):
    """Output->input matrix [a0, a1, a2, b0, b1, b2] (shared/augment/kinds/geometric.ts rotationMatrix)."""
    t = angle_deg * math.pi / 180
    cos, sin = math.cos(t), math.sin(t)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]


def warp_affine(images, matrices, fill, interpolation):
    """shared/augment/ops.ts warpAffine, in float32 with the same operation order."""
    n, c, h, w = images.shape
    dev = images.device
    m = torch.tensor(matrices, dtype=torch.float32, device=dev)
    col = lambda k: m[:, k].view(n, 1, 1)
    xs = torch.arange(w, dtype=torch.float32, device=dev).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=dev).view(1, h, 1)
    src_x = col(0) * xs + col(1) * ys + col(2)
    src_y = col(3) * xs + col(4) * ys + col(5)
    flat = images.reshape(n, c, h * w)

    def in_range(t, size):
        return ((t >= 0) & (t <= size - 1)).to(torch.float32)

    def clamp_idx(t, size):
        return t.clamp(0, size - 1).to(torch.int64)

    def tap(row_start, xi):
        idx = (row_start + xi).reshape(n, 1, h * w).expand(n, c, h * w)
        return torch.gather(flat, 2, idx)

    def weight(t):
        return t.reshape(n, 1, h * w)

    if interpolation == "nearest":
        xi, yi = torch.round(src_x), torch.round(src_y)
        coverage = weight(in_range(xi, w) * in_range(yi, h))
        out = tap(clamp_idx(yi, h) * w, clamp_idx(xi, w)) * coverage
    else:
        x0, y0 = torch.floor(src_x), torch.floor(src_y)
        x1, y1 = x0 + 1, y0 + 1
        fx, fy = src_x - x0, src_y - y0
        wx0 = (1 - fx) * in_range(x0, w)
        wx1 = fx * in_range(x1, w)
        wy0 = (1 - fy) * in_range(y0, h)
        wy1 = fy * in_range(y1, h)
        row0, row1 = clamp_idx(y0, h) * w, clamp_idx(y1, h) * w
        xc0, xc1 = clamp_idx(x0, w), clamp_idx(x1, w)
        w00, w01, w10, w11 = weight(wy0 * wx0), weight(wy0 * wx1), weight(wy1 * wx0), weight(wy1 * wx1)
        out = tap(row0, xc0) * w00 + tap(row0, xc1) * w01 + tap(row1, xc0) * w10 + tap(row1, xc1) * w11
        coverage = w00 + w01 + w10 + w11
    if fill != 0:
        out = out + (1 - coverage) * fill
    return out.reshape(n, c, h, w)


def box_mask(boxes_per_sample, height, width, device):
    """[N, 1, H, W] float mask, 1 inside any of the sample's boxes."""
    mask = torch.zeros((len(boxes_per_sample), 1, height, width), dtype=torch.float32, device=device)
    for i, boxes in enumerate(boxes_per_sample):
        for b in boxes:
            mask[i, :, b["top"]:b["top"] + b["height"], b["left"]:b["left"] + b["width"]] = 1
    return mask


def rgb_to_gray(x):
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return r * GRAY_WEIGHTS[0] + g * GRAY_WEIGHTS[1] + b * GRAY_WEIGHTS[2]


def rgb_to_hsv(x):
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    maxc = torch.maximum(torch.maximum(r, g), b)
    minc = torch.minimum(torch.minimum(r, g), b)
    delta = maxc - minc
    has_chroma = delta > 0
    safe_delta = torch.where(has_chroma, delta, torch.ones_like(delta))
    safe_max = torch.where(maxc > 0, maxc, torch.ones_like(maxc))
    s = torch.where(maxc > 0, delta / safe_max, torch.zeros_like(maxc))
    rc, gc, bc = (maxc - r) / safe_delta, (maxc - g) / safe_delta, (maxc - b) / safe_delta
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, rc - bc + 2, gc - rc + 4))
    h = h / 6
    h = h - torch.floor(h)
    h = torch.where(has_chroma, h, torch.zeros_like(h))
    return h, s, maxc


def hsv_to_rgb(h, s, v):
    h6 = h * 6

    def channel(offset):
        k_raw = h6 + offset
        k = k_raw - torch.floor(k_raw / 6) * 6
        m = torch.minimum(k, 4 - k).clamp(0, 1)
        return v - v * s * m

    return torch.cat([channel(5), channel(3), channel(1)], 1)


def _partners(samples):
    return [s["partner"] if s["applied"] else i for i, s in enumerate(samples)]


def _mix_labels(labels, samples):
    lam = torch.tensor([s["lambda"] if s["applied"] else 1.0 for s in samples], dtype=torch.float32, device=labels.device).view(-1, 1)
    return labels * lam + labels[_partners(samples)] * (1 - lam)


def _flip_h(x, y, p, samples, ctx):
    return _select(samples, torch.flip(x, [3]), x), y


def _flip_v(x, y, p, samples, ctx):
    return _select(samples, torch.flip(x, [2]), x), y


def _rrc(x, y, p, samples, ctx):
    H, W = ctx["height"], ctx["width"]
    full = {"top": 0, "left": 0, "height": H, "width": W}
    boxes = [s if s["applied"] else full for s in samples]
    return _select(samples, _crop_and_resize(x, boxes, H, W, p["interpolation"]), x), y


def _random_crop(x, y, p, samples, ctx):
    H, W = ctx["height"], ctx["width"]
    pad = p["padding"]
    if pad == 0:
        return x, y
    if p["paddingMode"] == "reflect":
        padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="reflect")
    else:
        padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="constant", value=float(p["fill"]))
    out = torch.stack([padded[i, :, s["top"]:s["top"] + H, s["left"]:s["left"] + W] if s["applied"] else x[i]
                       for i, s in enumerate(samples)])
    return out, y


def _rotation(x, y, p, samples, ctx):
    matrices = [rotation_matrix(s["angle"] if s["applied"] else 0, ctx["height"], ctx["width"]) for s in samples]
    return _select(samples, warp_affine(x, matrices, p["fill"], p["interpolation"]), x), y


def _translation(x, y, p, samples, ctx):
    H, W = ctx["height"], ctx["width"]
    shifts = [(s["dx"], s["dy"]) if s["applied"] else (0, 0) for s in samples]
    pad = max([0] + [max(abs(dx), abs(dy)) for dx, dy in shifts])
    if pad == 0:
        return x, y
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="constant", value=float(p["fill"]))
    out = torch.stack([padded[i, :, pad - dy:pad - dy + H, pad - dx:pad - dx + W] for i, (dx, dy) in enumerate(shifts)])
    return _select(samples, out, x), y


def _color_jitter(x0, y, p, samples, ctx):
    pick = lambda key, identity: [s[key] if s["applied"] else identity for s in samples]
    brightness, contrast = pick("brightness", 1), pick("contrast", 1)
    saturation, hue = pick("saturation", 1), pick("hue", 0)
    rgb = ctx["channels"] == 3
    x = x0
    if any(v != 1 for v in brightness):
        x = (x * _per_sample(brightness, x)).clamp(0, 1)
    if any(v != 1 for v in contrast):
        grey = rgb_to_gray(x) if rgb else x
        mean = grey.mean(dim=(1, 2, 3), keepdim=True)
        c = _per_sample(contrast, x)
        x = (x * c + mean * (1 - c)).clamp(0, 1)
    if rgb and any(v != 1 for v in saturation):
        s = _per_sample(saturation, x)
        x = (x * s + rgb_to_gray(x) * (1 - s)).clamp(0, 1)
    if rgb and any(v != 0 for v in hue):
        h, s, v = rgb_to_hsv(x)
        shifted = h + _per_sample(hue, x)
        x = hsv_to_rgb(shifted - torch.floor(shifted), s, v).clamp(0, 1)
    return _select(samples, x, x0), y


def _grayscale(x, y, p, samples, ctx):
    if ctx["channels"] != 3:
        return x, y
    return _select(samples, rgb_to_gray(x).repeat(1, 3, 1, 1), x), y


def _cutout(x, y, p, samples, ctx):
    mask = box_mask([s["boxes"] if s["applied"] else [] for s in samples], ctx["height"], ctx["width"], x.device) > 0
    return torch.where(mask.expand_as(x), torch.full_like(x, float(p["fill"])), x), y


def _mixup(x, y, p, samples, ctx):
    lam = _per_sample([s["lambda"] if s["applied"] else 1.0 for s in samples], x)
    mixed = x * lam + x[_partners(samples)] * (1 - lam)
    return _select(samples, mixed, x), _mix_labels(y, samples)


def _cutmix(x, y, p, samples, ctx):
    mask = box_mask([[s["box"]] if s["applied"] else [] for s in samples], ctx["height"], ctx["width"], x.device) > 0
    return torch.where(mask.expand_as(x), x[_partners(samples)], x), _mix_labels(y, samples)


def _normalize(x, y, p, samples, ctx):
    C = ctx["channels"]
    expand = lambda v: [v[0]] * C if len(v) == 1 else list(v)
    mean = torch.tensor(expand(p["mean"]), dtype=torch.float32, device=x.device).view(1, C, 1, 1)
    std = torch.tensor(expand(p["std"]), dtype=torch.float32, device=x.device).view(1, C, 1, 1)
    return _select(samples, (x - mean) / std, x), y


def _rand_augment(x, y, p, samples, ctx):
    """Op slot j = 0..N-1 in turn: each kind drawn in that slot is applied once to the batch, for the images that
    drew it (shared/augment/apply/randAugment.ts), so each image gets its ops in its drawn order."""
    for j in range(p["n"]):
        drawn = []
        for s in samples:
            kind = s["ops"][j]["kind"] if s["applied"] and j < len(s["ops"]) else None
            if kind is not None and kind not in drawn:
                drawn.append(kind)
        for kind in drawn:
            if kind not in AT_MAGNITUDE:
                raise AugmentError("RandAugment record names the kind %r, which it cannot draw" % kind)
            records = [dict(s["ops"][j]["sample"], applied=True)
                       if s["applied"] and j < len(s["ops"]) and s["ops"][j]["kind"] == kind else {"applied": False}
                       for s in samples]
            x, y = APPLY[kind](x, y, op_params(kind, p["magnitude"]), records, ctx)
    return x, y


APPLY = {
    "horizontalFlip": _flip_h,
    "verticalFlip": _flip_v,
    "randomResizedCrop": _rrc,
    "randomCrop": _random_crop,
    "rotation": _rotation,
    "translation": _translation,
    "colorJitter": _color_jitter,
    "grayscale": _grayscale,
    "cutout": _cutout,
    "mixup": _mixup,
    "cutmix": _cutmix,
    "normalize": _normalize,
    "randAugment": _rand_augment,
}


def apply_pipeline(images, labels, pipeline, record):
    """Applies a record (sample_pipeline's, or the studio's) to images [N, C, H, W] and labels [N, K]."""
    ctx = record["ctx"]
    expected = (ctx["batchSize"], ctx["channels"], ctx["height"], ctx["width"])
    if tuple(images.shape) != expected:
        raise AugmentError("Augmentation: images must have shape %r (N, C, H, W), received %r" % (expected, tuple(images.shape)))
    enabled = [s for s in pipeline.get("steps", []) if s.get("enabled", True)]
    if [(s["id"], s["kind"]) for s in enabled] != [(r["id"], r["kind"]) for r in record["steps"]]:
        raise AugmentError("Augmentation record does not match the pipeline's enabled steps")
    x, y = images, labels
    for step, rec in zip(enabled, record["steps"]):
        if not any(s["applied"] for s in rec["samples"]):
            continue
        x, y = APPLY[step["kind"]](x, y, step["params"], rec["samples"], ctx)
    return x, y


def augment_batch(images, labels, pipeline, seed, step):
    """Sample, then apply: what training step step (0-based, global) of a run seeded seed feeds the model."""
    if pipeline is None or not any(s.get("enabled", True) for s in pipeline.get("steps", [])):
        return images, labels
    n, c, h, w = images.shape
    record = sample_pipeline(seed, pipeline, {"height": h, "width": w, "channels": c, "batchSize": n}, step)
    return apply_pipeline(images, labels, pipeline, record)


def eval_pipeline(pipeline):
    """Validation and test apply only the enabled normalize steps (shared/train/preprocess.ts evalPipeline)."""
    if pipeline is None:
        return None
    steps = [s for s in pipeline.get("steps", []) if s.get("enabled", True) and s["kind"] == "normalize"]
    return dict(pipeline, steps=steps) if steps else None
`
