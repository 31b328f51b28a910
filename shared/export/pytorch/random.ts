/**
 * `studio_random.py`: the studio's seeded generator (shared/random: sfc32 seeded by cyrb128 / splitmix32, `fork`
 * by label) ported to Python, so that the exported project draws the same data order and the same augmentation
 * parameters as the studio for the same seed. tests/shared/export/pytorch-augment.test.ts compares the draws.
 */
import type { ExportFile } from './part'

const RANDOM_PY = String.raw`"""The studio's seeded random generator (shared/random/rng.ts), ported: same seed, same numbers.

sfc32 (128-bit state) seeded by cyrb128 (strings, non-integer numbers) or a splitmix32 chain (32-bit integers),
warmed up 12 rounds. fork(label) derives a child stream from the parent's seed key and the label only.
"""
import math

_M = 0xFFFFFFFF
_TWO_POW_32 = 4294967296
_TWO_POW_53 = 9007199254740992


def _imul(a, b):
    return (a * b) & _M


def splitmix32(x):
    z = (x + 0x9E3779B9) & _M
    z = _imul(z ^ (z >> 16), 0x85EBCA6B)
    z = _imul(z ^ (z >> 13), 0xC2B2AE35)
    return (z ^ (z >> 16)) & _M


_CYRB_INIT = (1779033703, 3144134277, 1013904242, 2773480762)


def _cyrb_feed(state, text):
    """cyrb128's loop over the UTF-16 code units of text (JavaScript's charCodeAt), from a saved state."""
    h1, h2, h3, h4 = state
    M = _M
    for k in memoryview(text.encode("utf-16-le")).cast("H"):
        h1 = h2 ^ (((h1 ^ k) * 597399067) & M)
        h2 = h3 ^ (((h2 ^ k) * 2869860233) & M)
        h3 = h4 ^ (((h3 ^ k) * 951274213) & M)
        h4 = h1 ^ (((h4 ^ k) * 2716044179) & M)
    return h1, h2, h3, h4


def _cyrb_finish(state):
    h1, h2, h3, h4 = state
    h1 = _imul(h3 ^ (h1 >> 18), 597399067)
    h2 = _imul(h4 ^ (h2 >> 22), 2869860233)
    h3 = _imul(h1 ^ (h3 >> 17), 951274213)
    h4 = _imul(h2 ^ (h4 >> 19), 2716044179)
    h1 ^= h2 ^ h3 ^ h4
    h2 ^= h1
    h3 ^= h1
    h4 ^= h1
    return [h1 & _M, h2 & _M, h3 & _M, h4 & _M]


def cyrb128(text):
    return _cyrb_finish(_cyrb_feed(_CYRB_INIT, text))


def js_number_text(value):
    """String(value) as JavaScript writes a number (integers without '.0')."""
    if isinstance(value, bool):
        raise TypeError("a seed cannot be a boolean")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _key_from_seed(seed):
    if isinstance(seed, str):
        return cyrb128("s:" + seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, float)) or not math.isfinite(seed):
        raise ValueError("Random seed must be a finite number or a string, received %r" % (seed,))
    if float(seed).is_integer() and abs(seed) <= 0xFFFFFFFF:
        s = int(seed)
        a = splitmix32(s & _M)
        b = splitmix32(a ^ (0x5BD1E995 if s < 0 else 0))
        c = splitmix32(b)
        d = splitmix32(c)
        return [a, b, c, d]
    return cyrb128("n:" + js_number_text(seed))


def js_round(x):
    """Math.round: halves go up (towards +infinity)."""
    r = math.floor(x)
    return int(r + 1 if x - r >= 0.5 else r)


class Rng:
    """shared/random's Rng: same methods, same sequences."""

    __slots__ = ("_key", "_a", "_b", "_c", "_d", "_fork_prefix")

    def __init__(self, key):
        self._key = list(key)
        self._fork_prefix = None
        a, b, c, d = key
        M = _M
        for _ in range(12):  # warm-up: 12 sfc32 steps (uint32 inlined)
            t = (a + b + d) & M
            d = (d + 1) & M
            a = b ^ (b >> 9)
            b = (c + (c << 3)) & M
            c = ((((c << 21) | (c >> 11)) & M) + t) & M
        self._a, self._b, self._c, self._d = a, b, c, d

    @staticmethod
    def create(seed):
        return Rng(_key_from_seed(seed))

    def fork(self, label):
        """cyrb128("k0.k1.k2.k3/<typeof label>:<label>"); the hash state after the key prefix is kept per stream."""
        if self._fork_prefix is None:
            self._fork_prefix = _cyrb_feed(_CYRB_INIT, "%d.%d.%d.%d/" % tuple(self._key))
        if isinstance(label, str):
            text = "string:" + label
        else:
            text = "number:" + js_number_text(label)
        return Rng(_cyrb_finish(_cyrb_feed(self._fork_prefix, text)))

    def uint32(self):
        a, b, c, d = self._a, self._b, self._c, self._d
        t = (a + b + d) & _M
        self._d = (d + 1) & _M
        self._a = b ^ (b >> 9)
        self._b = (c + (c << 3)) & _M
        c = ((c << 21) | (c >> 11)) & _M
        self._c = (c + t) & _M
        return t

    def float(self):
        hi = self.uint32() >> 5
        lo = self.uint32() >> 6
        return (hi * 67108864 + lo) / _TWO_POW_53

    def uniform(self, lo=0.0, hi=1.0):
        if not lo <= hi:
            raise ValueError("uniform: min must not exceed max, received [%r, %r]" % (lo, hi))
        return lo + (hi - lo) * self.float()

    def int(self, lo, hi):
        if lo > hi:
            raise ValueError("int: expected integers min <= max, received [%r, %r]" % (lo, hi))
        span = hi - lo + 1
        if span > _TWO_POW_32:
            return lo + math.floor(self.float() * span)
        limit = _TWO_POW_32 - (_TWO_POW_32 % span)
        u = self.uint32()
        while u >= limit:
            u = self.uint32()
        return lo + (u % span)

    def normal(self, mean=0.0, std=1.0):
        u1 = 1 - self.float()
        u2 = self.float()
        return mean + std * math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def log_gamma(self, shape):
        if not shape > 0 or not math.isfinite(shape):
            raise ValueError("gamma: shape must be > 0, received %r" % (shape,))
        if shape < 1:
            u = 1 - self.float()
            return self.log_gamma(shape + 1) + math.log(u) / shape
        d = shape - 1 / 3
        c = 1 / math.sqrt(9 * d)
        while True:
            while True:
                x = self.normal()
                v = 1 + c * x
                if v > 0:
                    break
            v = v * v * v
            u = 1 - self.float()
            x2 = x * x
            if u < 1 - 0.0331 * x2 * x2:
                return math.log(d * v)
            if math.log(u) < 0.5 * x2 + d * (1 - v + math.log(v)):
                return math.log(d * v)

    def beta(self, a, b):
        if not a > 0 or not b > 0:
            raise ValueError("beta: a and b must be > 0, received (%r, %r)" % (a, b))
        lx = self.log_gamma(a)
        ly = self.log_gamma(b)
        diff = ly - lx
        return math.exp(-diff) / (1 + math.exp(-diff)) if diff > 0 else 1 / (1 + math.exp(diff))

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.int(0, i)
            items[i], items[j] = items[j], items[i]
        return items

    def permutation(self, n):
        return self.shuffle(list(range(n)))


def create_rng(seed):
    return Rng.create(seed)


def torch_seed(seed):
    """A 63-bit integer for torch.manual_seed / DistributedSampler from a studio seed (number or string)."""
    r = Rng.create(seed).fork("torch")
    return (r.uint32() << 31) ^ r.uint32()
`

export function randomFile(): ExportFile {
  return { path: 'studio_random.py', text: RANDOM_PY }
}
