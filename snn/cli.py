"""The `snn` command: parse arguments, call the library, report errors in one line.

    snn train CONFIG [--set KEY=VALUE ...] [--run-dir DIR]
    snn evaluate RUN_DIR
    snn models

A mistake in the user's config, data, paths or devices prints one line to stderr and exits
with status 2 (`--debug` shows the traceback instead).
"""

import argparse
import os
import sys


def main(argv=None):
    """Run the `snn` command line.

    Args:
        argv: list of str, the arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        int, the exit status: 0 on success, 2 on a user error.
    """
    args = _parser().parse_args(argv)
    _import_keras_quietly()
    from snn.errors import SNNError

    try:
        return args.command(args)
    except SNNError as error:
        if args.debug:
            raise
        print(f"snn: error: {error}", file=sys.stderr)
        return 2


def _import_keras_quietly():
    """Import Keras without TensorFlow's C++ start-up messages (oneDNN, CUDA probing).

    They are written to file descriptor 2 before TensorFlow's logging is configured, so
    only a redirect silences them. A user who sets TF_CPP_MIN_LOG_LEVEL sees everything.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras  # noqa: F401
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # honoured by messages after start-up
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _parser():
    parser = argparse.ArgumentParser(
        prog="snn", description="Self-normalizing neural networks on Keras 3.")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train an experiment from a YAML config")
    train.add_argument("config", help="experiment file, e.g. configs/digits_snn.yaml")
    train.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE",
                       help="override a config value, e.g. --set model.depth=16 (repeatable)")
    train.add_argument("--run-dir", help="directory for this run "
                       "(default: <output.dir>/<name>-<timestamp>)")
    train.set_defaults(command=_train)

    evaluate = commands.add_parser(
        "evaluate", help="reload a finished run and recompute its test metrics")
    evaluate.add_argument("run_dir", help="a run directory written by `snn train`")
    evaluate.set_defaults(command=_evaluate)

    models = commands.add_parser(
        "models", help="list the registered model builders and their config arguments")
    models.set_defaults(command=_models)
    for sub in (train, evaluate, models):
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the full traceback of an error")
    return parser


def _train(args):
    from snn.config import load_config
    from snn.training import train

    config = load_config(args.config, args.overrides)
    metrics = train(config, args.run_dir)
    print(f"\nRun saved to {metrics['run_dir']}")
    print(format_metrics({"validation": metrics["validation"], "test": metrics["test"]}))
    print(f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.1f} s "
          f"({metrics['samples_per_second']:,.0f} samples/s)")
    return 0


def _evaluate(args):
    from snn import runs
    from snn.training import evaluate

    test = evaluate(args.run_dir)
    recorded = runs.read_json(os.path.join(args.run_dir, runs.METRICS))["test"]
    print(format_metrics({"test": test, "recorded": recorded}))
    return 0


def _models(args):
    from snn.models import list_models, model_arguments
    from snn.schema import check

    for name in list_models():
        defaults = ", ".join(  # as a config would hold them: lists, not tuples
            f"{argument}={check(default, annotation, argument)!r}"
            for argument, (annotation, default) in model_arguments(name).items())
        print(f"{name}({defaults})")
    return 0


def format_metrics(rows):
    """A small text table: one row per split, one column per metric.

    Args:
        rows: dict {row label: {metric: float}}; the metrics of the first row set the
            columns.

    Returns:
        str, the table without a trailing newline.
    """
    columns = list(next(iter(rows.values())))
    width = max(len(label) for label in rows)
    lines = ["  ".join([" " * width] + [f"{c:>10}" for c in columns])]
    for label, values in rows.items():
        lines.append("  ".join([f"{label:<{width}}"] +
                               [f"{values.get(c, float('nan')):>10.4f}" for c in columns]))
    return "\n".join(lines)
