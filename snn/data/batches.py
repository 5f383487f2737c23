"""Training batches in an order that depends only on the seed, the epoch and the step.

Keras shuffles arrays with a random state that lives inside its input pipeline, so a run
restarted from a checkpoint would see other batches than the run left alone. Here the order
of epoch `e` is the permutation drawn by `numpy.random.default_rng([seed, e])`, so a resumed
run trains on exactly the batches the uninterrupted run would have.
"""

import keras
import numpy as np


def even_rows(rows, multiple_of):
    """How many of `rows` examples split into batches whose sizes are multiples of
    `multiple_of` (the replicas of JAX data parallelism): the rest is left out.

    Args:
        rows: int, examples.
        multiple_of: int >= 1.

    Returns:
        int, the largest multiple of `multiple_of` not above `rows`.
    """
    return rows - rows % multiple_of


def steps_per_epoch(rows, batch_size, multiple_of=1):
    """Training steps in an epoch of `EpochBatches` (the last may be short).

    Args:
        rows: int, training examples.
        batch_size: int, examples per step.
        multiple_of: int, as for `EpochBatches`.

    Returns:
        int.
    """
    return -(-even_rows(rows, multiple_of) // batch_size)


class EpochBatches(keras.utils.PyDataset):
    """Shuffled mini-batches, epoch after epoch, from a fixed (epoch, step) onwards.

    The data set is endless: item `i` is step `first_step + i` counted from the start of
    epoch `first_epoch` (so `fit` needs `steps_per_epoch`). Every item is computed from
    its position alone, which keeps prefetching and resuming exact.

    Args:
        x: array (n, ...), the inputs.
        y: array (n, ...), the targets.
        batch_size: int, examples per step; each epoch's last step takes the remainder.
        multiple_of: int, what every batch's size must be a multiple of (the replicas of
            JAX data parallelism): each epoch then leaves out its last `n % multiple_of`
            rows, different ones every epoch.
        seed: int, the shuffling seed.
        class_weight: {class index: weight} or None; with it each batch carries sample
            weights, `class_weight[y]`.
        shard: (index, count), ints: the part of every batch this worker feeds, of
            `count` equal parts (`snn.distributed.Topology.worker` and `.workers`); (0, 1)
            is the whole batch.
        first_epoch, first_step: int, where item 0 lies.

    Example:
    >>> batches = EpochBatches(np.zeros((10, 2)), np.zeros(10), batch_size=4, seed=0)
    >>> batches.steps_per_epoch, len(batches[2][0])
    (3, 2)
    """

    def __init__(self, x, y, batch_size, seed, class_weight=None, multiple_of=1,
                 shard=(0, 1), first_epoch=0, first_step=0):
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        self.multiple_of, self.shard = multiple_of, shard
        self.rows_per_epoch = even_rows(len(x), multiple_of)
        self.steps_per_epoch = steps_per_epoch(len(x), batch_size, multiple_of)
        self.first = first_epoch * self.steps_per_epoch + first_step
        self.weights = None
        if class_weight is not None:
            self.weights = np.zeros(max(class_weight) + 1, dtype="float32")
            self.weights[list(class_weight)] = list(class_weight.values())
        self._order = (None, None)  # (epoch, permutation) of the last epoch asked for

    def starting_at(self, epoch, step=0):
        """The same batches, with item 0 at `step` of `epoch`."""
        weights = None if self.weights is None else dict(enumerate(self.weights))
        return EpochBatches(self.x, self.y, self.batch_size, self.seed, weights,
                            self.multiple_of, self.shard, epoch, step)

    @property
    def num_batches(self):
        return None  # endless: `fit` counts steps with `steps_per_epoch`

    def __getitem__(self, index):
        epoch, step = divmod(self.first + index, self.steps_per_epoch)
        end = min((step + 1) * self.batch_size, self.rows_per_epoch)
        rows = self._permutation(epoch)[step * self.batch_size:end]
        index, count = self.shard
        part = len(rows) // count  # a multiple of each worker's devices, as is len(rows)
        rows = rows[index * part:(index + 1) * part]
        y = self.y[rows]
        if self.weights is None:
            return self.x[rows], y
        return self.x[rows], y, self.weights[y.reshape(len(rows)).astype(int)]

    def _permutation(self, epoch):
        cached_epoch, order = self._order
        if cached_epoch != epoch:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
            self._order = (epoch, order)
        return order
