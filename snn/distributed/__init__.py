"""Where training runs (L2): devices, data-parallel replicas, worker processes.

`distribution_scope` yields a `Topology`, the one object the trainer, its batches and its
checkpoints ask about replicas and workers; there is no module state behind it.
"""

from snn.distributed.devices import BFLOAT16_CPU_FLAGS, bfloat16_in_hardware, cpu_flags
from snn.distributed.devices import device_scope, limit_cpu_threads, visible_gpus
from snn.distributed.topology import WORKER_VARIABLES, Topology, WorkerTopology
from snn.distributed.topology import distribution_scope

__all__ = ["BFLOAT16_CPU_FLAGS", "WORKER_VARIABLES", "Topology", "WorkerTopology",
           "bfloat16_in_hardware", "cpu_flags", "device_scope",
           "distribution_scope", "limit_cpu_threads", "visible_gpus"]
