"""The benchmark suite behind ``make bench``: this engine against micrograd 0.1.0, side by side.

``bench/run.py`` is the entry point; the modules here are its parts: ``reference`` installs and
imports micrograd, ``moons`` makes the data, ``workloads`` the measured programs, ``floats`` the
hand-written float floor, ``measure`` the clocks and memory probes, ``report`` the table.
"""
