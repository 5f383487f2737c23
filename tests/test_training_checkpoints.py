import logging
import math
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import file_identity, snn_messages
from snn.training.checkpoints import Checkpointing, discard, previous_path
from snn.distributed import Topology
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
    return Checkpointing(path, interval=1, resumables=[], data=data, stop=_NoStop(),
                         topology=Topology())


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
    written = file_identity(tmp_path / "c.npz")
    checkpointing.on_epoch_begin(3)
    checkpointing.on_train_batch_end(0, {"loss": 2.5})
    with pytest.raises(TrainingError, match=r"the loss became nan in epoch 4, step 2 at learning "
                                            r"rate 0.01 \(training diverged; the checkpoint of "
                                            r"epoch 3 is kept\)"):
        checkpointing.on_train_batch_end(1, {"loss": math.nan})
    assert file_identity(tmp_path / "c.npz") == written


def _two_checkpoints(path):
    """Checkpoints after epochs 1 and 2 of different models at `path`; returns the models'
    variables (numpy) in checkpoint order."""
    saved = []
    for epoch, seed in ((1, 0), (2, 1)):
        model = _trained_model(seed)
        saving = _checkpointing(path)
        saving.set_model(model)
        saving.epoch = epoch
        saving.save()
        saved.append([keras.ops.convert_to_numpy(v) for v in model.variables])
    return saved


def _restored(path):
    """(the checkpointing object, the variables of a model restored from `path`)."""
    loading = _checkpointing(path)
    target = _trained_model(seed=2)
    assert loading.restore(target, batch=None)
    loading.set_model(target)
    return loading, [keras.ops.convert_to_numpy(v) for v in target.variables]


def _assert_same(variables, expected):
    assert len(variables) == len(expected)
    for restored, kept in zip(variables, expected):
        np.testing.assert_array_equal(restored, kept)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def _change_one_byte(path, where):
    """Flip the bits of the byte at fraction `where` of the file."""
    content = bytearray(path.read_bytes())
    content[int(where * (len(content) - 1))] ^= 0xFF
    path.write_bytes(bytes(content))


def _change_a_weight(path):
    """Flip the bits of the last byte of the first kernel's values; the zip structure stays
    intact."""
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("model/0.npy")
    content = bytearray(path.read_bytes())
    header = member.header_offset
    # A zip local header: 30 bytes, then the name and the extra field, whose lengths are
    # the little-endian 16-bit numbers at offsets 26 and 28; then the member's bytes.
    name, extra = (int.from_bytes(content[header + at:header + at + 2], "little")
                   for at in (26, 28))
    content[header + 30 + name + extra + member.compress_size - 1] ^= 0xFF
    path.write_bytes(bytes(content))


def test_the_newest_checkpoint_keeps_the_one_before_it(tmp_path):
    first, second = _two_checkpoints(tmp_path / "c.npz")
    assert previous_path(tmp_path / "c.npz") == tmp_path / "c.previous.npz"
    _assert_same(_restored(tmp_path / "c.npz")[1], second)
    _assert_same(_restored(tmp_path / "c.previous.npz")[1], first)
    discard(tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", [_truncate, _change_a_weight, Path.unlink],
                         ids=["cut-short", "a-weight-changed", "missing"])
def test_a_damaged_newest_checkpoint_resumes_from_the_previous_one(tmp_path, caplog, damage):
    first, _ = _two_checkpoints(tmp_path / "c.npz")
    damage(tmp_path / "c.npz")
    with caplog.at_level(logging.WARNING, logger="snn"):
        loading, variables = _restored(tmp_path / "c.npz")
    _assert_same(variables, first)
    assert (loading.epoch, loading.step, loading.saved_epoch) == (1, 0, 1)
    assert snn_messages(caplog) == [
        f"{tmp_path / 'c.npz'}: {_DAMAGE[damage.__name__]}; resuming from the previous one, "
        "c.previous.npz, written after epoch 1"]
    # The damaged file is gone, so the next checkpoint keeps the good one as the previous.
    assert not (tmp_path / "c.npz").exists()
    loading.epoch = 2
    loading.save()
    _assert_same(_restored(tmp_path / "c.previous.npz")[1], first)


_DAMAGE = {
    "_truncate": "cannot read the checkpoint (File is not a zip file)",
    "_change_a_weight": "cannot read the checkpoint (Bad CRC-32 for file 'model/0.npy')",
    "unlink": "missing (the run stopped while writing it)",
}


def test_when_neither_checkpoint_reads_back_the_run_must_start_again(tmp_path):
    _two_checkpoints(tmp_path / "c.npz")
    _change_a_weight(tmp_path / "c.npz")
    _truncate(tmp_path / "c.previous.npz")
    with pytest.raises(DataError, match=r"c.npz: cannot read the checkpoint \(Bad CRC-32 for "
                                        r"file 'model/0.npy'\), nor the previous one, "
                                        r"c.previous.npz \(File is not a zip file\); start the "
                                        r"run again with --overwrite"):
        _checkpointing(tmp_path / "c.npz").restore(_trained_model(0), None)


def test_a_changed_byte_anywhere_is_refused_or_harmless(tmp_path):
    # Every array is a zip member with its CRC-32: a changed byte either makes the file
    # unreadable or lies where no value is read from (a timestamp, say), never a wrong value.
    _, saved = _two_checkpoints(tmp_path / "c.npz")
    (tmp_path / "c.previous.npz").unlink()
    intact = (tmp_path / "c.npz").read_bytes()
    target, refused = _trained_model(seed=2), 0
    for where in np.linspace(0, 1, 97):
        (tmp_path / "c.npz").write_bytes(intact)
        _change_one_byte(tmp_path / "c.npz", where)
        try:
            _checkpointing(tmp_path / "c.npz").restore(target, None)
        except DataError as error:
            assert "c.npz: cannot read the checkpoint" in str(error)
            refused += 1
            continue
        _assert_same([keras.ops.convert_to_numpy(v) for v in target.variables], saved)
    assert refused > 80  # nearly all of the file is array bytes
