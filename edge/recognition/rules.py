"""Which recognition lists a site may enable, by jurisdiction profile and privacy level.

Applied at config validation (edge/config.py): each refusal names its rule, so an installer sees which law or
product rule stopped the setting. The table is documented in docs/privacy.md ("Jurisdiction profiles").
"""
from __future__ import annotations

from dataclasses import dataclass

LISTS = ("vip", "staff", "watchlist")
JURISDICTIONS = ("eu", "uk", "us", "us-il", "other")


@dataclass(frozen=True)
class Profile:
    watchlist: bool  # may a loss-prevention watchlist run at all
    watchlist_basis: bool  # does a watchlist need a legal-basis record (GDPR Art. 9(2)(g) / UK DPA 2018 Sch. 1)
    written_consent: bool  # every list needs written consent records (Illinois BIPA 740 ILCS 14/15(b))


PROFILES: dict[str, Profile] = {
    # GDPR Art. 9: biometric identification needs explicit consent or a substantial-public-interest basis in law;
    # the EU AI Act (Art. 5(1)(h)) adds limits on real-time remote identification. A store watchlist rests on a
    # member-state law basis or not at all: allowed only with a legal-basis record.
    "eu": Profile(watchlist=True, watchlist_basis=True, written_consent=False),
    # UK GDPR + DPA 2018 Schedule 1 (ICO on live facial recognition): same shape as the EU.
    "uk": Profile(watchlist=True, watchlist_basis=True, written_consent=False),
    "us": Profile(watchlist=True, watchlist_basis=True, written_consent=False),
    # BIPA: written release before any biometric identifier is collected; private right of action per violation.
    # Watchlist subjects never sign one, so no watchlist at all.
    "us-il": Profile(watchlist=False, watchlist_basis=True, written_consent=True),
    # unknown law: the strictest reading
    "other": Profile(watchlist=False, watchlist_basis=True, written_consent=True),
}


def refusals(level: str, jurisdiction: str, lists: dict) -> list[str]:
    """Why this recognition setting is forbidden (empty when allowed). `lists`: list name -> its settings
    (with `basis` and `written_consent` attributes); only enabled lists are passed."""
    out = []
    if not lists:
        return out
    if level == "counts":
        out.append(f"rule R1 (privacy level counts): recognition lists {sorted(lists)} need embeddings, which level "
                   "'counts' never computes; raise the level to device or site, or remove the lists")
    profile = PROFILES[jurisdiction]
    wl = lists.get("watchlist")
    if wl is not None:
        if not profile.watchlist:
            out.append(f"rule R2 (jurisdiction {jurisdiction}): watchlists are forbidden here"
                       + (" (BIPA: watchlist subjects give no written release)" if jurisdiction == "us-il" else
                          " (profile 'other' takes the strictest reading; choose the site's jurisdiction)"))
        elif profile.watchlist_basis and not wl.basis:
            out.append(f"rule R3 (jurisdiction {jurisdiction}): recognition.watchlist needs a legal-basis record "
                       "(basis: the record id of the legal basis, e.g. a DPIA and the law it rests on)")
    if profile.written_consent:
        missing = sorted(name for name, s in lists.items() if name != "watchlist" and not s.written_consent)
        if missing:
            out.append(f"rule R4 (jurisdiction {jurisdiction}, BIPA): lists {missing} need written_consent: true "
                       "(a signed release is kept for every enrolled person)")
    return out
