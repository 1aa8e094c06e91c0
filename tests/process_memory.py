"""This process's memory as the system counts it (resident set size, now and at its peak),
on Linux and Windows with the standard library alone: /proc/self/status there, the process
memory counters of psapi here (through ctypes)."""

from __future__ import annotations

import sys

KIB = 1024


def _proc_status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * KIB  # the kernel says kB
    raise OSError(f"no {field} in /proc/self/status")


def _windows_counters():
    import ctypes
    from ctypes import wintypes

    class ProcessMemoryCounters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = ProcessMemoryCounters()
    counters.cb = ctypes.sizeof(counters)
    process = ctypes.windll.kernel32.GetCurrentProcess
    process.restype = wintypes.HANDLE
    get_info = ctypes.windll.psapi.GetProcessMemoryInfo
    get_info.argtypes = [wintypes.HANDLE, ctypes.POINTER(ProcessMemoryCounters), wintypes.DWORD]
    if not get_info(process(), ctypes.byref(counters), counters.cb):
        raise ctypes.WinError()
    return counters


def rss() -> int:
    """Bytes of this process in physical memory now (Windows: its working set)."""
    if sys.platform == "win32":
        return _windows_counters().WorkingSetSize
    return _proc_status("VmRSS")


def peak_rss() -> int:
    """The most bytes this process has had in physical memory at once."""
    if sys.platform == "win32":
        return _windows_counters().PeakWorkingSetSize
    return _proc_status("VmHWM")
