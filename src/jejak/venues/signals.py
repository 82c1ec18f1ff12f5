"""What the venue workflow announces inside its transaction, for the apps above it.

The codes of a venue's entrances belong to `qrcodes`, which sits above venues in the
import layers (docs/architecture.md): the workflow says what happened and qrcodes
issues or revokes (`qrcodes/apps.py`). Sent with `send`, not `send_robust`: a receiver
that fails rolls the transition back with it.
"""

from django.dispatch import Signal

# `venue`: locked, about to become issued (issue or reissue); its entrances need codes.
codes_issued = Signal()
# `venue`: locked, being revoked; every code it has stops working.
codes_revoked = Signal()
# `entry_point`: just added to a venue whose codes are already issued.
entry_point_added = Signal()
