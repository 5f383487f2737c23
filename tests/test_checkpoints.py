import math

import keras
import numpy as np
import pytest

from snn.checkpoints import Checkpointing, fingerprint
from snn.errors import DataError, TrainingError
from snn.models import build_model


class _NoStop:
    signum = None


def _trained_model(seed):
    model = build_model("snn_mlp", input_shape=(5,), num_outputs=3, seed=seed, depth=2,
                        units=8, dropout_rate=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(seed)
    model.fit(rng.standard_normal((64, 5)), rng.integers(0, 3, 64), epochs=1, verbose=0)
    return model


def _checkpointing(path, data="d"):
    return Checkpointing(path, interval=1, resumables=[], data=data, stop=_NoStop())


def test_a_checkpoint_restores_weights_seed_states_optimizer_and_position(tmp_path):
    source = _trained_model(seed=0)
    saving = _checkpointing(tmp_path / "c.npz")
    saving.set_model(source)
    saving.epoch, saving.seconds = 3, 1.5
    saving.save()
    target = _trained_model(seed=1)  # other weights, other dropout seed states, other Adam
    loading = _checkpointing(tmp_path / "c.npz")
    assert loading.restore(target, batch=None)
    assert (loading.epoch, loading.step, loading.seconds, loading.saved_epoch) == (3, 0, 1.5, 3)
    paths = [v.path for v in source.variables]
    assert any("seed_generator_state" in path for path in paths)
    for kept, restored in zip(source.variables + source.optimizer.variables,
                              target.variables + target.optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(kept),
                                      keras.ops.convert_to_numpy(restored))


def test_no_checkpoint_means_a_fresh_start(tmp_path):
    loading = _checkpointing(tmp_path / "none.npz")
    assert not loading.restore(_trained_model(0), batch=None)
    assert (loading.epoch, loading.step) == (0, 0)


def test_changed_data_or_a_damaged_file_is_refused(tmp_path):
    saving = _checkpointing(tmp_path / "c.npz", data="old")
    saving.set_model(_trained_model(0))
    saving.save()
    with pytest.raises(DataError, match="c.npz: the data differ from those the run started "
                                        "with; start it again with --overwrite"):
        _checkpointing(tmp_path / "c.npz", data="new").restore(_trained_model(0), None)
    (tmp_path / "c.npz").write_bytes((tmp_path / "c.npz").read_bytes()[:100])
    with pytest.raises(DataError, match="c.npz: cannot read the checkpoint"):
        _checkpointing(tmp_path / "c.npz", data="old").restore(_trained_model(0), None)


def test_a_non_finite_loss_names_the_step_and_keeps_the_last_checkpoint(tmp_path):
    checkpointing = _checkpointing(tmp_path / "c.npz")
    checkpointing.set_model(_trained_model(0))
    checkpointing.on_epoch_end(2)  # epoch 3 ends: checkpoint written
    stamp = (tmp_path / "c.npz").stat().st_mtime_ns
    checkpointing.on_epoch_begin(3)
    checkpointing.on_train_batch_end(0, {"loss": 2.5})
    with pytest.raises(TrainingError, match=r"the loss became nan in epoch 4, step 2 at learning "
                                            r"rate 0.01 \(training diverged; the checkpoint of "
                                            r"epoch 3 is kept\)"):
        checkpointing.on_train_batch_end(1, {"loss": math.nan})
    assert (tmp_path / "c.npz").stat().st_mtime_ns == stamp


def test_the_fingerprint_changes_with_values_shape_or_dtype():
    x = np.arange(6, dtype="float32")
    prints = {fingerprint(x), fingerprint(x.reshape(2, 3)), fingerprint(x.astype("float64")),
              fingerprint(x + 1)}
    assert len(prints) == 4 and fingerprint(x.copy()) == fingerprint(x)
