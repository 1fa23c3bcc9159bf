"""The embedded AWS emulator: moto's server, seeds, the answers for calls moto lacks, the demo.

Development only. Production code (functions/idcensus) never imports it, and `sam build` never
packages it: tests/unit/test_layout.py checks both.
"""
