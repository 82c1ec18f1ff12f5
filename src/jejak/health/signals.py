"""What the health app announces to the apps above it.

Health records sit below contact tracing in the import layers (docs/architecture.md):
the health import does not know tracing exists, it says what happened and tracing
listens (`tracing/apps.py`).
"""

from django.dispatch import Signal

# Sent once the import that stored them has committed, with `nik_indexes`: the people
# who have a new positive lab result. A receiver's failure never undoes the import.
positive_results_recorded = Signal()
