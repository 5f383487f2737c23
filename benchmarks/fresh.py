"""Measurements in a fresh Python process: its own imports, backend, thread pools and peak
memory, untouched by what ran before it."""

import concurrent.futures
import multiprocessing


def in_fresh_process(function, *args, initializer=None, initargs=()):
    """Call `function(*args)` in a newly spawned process and return its result.

    Args:
        function: a module-level function (the process imports it by name).
        *args: its arguments, picklable.
        initializer, initargs: a function the process calls first, with these arguments
            (e.g. to choose the Keras backend before anything imports Keras).

    Returns:
        What `function` returned.
    """
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context, initializer=initializer,
                                                initargs=initargs) as pool:
        return pool.submit(function, *args).result()
