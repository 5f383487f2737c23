import numpy as np

from snn.data.batches import EpochBatches


def _batches(**kwargs):
    x = np.arange(10, dtype="float32").reshape(10, 1)
    return EpochBatches(x, np.arange(10) % 3, batch_size=4, seed=7, **kwargs)


def test_each_epoch_is_a_fresh_permutation_in_batches_with_a_short_last_one():
    batches = _batches()
    assert batches.steps_per_epoch == 3 and batches.num_batches is None  # endless
    epochs = [np.concatenate([batches[e * 3 + s][0][:, 0] for s in range(3)]) for e in (0, 1)]
    assert [len(batches[s][0]) for s in range(3)] == [4, 4, 2]
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert not np.array_equal(epochs[0], epochs[1])


def test_the_order_depends_only_on_seed_epoch_and_step():
    full = _batches()
    resumed = full.starting_at(epoch=4, step=2)
    np.testing.assert_array_equal(resumed[0][0], full[4 * 3 + 2][0])
    np.testing.assert_array_equal(resumed[1][0], full[5 * 3][0])  # into the next epoch
    first = np.random.default_rng([7, 0]).permutation(10)[:4]
    np.testing.assert_array_equal(full[0][0][:, 0], first)


def test_class_weights_become_per_example_sample_weights():
    batches = _batches(class_weight={0: 0.5, 1: 2.0, 2: 1.0})
    x, y, weights = batches[0]
    np.testing.assert_array_equal(weights, np.array([0.5, 2.0, 1.0])[y])
    np.testing.assert_array_equal(batches.starting_at(1)[0][2], batches[3][2])


def test_each_worker_feeds_its_own_equal_part_of_every_batch():
    # Batches of 4 over 2 workers: 10 rows leave out 0 (multiple of 2), the last batch 2.
    whole = _batches(multiple_of=2)
    parts = [_batches(multiple_of=2, shard=(index, 2)) for index in (0, 1)]
    for step in (0, 2, 4):  # a full batch, an epoch's short last one, the next epoch
        halves = [part[step][0] for part in parts]
        assert len(halves[0]) == len(halves[1]) == len(whole[step][0]) // 2
        np.testing.assert_array_equal(np.concatenate(halves), whole[step][0])
    resumed = parts[1].starting_at(epoch=1, step=1)
    np.testing.assert_array_equal(resumed[0][0], parts[1][4][0])


def test_cut_to_a_multiple_of_the_batch_size_every_step_is_a_full_batch():
    # What `training.drop_remainder` asks of the trainer: 10 rows in batches of 4 make two
    # full steps an epoch, each epoch leaving out the 2 rows its shuffle puts last.
    x = np.arange(10)
    batches = EpochBatches(x, x, batch_size=4, seed=0, multiple_of=4)
    assert batches.steps_per_epoch == 2
    for epoch in range(3):
        seen = [batches[2 * epoch + step][0] for step in range(2)]
        assert [len(rows) for rows in seen] == [4, 4]
        order = np.random.default_rng([0, epoch]).permutation(10)
        assert np.array_equal(np.concatenate(seen), order[:8])
