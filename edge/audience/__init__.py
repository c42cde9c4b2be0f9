"""Opt-in audience insights (privacy.audience): age / gender bands once per track, and reactions of viewers at
displays. Estimates stay on the device until they are counts per band per interval; no visit carries one."""
