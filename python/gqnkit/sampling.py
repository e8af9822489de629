"""The Swift ``DataLoader``'s order of scenes, views and context counts, ported bit for bit.

Everything here is a pure function of (seed, epoch, the split's shard record counts), keyed
by the same SplitMix64 hashing as ``Sources/DataLoader/StatelessRandom.swift``, so a Python
loader and a Swift one with the same settings choose the same scenes in the same order, the
same query and context views of each scene and the same context count of each batch.
Standard library only.
"""
import dataclasses

MASK64 = (1 << 64) - 1

# StatelessRandom.Domain: keeps the streams of different decisions apart.
SHARD_ORDER = 0x5348_4152_445F_4F52      # "SHARD_OR"
SHUFFLE_BUFFER = 0x5348_5546_5F42_5546   # "SHUF_BUF"
SCENE_VIEWS = 0x5343_454E_455F_5657      # "SCENE_VW"
CONTEXT_COUNT = 0x4354_5854_5F43_4E54    # "CTXT_CNT"


def mix(value):
    """The SplitMix64 output function: a bijective mix of 64 bits."""
    z = (value + 0x9E37_79B9_7F4A_7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK64
    return z ^ (z >> 31)


def key(domain, *parts):
    """A key for ``domain`` from the integers a decision depends on, in order."""
    state = mix(domain)
    for part in parts:
        state = mix(state ^ (part & MASK64))
    return state


def below(bound, stream, counter):
    """Draw ``counter`` of stream ``stream`` as an integer in ``0..<bound`` (multiply-high)."""
    return (mix(stream ^ mix(counter & MASK64)) * bound) >> 64


def permutation(count, stream):
    """A permutation of ``0..<count`` by Fisher-Yates, draw ``i`` being counter ``i``."""
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = below(i + 1, stream, i)
        order[i], order[j] = order[j], order[i]
    return order


def view_choice(views_per_scene, picks, seed, epoch, scene_index):
    """The views scene ``scene_index`` uses in ``epoch``: element 0 is the query, then the
    context views (a prefix: a smaller K uses a subset of a larger K's views)."""
    stream = key(SCENE_VIEWS, seed, epoch, scene_index)
    views = list(range(views_per_scene))
    for i in range(min(picks, views_per_scene)):
        j = i + below(views_per_scene - i, stream, i)
        views[i], views[j] = views[j], views[i]
    return views[:picks]


class EpochOrder:
    """The global sample order of one epoch: the shards permuted, then their records streamed
    front to back through a shuffle buffer of ``buffer_size`` (shard, record) references."""

    def __init__(self, record_counts, seed, epoch, shuffle, buffer_size):
        self.record_counts = list(record_counts)
        if shuffle:
            self.shard_order = permutation(len(self.record_counts), key(SHARD_ORDER, seed, epoch))
            self.capacity = max(1, buffer_size)
        else:
            self.shard_order = list(range(len(self.record_counts)))
            self.capacity = 1
        self.draw_key = key(SHUFFLE_BUFFER, seed, epoch)
        self.stream_shard = 0
        self.stream_record = 0
        self.buffer = []
        self.draws = 0

    def _pull(self):
        while self.stream_shard < len(self.shard_order):
            shard = self.shard_order[self.stream_shard]
            if self.stream_record < self.record_counts[shard]:
                self.stream_record += 1
                return shard, self.stream_record - 1
            self.stream_shard += 1
            self.stream_record = 0
        return None

    def next(self):
        """The next (shard ordinal, record) of the epoch, or None after the last."""
        buffer = self.buffer
        while len(buffer) < self.capacity:
            sample = self._pull()
            if sample is None:
                break
            buffer.append(sample)
        if not buffer:
            return None
        slot = below(len(buffer), self.draw_key, self.draws)
        self.draws += 1
        out = buffer[slot]
        refill = self._pull()
        if refill is not None:
            buffer[slot] = refill
        else:
            buffer[slot], buffer[-1] = buffer[-1], buffer[slot]
            buffer.pop()
        return out


@dataclasses.dataclass(frozen=True)
class LoaderState:
    """Where a stream stands: the epoch, and the scenes of its global order that all ranks
    together have consumed. Save it with a checkpoint; pass it back to resume exactly there."""

    epoch: int
    position: int
    seed: int
    scene_count: int

    def to_json(self):
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed, "sceneCount": self.scene_count}


@dataclasses.dataclass(frozen=True)
class BatchPlan:
    """One batch to build: its records as (shard ordinal, record), K, and the state after it."""

    epoch: int
    batch_number: int
    context_count: int
    samples: tuple
    state_after: LoaderState


@dataclasses.dataclass(frozen=True)
class LoaderSettings:
    """The settings of the order (the Swift ``LoaderConfiguration``'s fields that shape it).

    ``context`` is an int K, or a (low, high) pair: K drawn per batch uniformly from
    ``low..high`` inclusive, keyed by (seed, epoch, batch number): every rank draws the same K.
    """

    batch_size: int = 16
    context: object = 3
    seed: int = 0
    shuffle: bool = True
    shuffle_buffer_size: int = 10_000
    rank: int = 0
    world_size: int = 1
    drop_last: bool = False
    first_epoch: int = 0
    epochs: object = 1  # an int, or None for no end

    @property
    def context_range(self):
        return (self.context, self.context) if isinstance(self.context, int) else tuple(self.context)

    def validate(self):
        low, high = self.context_range
        checks = [
            ("batch_size", self.batch_size >= 1, "at least 1", self.batch_size),
            ("context", 1 <= low <= high, "K >= 1 (or a range (1, Kmax))", self.context),
            ("shuffle_buffer_size", self.shuffle_buffer_size >= 1, "at least 1", self.shuffle_buffer_size),
            ("world_size", self.world_size >= 1, "at least 1", self.world_size),
            ("rank", 0 <= self.rank < self.world_size, f"0..<{self.world_size}", self.rank),
            ("first_epoch", self.first_epoch >= 0, "at least 0", self.first_epoch),
            ("epochs", self.epochs is None or self.epochs >= 0, "at least 0 or None", self.epochs),
            ("seed", 0 <= self.seed <= MASK64, "an unsigned 64-bit integer", self.seed),
        ]
        for name, ok, expected, found in checks:
            if not ok:
                raise ValueError(f"{name}: expected {expected}, found {found}")


def _owned(scene_count, start, s):
    """Scenes rank r owns from position ``start``: the j with start + r + n j < N."""
    remaining = scene_count - start - s.rank
    return 0 if remaining <= 0 else (remaining + s.world_size - 1) // s.world_size


def _batches(scene_count, start, s):
    if s.drop_last:
        return max(0, scene_count - start) // (s.world_size * s.batch_size)
    return (_owned(scene_count, start, s) + s.batch_size - 1) // s.batch_size


def plan_batches(record_counts, settings, state=None):
    """Yields this rank's :class:`BatchPlan` s, epoch after epoch (the Swift ``BatchPlanner``).

    Rank r of n owns the global positions P + r + n j of each epoch's order (P: the position
    the epoch started from); its batch i holds the j in i B ..< (i + 1) B.
    """
    s = settings
    s.validate()
    record_counts = list(record_counts)
    scene_count = sum(record_counts)
    end_epoch = None if s.epochs is None else s.first_epoch + s.epochs
    start = state or LoaderState(s.first_epoch, 0, s.seed, scene_count)
    if start.seed != s.seed:
        raise ValueError(f"state.seed: expected {s.seed} (the settings'), found {start.seed}")
    if start.scene_count != scene_count:
        raise ValueError(f"state.scene_count: expected {scene_count} (the split's), found {start.scene_count}")
    if start.epoch < 0 or not 0 <= start.position <= scene_count:
        raise ValueError(f"state: expected epoch >= 0 and position in 0...{scene_count}, found {start}")
    if s.epochs is None and _batches(scene_count, 0, s) == 0:
        raise ValueError(f"batch_size: expected a batch for rank {s.rank} of {s.world_size} per epoch, found "
                         f"{scene_count} scenes with batch size {s.batch_size}")
    low, high = s.context_range
    stride = s.world_size * s.batch_size
    epoch, start_position = start.epoch, start.position
    while end_epoch is None or epoch < end_epoch:
        order = EpochOrder(record_counts, s.seed, epoch, s.shuffle, s.shuffle_buffer_size)
        position = 0
        owned = _owned(scene_count, start_position, s)
        count = _batches(scene_count, start_position, s)
        while position < start_position and order.next() is not None:
            position += 1
        for planned in range(count):
            samples = []
            first = planned * s.batch_size
            for j in range(first, first + min(s.batch_size, owned - first)):
                target = start_position + s.rank + s.world_size * j
                while position < target and order.next() is not None:
                    position += 1
                sample = order.next()
                if sample is None:
                    break
                position += 1
                samples.append(sample)
            batch_number = start_position // stride + planned
            if planned + 1 >= count:
                after = LoaderState(epoch + 1, 0, s.seed, scene_count)
            else:
                after = LoaderState(epoch, min(scene_count, start_position + (planned + 1) * stride), s.seed, scene_count)
            if low == high:
                k = low
            else:
                k = low + below(high - low + 1, key(CONTEXT_COUNT, s.seed, epoch, 0, batch_number), 0)
            yield BatchPlan(epoch, batch_number, k, tuple(samples), after)
        epoch += 1
        start_position = 0
