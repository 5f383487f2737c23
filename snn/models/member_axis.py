"""Networks of one architecture trained as one: their weights with a leading member axis.

A stacked training (`snn.training.stacked`) of K runs that share an architecture and
differ only in what does not change it (seed, learning rate, alpha dropout rate) computes
each layer of all K as one batched matrix product (`snn.layers.member_axis`), so a step
costs about one step of a K times wider layer, and the graph holds one copy of the
architecture instead of K.

The member axis takes chains of the layers the SNN recipe makes: Dense (with its
activation and L2 penalty), element-wise activation layers (`snn.layers.SELU`,
`keras.layers.Activation`) and the recipe's alpha dropout (`snn.layers.FixedPointAlphaDropout`,
whose masks `snn.layers.member_axis.MemberAlphaDropout` draws alike). Models with other
layers, Keras' own `AlphaDropout` among them, train side by side instead.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

from snn.layers.alpha_dropout import FixedPointAlphaDropout
from snn.layers.member_axis import MemberAlphaDropout, MemberDense
from snn.layers.selu import SELU

_ELEMENTWISE = (SELU, keras.layers.Activation)


@dataclasses.dataclass
class _Plan:
    """One model as the member axis sees it.

    Attributes:
        architecture: hashable; models with equal architectures can share a member axis.
        layers: the model's layers other than alpha dropout, in order.
        dropouts: {number of layers before it: (kind, rate, seed)}, its alpha dropout.
    """

    architecture: tuple
    layers: list
    dropouts: dict

    @property
    def dropout_kinds(self):
        return {kind for kind, _, _ in self.dropouts.values()}


def member_axis_groups(models):
    """Group models that can train on one member axis.

    Args:
        models: list of `keras.Model`.

    Returns:
        list of lists of indices into `models`, each index once, ordered by their first
        index. A group of two or more shares an architecture (input shape, layers, their
        widths, activations, dtype policies and L2 penalties; alpha dropout of one kind
        wherever a member has any); a model no other matches, or with layers the member
        axis does not take, is a group of its own.
    """
    groups = []  # (architecture, dropout kinds, indices); None: a model alone
    for index, plan in enumerate(_plan(model) for model in models):
        for architecture, kinds, indices in groups:
            if plan is not None and architecture == plan.architecture \
                    and len(kinds | plan.dropout_kinds) <= 1:
                kinds |= plan.dropout_kinds
                indices.append(index)
                break
        else:
            groups.append((plan.architecture, set(plan.dropout_kinds), [index]) if plan
                          else (None, set(), [index]))
    return [indices for _, _, indices in groups]


class MemberAxisNetwork:
    """The layers of K models of one architecture (`member_axis_groups`), with a leading
    member axis; member k starts from model k's weights and can be copied back to it.

    Args:
        models: list of `keras.Model` in one group of `member_axis_groups`.
        name: str, the prefix of its layers' names.

    Example:
    >>> inputs = [keras.Input((4,)) for _ in models]
    >>> network = MemberAxisNetwork(models, "members")
    >>> outputs = network(inputs)          # one output per model
    >>> network.load()                     # each member starts from its model's weights
    """

    def __init__(self, models, name):
        plans = [_plan(model) for model in models]
        self.models = models
        self.layers = []
        self._dense = []  # (MemberDense, each model's own Dense layer)
        for position, own in enumerate(zip(*(plan.layers for plan in plans))):
            self.layers.append(self._member_layer(own, f"{name}_{own[0].name}"))
            dropouts = [plan.dropouts.get(position + 1) for plan in plans]
            if any(dropouts):
                self.layers.append(_member_dropout(dropouts, f"{name}_{own[0].name}_dropout"))

    def _member_layer(self, own, name):
        first = own[0]
        if isinstance(first, _ELEMENTWISE):  # no weights: one copy serves every member
            return type(first).from_config({**first.get_config(), "name": name})
        layer = MemberDense(len(own), first.units, first.activation,
                            kernel_regularizer=first.kernel_regularizer,
                            dtype=first.dtype_policy, name=name)
        self._dense.append((layer, own))
        return layer

    def __call__(self, inputs):
        """Apply the K models to their K inputs.

        Args:
            inputs: list of K tensors of shape (batch, *input_shape), symbolic or not.

        Returns:
            list of K tensors of shape (batch, num_outputs).
        """
        x = ops.stack(inputs, axis=0)
        for layer in self.layers:
            x = layer(x)
        return [x[k] for k in range(len(self.models))]

    @property
    def trainable_variables(self):
        return [variable for layer in self.layers for variable in layer.trainable_variables]

    def variables_of(self, member):
        """[(a model's variable, the member-axis variable holding it)] for one member.

        Args:
            member: int, a position in `models`.
        """
        return [pair for layer, own in self._dense
                for pair in ((own[member].kernel, layer.kernel), (own[member].bias, layer.bias))]

    def penalty(self, member):
        """A function giving the member's regularization penalty (its kernels' slices
        under their regularizers), or None when it has none.

        Args:
            member: int, a position in `models`.
        """
        kernels = [layer.kernel for layer, _ in self._dense if layer.kernel_regularizer]
        if not kernels:
            return None
        return lambda: sum(kernel.regularizer(kernel[member]) for kernel in kernels)

    def load(self):
        """Copy each model's weights into its slice of the member axis (after a call)."""
        for layer, own in self._dense:
            layer.kernel.assign(np.stack([ops.convert_to_numpy(o.kernel) for o in own]))
            layer.bias.assign(np.stack([ops.convert_to_numpy(o.bias)[None] for o in own]))

    def unload(self, members):
        """Copy the given members' slices of the member axis back into their models.

        Args:
            members: iterable of ints, positions in `models`.
        """
        members = list(members)
        for layer, own in self._dense:
            kernel, bias = (ops.convert_to_numpy(v) for v in (layer.kernel, layer.bias))
            for k in members:
                own[k].kernel.assign(kernel[k])
                own[k].bias.assign(bias[k, 0])


def _member_dropout(dropouts, name):
    """One `MemberAlphaDropout` for the members' alpha dropout at one place, given as
    (kind, rate, seed) per member, None for a member without."""
    (kind,) = {dropout[0] for dropout in dropouts if dropout}  # one: `member_axis_groups`
    mean, variance, alpha, scale, dtype = kind
    return MemberAlphaDropout([dropout[1] if dropout else 0.0 for dropout in dropouts],
                              [dropout[2] if dropout else None for dropout in dropouts],
                              mean, variance, alpha, scale, dtype=dtype, name=name)


def _plan(model):
    """The model's `_Plan`, or None when it is not a single chain of the layers the member
    axis takes."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    architecture, layers, dropouts = [tuple(model.input_shape)], [], {}
    previous = model.inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            if layer.input is not previous:
                return None
        except (AttributeError, ValueError):  # a layer called more than once
            return None
        previous = layer.output
        kind = _dropout_kind(layer)
        if kind is not None:
            if len(layers) in dropouts or not layers:
                return None
            dropouts[len(layers)] = (kind, layer.rate, layer.seed)
            continue
        step = _step(layer)
        if step is None:
            return None
        architecture.append(step)
        layers.append(layer)
    if previous is not model.outputs[0]:
        return None
    return _Plan(tuple(architecture), layers, dropouts)


def _step(layer):
    """What a non-dropout layer contributes to the architecture, or None."""
    if isinstance(layer, _ELEMENTWISE):
        config = {key: value for key, value in layer.get_config().items() if key != "name"}
        return (type(layer).__name__, repr(sorted(config.items())))
    if type(layer) is keras.layers.Dense and layer.use_bias and layer.lora_rank is None \
            and not (layer.bias_regularizer or layer.activity_regularizer
                     or layer.kernel_constraint or layer.bias_constraint):
        regularizer = layer.kernel_regularizer
        return ("Dense", layer.units, keras.activations.serialize(layer.activation),
                layer.dtype_policy.name,
                regularizer and repr(sorted(regularizer.get_config().items())))
    return None


def _dropout_kind(layer):
    """(mean, variance, alpha, scale, dtype policy) of a `FixedPointAlphaDropout` that draws
    a mask per unit (no `noise_shape`), else None."""
    if type(layer) is FixedPointAlphaDropout and layer.noise_shape is None:
        return (layer.mean, layer.variance, layer.alpha, layer.scale, layer.dtype_policy.name)
    return None
