"""What the check-in pipeline announces to the apps above it (docs/architecture.md,
"Layers"): they listen, the pipeline never imports them."""

from django.dispatch import Signal

# Sent inside a batch's transaction, after its rows are written, with `recorded`: the
# (Ask, result data) of each stored request that carries an `origin` (plans.Ask), and
# `now`. What a receiver writes commits or rolls back with the check-ins, in the same
# transaction; a batch redone request by request (a retried nonce) sends it again for
# what is then stored. The partners app records which partner submitted a check-in and
# audits it (partners/recording.py).
recorded = Signal()
