"""Consented recognition on the device: VIP / loyalty members, staff and loss-prevention watchlists, each only for
people enrolled on purpose with a consent or legal-basis record (docs/privacy.md, "Consented recognition")."""
