"""Fault injection against the three services running for real on this machine.

`python -m faults` runs every scenario (or the ones named), counts what clients were told
against what ended up stored, and writes the table to faults/results/.
"""
