"""What the benchmarks print about the machine they ran on (imported by the scripts beside it)."""
import os, platform


def cpu_name():
    "The CPU's model name."
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or 'unknown CPU'


def cpu_flags() -> set:
    "The CPU's feature flags (Linux; empty elsewhere)."
    try: return set(next(l.split(':', 1)[1].split() for l in open('/proc/cpuinfo') if l.startswith('flags')))
    except (OSError, StopIteration): return set()


def vector_units() -> str:
    "The widest vector instructions the CPU has: the engines pick their kernels by them."
    f = cpu_flags()
    if 'amx_bf16' in f: return 'AVX-512, AVX512-BF16 and AMX'
    if 'avx512_bf16' in f: return 'AVX-512 with AVX512-BF16'
    if 'avx512f' in f: return 'AVX-512, no bfloat16'
    if 'avx2' in f: return 'AVX2, no AVX-512'
    return 'no AVX2' if f else 'vector units unknown'


def cores() -> int:
    "The cores this process may run on (what `taskset` or a container allows), not all the machine has."
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()


def kernel_limit() -> str:
    """How the kernels were held below what the CPU has, if they were. `ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`
    makes OpenVINO and PyTorch run the kernels of a CPU without AVX-512 (and without bfloat16) on one that has it;
    ONNX Runtime has no such switch and keeps its AVX-512 kernels."""
    lim = [f'{k}={os.environ[k]}' for k in ('ONEDNN_MAX_CPU_ISA', 'ATEN_CPU_CAPABILITY') if os.environ.get(k)]
    return f"; kernels held to {' '.join(lim)} (OpenVINO, PyTorch; not ONNX Runtime)" if lim else ''


def machine() -> str:
    "One line: the CPU, its vector units, the cores this process may use, and any limit put on the kernels."
    return f"{cpu_name()} ({vector_units()}), {cores()} cores available{kernel_limit()}"
