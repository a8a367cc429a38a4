"""The offline pitch writer: only facts, within the length when the facts allow it."""

from __future__ import annotations

from src.agents.pitch import WORDS, PitchFacts, offline_draft, offline_review, verdict_for, words

RICH = PitchFacts(
    fund_name="Harbor Light Infrastructure Fund III",
    strategy="infrastructure",
    target="$750m",
    geographies=["Latin America", "Europe"],
    sectors=["energy transition", "logistics"],
    thesis=(
        "We buy and build mid-sized infrastructure platforms in Latin America and Southern "
        "Europe: renewable generation with contracted offtake, port terminals with long "
        "concessions, and toll roads with inflation-linked tariffs. We target platforms of $50m "
        "to $150m of equity where operational improvement and add-on acquisitions drive value, "
        "and we exit to core infrastructure buyers once assets are de-risked."
    ),
    track_record=["Harbor Light Fund I (2014), $300m, 2.10x TVPI, 16.0% net IRR",
                  "Harbor Light Fund II (2018), $520m, 1.60x TVPI, 12.0% net IRR"],
    team=(
        "Four partners who have worked together since 2012, with 60 years of combined "
        "infrastructure investing and operating experience, supported by twelve professionals "
        "in Mexico City, São Paulo and Madrid."
    ),
    emerging=False,
    esg_policy=True,
    lp_name="Nordic Teachers' Pension",
    lp_type="Public pension",
    status="raising",
    first_close="31 March 2027",
    fit=["Sector fit (100/100): Nordic Teachers' Pension invests in logistics.",
         "Size fit (87/100): Typical cheque about $40m, 5.3% of the fund.",
         "ESG (100/100): Nordic Teachers' Pension requires ESG; the fund has an ESG policy.",
         "Nordic Teachers' Pension has 3 known commitments to infrastructure funds."],
)  # fmt: skip


def test_a_rich_profile_fills_an_email_with_its_own_facts():
    draft = offline_draft(RICH, "email", "warm")
    assert WORDS["email"][0] <= words(draft.body) <= WORDS["email"][1], words(draft.body)
    assert "31 March 2027" in draft.body and "written ESG policy" in draft.body
    review = offline_review(RICH, "email", draft)
    assert verdict_for(review.score) == "approved" and review.notes == []


def test_a_summary_the_facts_cannot_fill_stays_short_and_says_so():
    draft = offline_draft(RICH, "summary", "warm")
    count = words(draft.body)
    assert count < WORDS["summary"][0]  # no invented paragraphs to reach 300 words
    for section in ("Introduction", "Strategy alignment", "Track record", "Team", "Why now"):
        assert f"{section}\n" in draft.body
    review = offline_review(RICH, "summary", draft)
    assert review.notes == [f"The body has {count} words; aim for 300-500."]


def test_without_a_team_summary_the_summary_has_no_team_section():
    draft = offline_draft(RICH.model_copy(update={"team": ""}), "summary", "formal")
    assert "\\nTeam\\n" not in f"\\n{draft.body}" and "Team\\n" not in draft.body
