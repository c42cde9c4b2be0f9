"""Where audience insights may run: the jurisdiction profile (privacy.jurisdiction) and the privacy level.

Allow-lists, so a jurisdiction added later (e.g. "other") is refused until someone decides otherwise.
Reasons are in the refusal message and in docs/privacy.md ("Audience insights").
"""
from __future__ import annotations

# Emotion inference (reactions). EU AI Act Art. 5(1)(f) prohibits emotion recognition in the workplace, and a store's
# display is staff's workplace: the staff list (edge/recognition) excludes only enrolled staff before inference, so
# the edge cannot keep to it for everyone working there; Annex III lists emotion recognition as high-risk anyway. us-il: BIPA needs a written release from every
# person whose face geometry is scanned, which passers-by cannot give.
REACTIONS_ALLOWED = {"uk": "UK GDPR with a DPIA (ICO: emotion analysis is immature; document the purpose)",
                     "us": "no federal rule against it; state laws (CCPA/CPRA notices) apply"}
REACTIONS_REFUSED = {"eu": "EU AI Act Art. 5(1)(f) bans emotion recognition at work (staff at the display)",
                     "us-il": "Illinois BIPA needs a written release from everyone scanned"}
# Age / gender (biometric categorisation, GDPR Art. 9 as the data are biometric; AI Act Annex III high-risk when by
# protected attributes). Refused only where scanning a face needs the person's written consent.
AGE_GENDER_REFUSED = {"us-il": "Illinois BIPA needs a written release from everyone scanned"}
AGE_GENDER_ALLOWED = {"eu", "uk", "us"}


def audience_problem(level: str, jurisdiction: str, age_gender: bool, reactions: bool) -> str | None:
    """Why this combination is refused (names the rule), or None."""
    if age_gender and level == "counts":
        return ("privacy.audience.age_gender is refused at privacy level 'counts' (rule audience-needs-embedding-level: "
                "FaceRes computes an identity embedding on the way to age and gender, and 'counts' computes none)")
    if age_gender and jurisdiction not in AGE_GENDER_ALLOWED:
        why = AGE_GENDER_REFUSED.get(jurisdiction, "no audience rule is defined for this jurisdiction")
        return (f"privacy.audience.age_gender is refused for jurisdiction {jurisdiction!r} "
                f"(rule audience-age-gender-jurisdiction: {why})")
    if reactions and jurisdiction not in REACTIONS_ALLOWED:
        why = REACTIONS_REFUSED.get(jurisdiction, "no emotion-inference rule is defined for this jurisdiction")
        return (f"privacy.audience.reactions is refused for jurisdiction {jurisdiction!r} "
                f"(rule emotion-inference-jurisdiction: {why})")
    return None
