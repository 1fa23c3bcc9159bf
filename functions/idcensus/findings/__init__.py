"""The findings layer: pure rules over one run's records (no AWS calls), each declared once in
registry.RULES; run.evaluate() turns their hits into `finding` and `identity.person` records."""
